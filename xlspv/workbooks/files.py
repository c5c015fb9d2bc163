"""Safe file handling for every workbook xlspv writes or reads.

- The output is written to a temporary file beside it and renamed into place (``os.replace``), so a
  failure leaves no half-written file and a reader never sees one.
- An existing output is never overwritten without ``force``, and the input is never the output.
- Untrusted workbooks are parsed with ``defusedxml`` installed (openpyxl uses it when present), and
  only after :func:`check_workbook_package` has refused macro-enabled and damaged packages.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import MacroWorkbookError, OutputError, SpvInputError

#: Workbook suffixes that announce macros; such files are refused before they are opened.
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam")


def check_workbook_package(path: str | os.PathLike[str]) -> None:
    """Refuse, before openpyxl parses it, a file that is not an xlsx package or that carries macros.

    Refused: a macro-enabled suffix (.xlsm, .xltm, .xlam); a file that is not a zip package or has no
    ``xl/workbook.xml``; a package holding ``vbaProject.bin``; a package whose ``[Content_Types].xml``
    declares macro content (a renamed .xlsm). Every message names the file and the fix.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise MacroWorkbookError(
            f"{p.name}: macro-enabled workbooks ({suffix}) are refused; save a copy as .xlsx "
            "(Excel Workbook) and give that."
        )
    if not zipfile.is_zipfile(p):
        raise SpvInputError(
            f"{p.name}: cannot be read as an .xlsx workbook (it is not an Office Open XML file); "
            "open it in Excel or LibreOffice and save it as .xlsx."
        )
    try:
        with zipfile.ZipFile(p) as package:
            names = package.namelist()
            types = package.read("[Content_Types].xml").lower() if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError) as exc:
        raise SpvInputError(
            f"{p.name}: cannot be read as an .xlsx workbook ({exc}); save it again as .xlsx."
        ) from None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise MacroWorkbookError(
            f"{p.name}: the workbook contains macros (vbaProject.bin) and is refused; save a copy as .xlsx "
            "(Excel Workbook, no macros) and give that."
        )
    if any(word in types for word in (b"macroenabled", b"vbaproject", b"macrosheet")):
        raise MacroWorkbookError(
            f"{p.name}: the workbook is macro-enabled ([Content_Types].xml declares macro content) and "
            "is refused; save a copy as .xlsx (Excel Workbook, no macros) and give that."
        )
    if "xl/workbook.xml" not in names:
        raise SpvInputError(
            f"{p.name}: cannot be read as an .xlsx workbook (no xl/workbook.xml); save it as .xlsx."
        )


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes (shown on each report's Cover next to the input's name)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_output(out: str | os.PathLike[str], *, force: bool, inputs: Sequence[Any] = ()) -> Path:
    """The output path, checked: not an input, not an existing file unless ``force``."""
    path = Path(out)
    for given in inputs:
        if given is not None and Path(given).resolve() == path.resolve():
            raise OutputError(f"{path}: the output would overwrite the input; choose another output path.")
    if path.exists() and not force:
        raise OutputError(
            f"{path}: the file exists; pass --force to replace it, or choose another output path."
        )
    if path.exists() and path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name ending in .xlsx.")
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: the output is an Excel workbook; give a file name ending in .xlsx.")
    try:  # now, before any work: a folder that cannot be made is better said at once
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot create the folder {path.parent} ({exc.strerror}); choose another output path."
        ) from None
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"{path}: the folder {path.parent} is not writable; choose another output path.")
    return path


def write_atomically(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` to produce the file at a temporary path beside ``path``, then rename it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_workbook(
    wb: Any,
    path: str | os.PathLike[str],
    *,
    dynamic_arrays: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Save an openpyxl workbook atomically; mark the listed array formulas as dynamic arrays.

    ``dynamic_arrays`` maps a sheet title to the anchor cells (``"A5"``) of its array formulas; the
    marking (the ``cm`` attribute and ``xl/metadata.xml``) is applied as the last step, because
    openpyxl drops it when it saves.
    """

    def write(tmp: Path) -> None:
        wb.save(tmp)
        if dynamic_arrays:
            from .dynamic import mark_dynamic_arrays

            mark_dynamic_arrays(tmp, dynamic_arrays)

    return write_atomically(path, write)
