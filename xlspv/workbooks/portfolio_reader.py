"""Read a portfolio from files: one xlsx (sheets SPVs, Flows, optional Terms) or a folder of CSV files.

The files are opened here (:mod:`.sources`, as the single-SPV reader opens its own), their rows handed
to the portfolio package's tables (:mod:`xlspv.portfolio.tables`) and checked by the same rules as an
in-memory portfolio (:func:`xlspv.portfolio.model.build`).

A workbook's sheets are read by python-calamine as whole grids and checked column by column
(:func:`~xlspv.portfolio.tables.table_from_grid`); ``flows.csv`` by pandas' C parser, column by column
(:func:`~.sources.csv_columns`), when the file is plain, else line by line. Both fall back to the
cell-by-cell path for anything unusual, which names the first bad cell or line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import SpvInputError
from ..portfolio.model import Portfolio, build
from ..portfolio.tables import (
    DATE_COLUMNS,
    FLOW_COLUMNS,
    FLOW_REQUIRED,
    NUMBER_COLUMNS,
    SPV_COLUMNS,
    SPV_REQUIRED,
    Table,
    header_of,
    table_from_columns,
    table_from_grid,
    table_from_rows,
    terms_from_rows,
)
from ..terms import Terms
from .files import MACRO_SUFFIXES
from .package import guarded_reader
from .sources import HAVE_CALAMINE, csv_columns, csv_head, csv_lines, open_workbook, parsing, sheet_grid


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
    if not HAVE_CALAMINE:  # Pyodide: openpyxl reads the same cells by the same rules, more slowly
        return _load_xlsx_openpyxl(path)
    try:
        wb = open_workbook(path, engine="calamine")
        try:
            tables, terms, program = _calamine_tables(path, wb)
        finally:
            wb.close()
        return build(tables["SPVs"], tables["Flows"], terms=terms, sources=(path,), **program)
    except SpvInputError as exc:
        if not _openpyxl_tells_more(exc):
            raise
    return _load_xlsx_openpyxl(path)  # raises openpyxl's message (or reads what calamine could not)


def _openpyxl_tells_more(exc: SpvInputError) -> bool:
    """Whether openpyxl's reading may say more than calamine's about this error.

    calamine reads an error cell (``#N/A``) and a formula saved without its result as blank, so a
    message about a blank cell or row may be about either; it reads a date cell holding a serial
    below 0 (a day before 1900, which Excel itself cannot show) as the time 00:00, where openpyxl
    reads the date and the date rule names it as out of Excel's range; and a damaged package gets
    the same parser's words from every command (openpyxl's, as the single-SPV reader reads it).
    Bad input only.
    """
    text = str(exc)
    return "blank" in text or "datetime.time(" in text or "cannot be read as an .xlsx workbook" in text


def _load_xlsx_openpyxl(path: Path) -> Portfolio:
    wb = open_workbook(path, read_only=True, data_only=True)
    try:
        with parsing(path):  # read-only: a damaged sheet shows only when its rows are read
            tables, terms, program = _openpyxl_tables(path, wb)
    finally:
        wb.close()
    return build(tables["SPVs"], tables["Flows"], terms=terms, sources=(path,), **program)


def _openpyxl_tables(path: Path, wb: Any) -> tuple[dict[str, Table], Terms | None, dict[str, Any]]:
    """The tables of an openpyxl workbook (read-only), row by row."""
    sheets = {name.strip().lower(): name for name in wb.sheetnames}

    def rows(kind: str) -> Any:
        name = sheets.get(kind.lower())
        if name is None:
            return None
        ws = wb[name]
        ws.reset_dimensions()
        return enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)

    _need_sheets(path, sheets, wb.sheetnames)
    tables = {
        kind: table_from_rows(f"{path.name}, sheet {kind}", rows(kind) or (), spec, required, source="xlsx")
        for kind, spec, required in (
            ("SPVs", SPV_COLUMNS, SPV_REQUIRED),
            ("Flows", FLOW_COLUMNS, FLOW_REQUIRED),
        )
    }
    term_rows = rows("Terms")
    return (tables, *_terms_and_program(f"{path.name}, sheet Terms", term_rows))


def _need_sheets(path: Path, sheets: dict[str, str], names: list[str]) -> None:
    for kind in ("SPVs", "Flows"):
        if kind.lower() not in sheets:
            raise SpvInputError(
                f"{path.name}: no sheet {kind!r}; the workbook needs sheets 'SPVs' and 'Flows' "
                f"(it has {', '.join(map(repr, names))})."
            )


def _calamine_tables(path: Path, wb: Any) -> tuple[dict[str, Table], Terms | None, dict[str, Any]]:
    """The SPVs and Flows tables of a calamine workbook, and the default terms of its Terms sheet."""
    sheets = {name.strip().lower(): name for name in wb.sheet_names}
    _need_sheets(path, sheets, wb.sheet_names)
    tables = {
        kind: table_from_grid(
            f"{path.name}, sheet {kind}",
            sheet_grid(path, wb, sheets[kind.lower()]),
            spec,
            required,
            source="xlsx",
        )
        for kind, spec, required in (
            ("SPVs", SPV_COLUMNS, SPV_REQUIRED),
            ("Flows", FLOW_COLUMNS, FLOW_REQUIRED),
        )
    }
    term_rows = enumerate(sheet_grid(path, wb, sheets["terms"]), start=1) if "terms" in sheets else None
    return (tables, *_terms_and_program(f"{path.name}, sheet Terms", term_rows))


def _terms_and_program(
    label: str, rows: Iterable[tuple[int, Sequence[Any]]] | None
) -> tuple[Terms | None, dict[str, Any]]:
    """The default terms of a Terms sheet or ``terms.csv`` (None without one), and its program row."""
    if rows is None:
        return None, {}
    kept, program = _program_row(label, rows)
    return (terms_from_rows(label, kept) if _has_terms(kept, program) else None), program


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
    flow_table = _csv_table(flows, FLOW_COLUMNS, FLOW_REQUIRED)
    term_values, program = _terms_and_program(terms.name, csv_lines(terms) if terms.is_file() else None)
    sources = tuple(p for p in (spvs, flows, terms) if p.is_file())
    return build(spv_table, flow_table, terms=term_values, sources=sources, **program)


def _csv_table(path: Path, spec: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Table:
    """A CSV table read by column when the file is plain, else line by line (the same table or message)."""
    head = csv_head(path)
    if head is not None:
        line, header = head
        positions, units = header_of(path.name, header, spec, required)
        numbers = [pos for name, pos in positions.items() if name in NUMBER_COLUMNS]
        # dates repeat (a few hundred distinct): parsed as categoricals, no Python text per row. SPV
        # ids are factorised from texts instead: pandas' categorical parsing merges thousands of
        # categories chunk by chunk and costs more than that (measured: 2.8 s against 1.5 s)
        dates = [pos for name, pos in positions.items() if name in DATE_COLUMNS]
        columns = csv_columns(path, line, len(header), numbers, dates)
        if columns is not None:  # a plain file: no control character in it (csv_columns checked)
            table = table_from_columns(
                path.name, columns, positions, units, first=line + 1, source="csv", plain=True
            )
            if table is not None:
                return table
    return table_from_rows(path.name, csv_lines(path), spec, required, source="csv")


__all__ = ["load_portfolio"]
