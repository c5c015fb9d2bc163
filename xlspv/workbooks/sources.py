"""Opening the files xlspv reads: a workbook package, a CSV file. One way each, one message each.

Both the single-SPV reader (:mod:`.reader`) and the portfolio reader (:mod:`.portfolio_reader`) open
their files here, so a damaged workbook or an unreadable CSV file gets the same one-line message from
every command. The cells read are then checked by :mod:`xlspv.cells`.

Two engines read workbooks, through the one :func:`open_workbook`: python-calamine (Rust's calamine)
reads the cells of big sheets about 20 times faster than openpyxl; openpyxl serves where calamine
cannot: a table's range and its header/totals rows, the workbook's defined names (the Terms range),
and whether a blank cell holds a formula whose result was never saved. CSV files are read by column
with pandas' C parser (:func:`csv_columns`) when the file is plain (no quotes, no stray carriage
returns, no control characters), and line by line with :mod:`csv` otherwise, which names lines.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import mmap
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpvError, SpvInputError
from .files import check_workbook_package


def unreadable(path: Path, exc: BaseException) -> SpvInputError:
    """The one message for a workbook package openpyxl cannot parse (damaged, truncated, not xlsx)."""
    return SpvInputError(
        f"{path.name}: cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc}); "
        "open it in Excel or LibreOffice and save it as .xlsx."
    )


@contextlib.contextmanager
def parsing(path: Path) -> Iterator[None]:
    """Turn any error openpyxl raises on a damaged package into :func:`unreadable`'s message.

    openpyxl raises many kinds (``KeyError``, ``ParseError``, ``zipfile.BadZipFile``...), and in
    read-only mode only when the damaged part is reached, so the whole reading runs inside this.
    xlspv's own input errors pass through unchanged.
    """
    try:
        yield
    except SpvError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure of the package is the one message
        raise unreadable(path, exc) from None


#: Whether python-calamine is installed (it is everywhere but on Pyodide: see pyproject.toml).
HAVE_CALAMINE = importlib.util.find_spec("python_calamine") is not None


def open_workbook(
    path: Path, *, data_only: bool = True, read_only: bool = False, engine: str = "openpyxl"
) -> Any:
    """A workbook of a checked package (macros and non-xlsx files refused first).

    ``engine="openpyxl"`` gives an openpyxl workbook (``data_only``, ``read_only`` as openpyxl's);
    ``engine="calamine"`` a ``python_calamine.CalamineWorkbook`` (cached values only), whose sheets
    :func:`sheet_grid` reads; callers ask for it only where :data:`HAVE_CALAMINE`.
    """
    check_workbook_package(path)
    if engine == "calamine":
        from python_calamine import CalamineWorkbook

        with parsing(path):
            return CalamineWorkbook.from_path(str(path))
    from openpyxl import load_workbook

    with parsing(path), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
        return load_workbook(path, read_only=read_only, data_only=data_only)


def sheet_grid(path: Path, wb: Any, name: str) -> list[list[Any]]:
    """A calamine workbook's sheet as a rectangular grid from cell A1 (row 1 first; empty cells ``""``).

    calamine gives numbers as floats, date-formatted cells as ``datetime.date``/``datetime`` (so a
    serial below 61 in a date cell reads as a day of January or February 1900, refused by the date
    rule), formulas by their saved results (blank when none was saved) and errors as their text.
    """
    with parsing(path):
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def csv_lines(path: Path) -> list[tuple[int, list[str]]]:
    """A CSV file's records (UTF-8, a byte-order mark allowed), each numbered by its (last) line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            return [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError:
        raise SpvInputError(f"{path.name}: not a UTF-8 text file; save the CSV as UTF-8 text.") from None
    except csv.Error as exc:
        raise SpvInputError(f"{path.name}: cannot be read as CSV ({exc}); save it again as CSV.") from None


#: Bytes a plain CSV file may not hold: control characters other than tab, LF and CR.
_REFUSED = np.zeros(256, dtype=bool)
_REFUSED[[*range(0, 9), 11, 12, *range(14, 32), 127]] = True
_CHUNK = 1 << 22  # 4 MiB: a chunk and its one scratch buffer stay in the cache
#: CR LF as a little-endian 16-bit word: a chunk's CR LF pairs are counted as words at even and odd offsets.
_CRLF = 0x0A0D


def _plain_bytes(data: Any) -> bool:
    """No control character (but tab and line ends) and no carriage return outside CR LF, in chunks.

    Counted, not selected: a chunk's bytes equal to 127, below 32 and equal to LF are counted (each
    comparison written into one scratch buffer, so no fresh memory is touched). Bytes below 32 that are
    not LF are the chunk's CRs and others; when they are exactly its CR LF pairs (and a CR ending the
    chunk, whose LF is checked with the next), every CR is paired and there is nothing else: the usual
    file, LF or CRLF, in four passes. Only a chunk holding something more (a tab, a control character, a
    lone CR) is looked at byte by byte (:func:`_plain_chunk`).
    """
    size = len(data)
    scratch = np.empty(min(_CHUNK + 1, size), dtype=bool)
    for start in range(0, size, _CHUNK):
        stop = min(start + _CHUNK + 1, size)  # one byte more: a CR's LF may start the next chunk
        chunk = np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)
        buf = scratch[: stop - start]
        if np.equal(chunk, 127, out=buf).any():
            return False
        low = np.count_nonzero(np.less(chunk, 32, out=buf)) - np.count_nonzero(np.equal(chunk, 10, out=buf))
        if not low:
            continue  # every byte below 32 is LF
        ends_chunk = int(chunk[-1] == 13)
        if ends_chunk and stop == size:
            return False  # a CR that ends the file
        pairs = 0
        for odd in (0, 1):  # CR LF pairs starting at the chunk's even and odd offsets
            words = np.frombuffer(data, dtype="<u2", count=(stop - start - odd) // 2, offset=start + odd)
            pairs += int(np.count_nonzero(np.equal(words, _CRLF, out=scratch[: words.size])))
        if low != pairs + ends_chunk and not _plain_chunk(chunk, stop == size):
            return False
    return True


def _plain_chunk(chunk: np.ndarray, last: bool) -> bool:
    """One chunk's bytes by the plain rule, looked up: a tab is allowed, every CR followed by LF (but a CR
    ending a chunk that is not the file's last, whose LF begins the next chunk)."""
    if _REFUSED[chunk[chunk < 32]].any():
        return False
    cr = chunk == 13
    n_cr = int(np.count_nonzero(cr))
    if not n_cr:
        return True
    ends_chunk = bool(cr[-1])
    if ends_chunk and last:
        return False
    return int(np.count_nonzero(cr[:-1] & (chunk[1:] == 10))) == n_cr - ends_chunk


def csv_head(path: Path) -> tuple[int, list[str]] | None:
    """The first non-blank record of a CSV file (the header) and its line, or ``None`` for none."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for row in reader:
                if any(c.strip() for c in row):
                    return reader.line_num, row
    except UnicodeDecodeError:
        raise SpvInputError(f"{path.name}: not a UTF-8 text file; save the CSV as UTF-8 text.") from None
    except csv.Error as exc:
        raise SpvInputError(f"{path.name}: cannot be read as CSV ({exc}); save it again as CSV.") from None
    return None


def csv_columns(
    path: Path, header_line: int, width: int, numbers: Sequence[int], repeated: Sequence[int] = ()
) -> list[Any] | None:
    """A plain CSV file's columns below its header line, by position; ``None`` when it is not plain.

    Read by pandas' C parser: the ``numbers`` positions as float64, the ``repeated`` ones (dates: a
    program repeats each a thousand times) as categoricals, which the parser builds cheaply and
    whose categories are each checked once, the others as texts (a blank as NaN in all).
    Row ``i`` of each column is line ``header_line + 1 + i`` (blank lines kept as rows), which holds only
    when no field is quoted and lines end in LF or CRLF; a file with quotes, a lone carriage return, a
    control character, a row wider than the header, or a cell that is no plain number where one is due
    returns ``None``, and the caller reads it line by line with :func:`csv_lines` (which names lines).
    """
    import pandas as pd

    with open(path, "rb") as handle:
        if not handle.seek(0, 2):
            return None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:  # not a copy in memory
            if data.find(b'"') >= 0 or not _plain_bytes(data):
                return None
    dtypes: dict[int, Any] = {j: str for j in range(width)}
    dtypes.update({j: "category" for j in repeated})
    dtypes.update({j: np.float64 for j in numbers})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pandas warns (ParserWarning) where it would drop fields
            frame = pd.read_csv(
                path,
                header=None,
                skiprows=header_line,
                names=list(range(width)),
                dtype=dtypes,
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                index_col=False,
                engine="c",
                encoding="utf-8-sig",
            )
    except Exception:  # noqa: BLE001 - any trouble: the line-by-line reader names it
        return None
    return [frame[j].array if j in repeated else frame[j].to_numpy() for j in range(width)]


__all__ = ["csv_columns", "csv_head", "csv_lines", "open_workbook", "parsing", "sheet_grid", "unreadable"]
