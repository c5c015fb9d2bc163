"""Look at an input file before anything parses it: what it is, and how large it would become.

xlspv reads files other people send. Two kinds of input hang or exhaust a reader before any cell is
checked, and both are refused here, from the file system's and the zip directory's own facts:

- **Not a regular file** (``/dev/zero``, a named pipe, a socket, a terminal): reading one never ends or
  blocks, so it is refused before it is opened, hashed or parsed.
- **A package that inflates beyond what a workbook needs** (a "zip bomb": a 4 MB ``.xlsx`` whose sheet
  inflates to 4 GB). The sizes the zip directory declares are checked against :data:`LIMITS` before
  any part is read. The actual inflated size cannot exceed the declared one: Python's ``zipfile`` (which
  openpyxl reads through) stops each part at its declared size and refuses a part whose bytes do not
  match it (a CRC error), so a package that lies about its sizes is refused as damaged.

The limits are far above any real workbook (a sheet filled to Excel's last row with five columns of
numbers is about 200 MB of XML, compressed 12-15 to 1), and each message states the limit it met.
Excel's own grid limits, checked before a workbook is written, are here too: :func:`check_grid`,
:func:`fit_cell_text`.
"""

from __future__ import annotations

import functools
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import GridLimitError, InputLimitError, SpvError, SpvInputError

R = TypeVar("R")

MiB = 1 << 20
GiB = 1 << 30

#: Excel's grid: rows and columns of a worksheet, characters of a cell (Excel specifications and limits).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384  # column XFD
EXCEL_MAX_CELL_CHARS = 32_767


@dataclass(frozen=True)
class PackageLimits:
    """Sizes past which an input is refused before it is parsed (bytes unless said otherwise)."""

    file_bytes: int = 256 * MiB  # the input file on disk (xlsx or CSV)
    total_inflated: int = 1 * GiB  # all parts of an xlsx package, inflated
    part_inflated: int = 512 * MiB  # one part (one sheet's XML), inflated
    ratio: int = 100  # inflated / compressed size of one part larger than ratio_from
    ratio_from: int = 16 * MiB  # small parts (styles, empty sheets) may compress further
    parts: int = 10_000  # entries in the package


#: The limits every reader applies (documented in the README's "Limits" section).
LIMITS = PackageLimits()


def _size(n: int) -> str:
    """A byte count as people say it: ``1 GiB``, ``512 MiB``, ``3.7 GiB``."""
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) or value >= 100 else f"{value:.1f} {unit}"
    return f"{n} bytes"


def check_regular_file(path: str | os.PathLike[str], *, members: Iterable[str] = ()) -> None:
    """Refuse, without opening it, an input that exists but is not a regular file, or is too large.

    A missing path and a folder are left to the caller, whose message fits what it expects there; for
    a folder, the ``members`` it will read (``spvs.csv``, ...) are checked when present.

    Raises
    ------
    InputLimitError
        The path (or a member) is a device, a pipe, a socket or another non-regular file, or is larger
        than ``LIMITS.file_bytes``.
    """
    p = Path(path)
    try:
        info = os.stat(p)  # follows symbolic links: a link to /dev/zero is /dev/zero
    except OSError:
        return  # missing or unreadable: the caller's own open says which
    if stat.S_ISDIR(info.st_mode):
        for name in members:
            if os.path.lexists(p / name):
                check_regular_file(p / name)
        return
    if not stat.S_ISREG(info.st_mode):
        raise InputLimitError(
            f"{p}: is not a regular file (a device, pipe or socket) and is not read; give an .xlsx or "
            ".csv file."
        )
    if info.st_size > LIMITS.file_bytes:
        raise InputLimitError(
            f"{p.name}: is {_size(info.st_size)}, over xlspv's limit of {_size(LIMITS.file_bytes)} for an "
            "input file; split the data or remove what the model does not read."
        )


def check_package_sizes(package: zipfile.ZipFile, name: str) -> None:
    """Refuse a package whose parts would inflate beyond :data:`LIMITS`, before any part is read.

    Parameters
    ----------
    package : zipfile.ZipFile
        The opened package (only its central directory has been read).
    name : str
        The file's name, for the message.

    Raises
    ------
    InputLimitError
        Too many parts, one part or all parts together over the inflated-size limits, or a large part
        compressed more than ``LIMITS.ratio`` to 1 (the mark of a zip bomb, not of a workbook).
    """
    infos = package.infolist()
    fix = "the file is not a workbook xlspv can read; open it in Excel and save a copy as .xlsx"
    if len(infos) > LIMITS.parts:
        raise InputLimitError(
            f"{name}: the package holds {len(infos):,} parts, over xlspv's limit of {LIMITS.parts:,}; {fix}."
        )
    total = 0
    for info in infos:
        if info.file_size > LIMITS.part_inflated:
            raise InputLimitError(
                f"{name}: part {info.filename} would inflate to {_size(info.file_size)}, over xlspv's "
                f"limit of {_size(LIMITS.part_inflated)} a part; {fix}."
            )
        if info.file_size > LIMITS.ratio_from and info.file_size > LIMITS.ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise InputLimitError(
                f"{name}: part {info.filename} would inflate {ratio:,.0f} times (to "
                f"{_size(info.file_size)}), over xlspv's limit of {LIMITS.ratio} times for a part over "
                f"{_size(LIMITS.ratio_from)}; {fix}."
            )
        total += info.file_size
    if total > LIMITS.total_inflated:
        raise InputLimitError(
            f"{name}: the package would inflate to {_size(total)}, over xlspv's limit of "
            f"{_size(LIMITS.total_inflated)}; {fix}."
        )


_XML_SUFFIXES = (".xml", ".rels", ".vml")
_CHUNK = 1 * MiB


class _Doctype(Exception):
    """Raised from inside expat when a part declares a DTD."""


def _refuse_doctype(*_: object) -> None:
    raise _Doctype


def check_xml_parts(package: zipfile.ZipFile, name: str) -> None:
    """Refuse a package whose XML parts are not well formed or declare a DTD, before openpyxl reads it.

    Each XML part is streamed once through expat (a C parser, no tree is built) in 1 MiB pieces, so
    memory stays flat and a truncated or damaged part is found in any reader, including openpyxl's
    read-only path that would otherwise fail half-way through the rows. Office Open XML forbids DTDs
    in a package (ECMA-376 Part 2, Open Packaging Conventions), so any ``<!DOCTYPE`` is refused: that
    is where entity expansion ("billion laughs") and external entities live.

    Raises
    ------
    InputLimitError
        A part declares a DTD.
    SpvInputError
        A part is not well-formed XML, or its bytes do not match the zip directory (damaged package).
    """
    from xml.parsers import expat

    for info in package.infolist():
        if not info.filename.lower().endswith(_XML_SUFFIXES) or info.is_dir():
            continue
        parser = expat.ParserCreate(namespace_separator=" ")  # also refuses an unbound prefix
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.EntityDeclHandler = _refuse_doctype
        try:
            with package.open(info) as part:
                while chunk := part.read(_CHUNK):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except _Doctype:
            raise InputLimitError(
                f"{name}: cannot be read as an .xlsx workbook (part {info.filename} declares a DTD, entity "
                "definitions, which Office Open XML forbids); open it in Excel and save a copy as .xlsx."
            ) from None
        except expat.ExpatError as exc:
            raise SpvInputError(
                f"{name}: cannot be read as an .xlsx workbook (part {info.filename} is not well-formed "
                f"XML: {expat.ErrorString(exc.code)} at line {exc.lineno}, column {exc.offset}; damaged or "
                "cut short); open it in Excel or LibreOffice and save it again as .xlsx."
            ) from None


#: Where an exception raised while a workbook is parsed comes from the file, not from xlspv.
_PARSER_MODULES = ("openpyxl", "zipfile", "xml", "et_xmlfile", "defusedxml", "zlib", "csv")


def _raised_by_parser(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc`` is in a file-parsing library (not in xlspv's code)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename.replace("\\", "/")
    return any(f"/{module}/" in filename or filename.endswith(f"/{module}.py") for module in _PARSER_MODULES)


def guarded_reader(members: Iterable[str] = ()) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorate a reader ``f(path, ...)``: check the path first, and name the file in a parser's failure.

    Before the reader runs, :func:`check_regular_file` refuses a device, pipe or oversized file (for a
    folder, its ``members``). While it runs, an exception raised inside the workbook or CSV libraries
    (a damaged part openpyxl's read-only path meets half-way through the rows) becomes one
    :class:`SpvInputError` naming the file; an exception from xlspv's own code is a bug and stays one.
    """
    names = tuple(members)

    def decorate(reader: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(reader)
        def read(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> R:
            check_regular_file(path, members=names)
            try:
                return reader(path, *args, **kwargs)
            except SpvError:
                raise
            except (
                ValueError,
                KeyError,
                TypeError,
                IndexError,
                AttributeError,
                EOFError,
                OverflowError,
                SyntaxError,  # xml.etree's ParseError
                zipfile.BadZipFile,
                zlib.error,
            ) as exc:
                if not _raised_by_parser(exc):
                    raise
                text = " ".join(str(exc).split())[:200] or type(exc).__name__
                raise SpvInputError(
                    f"{Path(path).name}: cannot be read ({type(exc).__name__}: {text}); the file is damaged: "
                    "open it in Excel or LibreOffice and save it again."
                ) from None

        return read

    return decorate


def check_grid(*, rows: int = 0, columns: int = 0, what: str) -> None:
    """Refuse, before any work, a sheet that would not fit Excel's grid.

    Parameters
    ----------
    rows, columns : int
        The last row and column (1-based) the sheet would use.
    what : str
        What asks for them (``"--rates"``, ``"sheet Waterfall"``), for the message.

    Raises
    ------
    GridLimitError
        ``rows`` over 1,048,576 or ``columns`` over 16,384 (column XFD).

    Examples
    --------
    >>> check_grid(rows=1_048_576, columns=16_384, what="sheet Flows")
    >>> check_grid(columns=16_502, what="--rates")
    Traceback (most recent call last):
    ...
    xlspv.errors.GridLimitError: --rates: the sheet would need 16,502 columns, over Excel's ...
    """
    if rows > EXCEL_MAX_ROWS:
        raise GridLimitError(
            f"{what}: the sheet would need {rows:,} rows, over Excel's {EXCEL_MAX_ROWS:,}; give fewer rows "
            "or split the input."
        )
    if columns > EXCEL_MAX_COLUMNS:
        raise GridLimitError(
            f"{what}: the sheet would need {columns:,} columns, over Excel's {EXCEL_MAX_COLUMNS:,} "
            "(column XFD); give fewer values."
        )


CUT_MARK = " [cut here: Excel holds {limit:,} characters a cell; the input had {n:,}]"


def fit_cell_text(text: str) -> tuple[str, bool]:
    """The text cut to Excel's 32,767 characters a cell, saying so at its end; and whether it was cut.

    Examples
    --------
    >>> fit_cell_text("a note")
    ('a note', False)
    >>> cut, was_cut = fit_cell_text("x" * 40_000)
    >>> len(cut), was_cut, cut[-28:]
    (32767, True, ' cell; the input had 40,000]')
    """
    if len(text) <= EXCEL_MAX_CELL_CHARS:
        return text, False
    mark = CUT_MARK.format(limit=EXCEL_MAX_CELL_CHARS, n=len(text))
    return text[: EXCEL_MAX_CELL_CHARS - len(mark)] + mark, True


__all__ = [
    "EXCEL_MAX_CELL_CHARS",
    "EXCEL_MAX_COLUMNS",
    "EXCEL_MAX_ROWS",
    "LIMITS",
    "GridLimitError",
    "InputLimitError",
    "PackageLimits",
    "check_grid",
    "check_package_sizes",
    "check_regular_file",
    "check_xml_parts",
    "guarded_reader",
    "fit_cell_text",
]
