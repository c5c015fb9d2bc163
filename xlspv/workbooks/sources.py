"""Opening the files xlspv reads: a workbook package, a CSV file. One way each, one message each.

Both the single-SPV reader (:mod:`.reader`) and the portfolio reader (:mod:`.portfolio_reader`) open
their files here, so a damaged workbook or an unreadable CSV file gets the same one-line message from
every command. The cells read are then checked by :mod:`xlspv.cells`.
"""

from __future__ import annotations

import contextlib
import csv
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def open_workbook(path: Path, *, data_only: bool, read_only: bool = False) -> Any:
    """An openpyxl workbook of a checked package (macros and non-xlsx files refused first)."""
    from openpyxl import load_workbook

    check_workbook_package(path)
    with parsing(path), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
        return load_workbook(path, read_only=read_only, data_only=data_only)


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


__all__ = ["csv_lines", "open_workbook", "parsing", "unreadable"]
