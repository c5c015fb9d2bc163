"""Read a portfolio from files: one xlsx (sheets SPVs, Flows, optional Terms) or a folder of CSV files.

The files are opened here (:mod:`.sources`, as the single-SPV reader opens its own), their rows handed
to the portfolio package's tables (:mod:`xlspv.portfolio.tables`) and checked by the same rules as an
in-memory portfolio (:func:`xlspv.portfolio.model.build`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import SpvInputError
from ..portfolio.model import Portfolio, build
from ..portfolio.tables import (
    FLOW_COLUMNS,
    FLOW_REQUIRED,
    SPV_COLUMNS,
    SPV_REQUIRED,
    Table,
    table_from_rows,
    terms_from_rows,
)
from ..terms import Terms
from .files import MACRO_SUFFIXES
from .package import guarded_reader
from .sources import csv_lines, open_workbook, parsing


@guarded_reader(members=("spvs.csv", "flows.csv", "terms.csv"))  # refuse pipes; name a damaged file
def load_portfolio(path: str | Path) -> Portfolio:
    """Read a portfolio from one xlsx, or from a folder (or its ``spvs.csv``) holding CSV files.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` workbook with sheets ``SPVs`` and ``Flows`` (and optionally ``Terms``: name/value
        rows as an Excel Terms range); or a folder holding ``spvs.csv`` and ``flows.csv`` (and
        optionally ``terms.csv``), or the path of that ``spvs.csv``. The first non-blank row of each
        table holds the column names; blank rows (CSV: lines) after the data are ignored.

    The cells follow the one-SPV reader's rules (:mod:`xlspv.cells`): in a workbook a number must be a
    number and a date a date (a text such as ``'-2500'`` is refused); in a CSV file, numbers are plain
    decimals and dates ``YYYY-MM-DD``. A blank row (line) between data rows is an error naming it.

    Returns
    -------
    Portfolio

    Raises
    ------
    SpvInputError
        A file or sheet is missing; a column is missing or unknown; a cell cannot be used (the message
        names the file, the sheet and row or the CSV line, and the column); a blank row inside the data;
        two SPVs share an id; a flow names an SPV the SPV table lacks; an SPV has no flows.
    MacroWorkbookError
        A macro-enabled workbook (``.xlsm``, or a package carrying VBA): refused before it is parsed,
        as ``xlspv report`` refuses it (a :class:`SpvInputError` too).
    TermsError
        A term (in ``Terms`` or an SPV's term column) is invalid.
    """
    p = Path(path)
    if p.is_dir():
        return _load_csv(p / "spvs.csv", p / "flows.csv", p / "terms.csv", folder=p)
    suffix = p.suffix.lower()
    if suffix == ".xlsx" or suffix in MACRO_SUFFIXES:
        return _load_xlsx(p)  # which refuses a macro-enabled workbook before parsing it
    if suffix == ".csv" and p.name.lower() == "spvs.csv":
        return _load_csv(p, p.with_name("flows.csv"), p.with_name("terms.csv"), folder=p.parent)
    if not p.exists():
        raise SpvInputError(
            f"{p}: no such file or folder; give an .xlsx or a folder with spvs.csv and flows.csv."
        )
    raise SpvInputError(
        f"{p}: not a portfolio input; give an .xlsx (sheets SPVs and Flows) or a folder holding spvs.csv "
        "and flows.csv."
    )


def _load_xlsx(path: Path) -> Portfolio:
    if not path.is_file():
        raise SpvInputError(f"{path}: no such file; give the portfolio workbook (.xlsx).")
    wb = open_workbook(path, read_only=True, data_only=True)
    try:
        with parsing(path):  # read-only: a damaged sheet shows only when its rows are read
            tables, terms, program = _xlsx_tables(path, wb)
    finally:
        wb.close()
    return build(tables["SPVs"], tables["Flows"], terms=terms, sources=(path,), **program)


def _program_row(label: str, rows: Iterable[tuple[int, Sequence[Any]]]) -> tuple[list[Any], dict[str, Any]]:
    """The Terms rows without a ``program`` row, and that row's program (``build``'s keywords).

    The program is not a term of the waterfall but the agreement whose rules are checked
    (:mod:`xlspv.portfolio.agreement`), so it is taken out before the terms are read.
    """
    kept: list[Any] = []
    program: dict[str, Any] = {}
    for number, values in rows:
        first = values[0] if len(values) else None
        if isinstance(first, str) and first.strip().lower() == "program":
            program = {
                "program": values[1] if len(values) > 1 else None,
                "program_where": f"{label}, row {number}",
            }
            continue
        kept.append((number, values))
    return kept, program


def _xlsx_tables(path: Path, wb: Any) -> tuple[dict[str, Table], Terms | None, dict[str, Any]]:
    """The SPVs and Flows tables of an open workbook, and the default terms of its Terms sheet."""
    sheets = {name.strip().lower(): name for name in wb.sheetnames}

    def rows(kind: str) -> Iterable[tuple[int, Sequence[Any]]] | None:
        name = sheets.get(kind.lower())
        if name is None:
            return None
        ws = wb[name]
        ws.reset_dimensions()
        return enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)

    for kind in ("SPVs", "Flows"):
        if kind.lower() not in sheets:
            raise SpvInputError(
                f"{path.name}: no sheet {kind!r}; the workbook needs sheets 'SPVs' and 'Flows' "
                f"(it has {', '.join(map(repr, wb.sheetnames))})."
            )
    tables = {
        kind: table_from_rows(f"{path.name}, sheet {kind}", rows(kind) or (), spec, required, source="xlsx")
        for kind, spec, required in (
            ("SPVs", SPV_COLUMNS, SPV_REQUIRED),
            ("Flows", FLOW_COLUMNS, FLOW_REQUIRED),
        )
    }
    term_rows = rows("Terms")
    label = f"{path.name}, sheet Terms"
    kept, program = _program_row(label, term_rows) if term_rows is not None else (None, {})
    terms = terms_from_rows(label, kept) if kept is not None and _has_terms(kept, program) else None
    return tables, terms, program


def _has_terms(rows: list[Any], program: dict[str, Any]) -> bool:
    """Whether Terms rows are to be read: always, unless they only name the program (then none)."""
    if not program:
        return True
    return any(
        isinstance(v[0], str) and v[0].strip().lower() not in ("term", "name", "terms")
        for _, v in rows
        if len(v) and v[0] is not None and str(v[0]).strip()
    )


def _load_csv(spvs: Path, flows: Path, terms: Path, *, folder: Path) -> Portfolio:
    for needed in (spvs, flows):
        if not needed.is_file():
            raise SpvInputError(
                f"{folder}: no {needed.name}; a CSV portfolio is spvs.csv and flows.csv in one folder."
            )
    spv_table = table_from_rows(spvs.name, csv_lines(spvs), SPV_COLUMNS, SPV_REQUIRED, source="csv")
    flow_table = table_from_rows(flows.name, csv_lines(flows), FLOW_COLUMNS, FLOW_REQUIRED, source="csv")
    kept, program = _program_row(terms.name, csv_lines(terms)) if terms.is_file() else (None, {})
    term_values = (
        terms_from_rows(terms.name, kept) if kept is not None and _has_terms(kept, program) else None
    )
    sources = tuple(p for p in (spvs, flows, terms) if p.is_file())
    return build(spv_table, flow_table, terms=term_values, sources=sources, **program)


__all__ = ["load_portfolio"]
