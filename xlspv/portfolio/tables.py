"""The vocabulary of a portfolio's tables, and tables read from numbered rows or from memory.

The SPV table (``id, name, sector, notice_date, committed``, optional ``unit``, ``comment`` and term
columns) and the flows table (``spv_id, date, value``, optional ``comment``), with the aliases each
column may go by, the money units and the sector names. :func:`table_from_rows` reads a table from
numbered rows of any source (a sheet's rows, a CSV file's lines: the file readers in
:mod:`xlspv.workbooks.portfolio_reader` hand them over); :func:`table_from_memory` from a DataFrame, a
mapping of columns or a sequence of row mappings. No file is opened here.

Big tables take a vectorised path (:func:`table_from_grid`, :func:`table_from_columns`): whole columns
are checked at once (blank rows, unnamed filled columns, control characters, each distinct value
once) and clean columns handed on typed (float64 numbers, ``datetime64`` dates). Anything unusual
goes to the cell-by-cell path (:func:`table_from_rows`), which names the first bad cell, so both
paths give the same table or the same message (``tests/test_portfolio_reader.py`` checks it).
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..cells import check_text, control_character, is_missing
from ..dates import NUMPY_EPOCH_ORDINAL
from ..errors import SpvInputError, TermsError
from ..terms import Terms
from .agreement import NAMED_SECTORS

#: Money units a portfolio may use, and the size of one unit in US$ millions.
UNITS: dict[str, float] = {"$m": 1.0, "$bn": 1000.0}
_UNIT_ALIASES = {
    "$m": "$m",
    "usdm": "$m",
    "usd_m": "$m",
    "musd": "$m",
    "m": "$m",
    "$mn": "$m",
    "usd_mn": "$m",
    "$millions": "$m",
    "usd_millions": "$m",
    "$bn": "$bn",
    "usdbn": "$bn",
    "usd_bn": "$bn",
    "bn": "$bn",
    "$b": "$bn",
    "busd": "$bn",
    "$billions": "$bn",
    "usd_billions": "$bn",
}
_SECTOR_ALIASES = {
    "semiconductor": "semiconductors",
    "chips": "semiconductors",
    "pharmaceutical": "pharmaceuticals",
    "pharma": "pharmaceuticals",
    "metal": "metals",
    "critical mineral": "critical minerals",
    "minerals": "critical minerals",
    "energy (incl. pipelines)": "energy",
    "energy incl. pipelines": "energy",
    "energy (including pipelines)": "energy",
    "pipelines": "energy",
    "pipeline": "energy",
    "ai": "AI and quantum computing",
    "artificial intelligence": "AI and quantum computing",
    "quantum": "AI and quantum computing",
    "quantum computing": "AI and quantum computing",
    "ai and quantum computing": "AI and quantum computing",
    "ai & quantum computing": "AI and quantum computing",
}
_SECTOR_ALIASES.update({s.lower(): s for s in NAMED_SECTORS})

#: Term columns an SPV row may carry (blank = the default terms' value).
TERM_COLUMNS = (
    "deemed_rate",
    "guarantee_fee",
    "japan_share_before",
    "japan_share_after",
    "day_count",
    "compounding",
    "partner_share",
    "useful_life",
)
SPV_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "spv_id", "spv"),
    "name": ("name", "spv_name", "project", "project_name"),
    "sector": ("sector",),
    "notice_date": ("notice_date", "notice", "notified", "notice_of_selection", "selection_notice_date"),
    "committed": ("committed", "commitment", "committed_amount", "amount_committed"),
    "unit": ("unit", "units", "currency_unit"),
    "comment": ("comment", "comments", "note", "notes", "source", "sources"),
    **{name: (name,) for name in TERM_COLUMNS},
}
FLOW_COLUMNS: dict[str, tuple[str, ...]] = {
    "spv_id": ("spv_id", "spv", "id"),
    "date": ("date", "flow_date"),
    "value": ("value", "amount", "cash_flow", "cashflow", "flow"),
    "comment": ("comment", "comments", "note", "notes"),
}
SPV_REQUIRED = ("id", "name", "sector", "notice_date", "committed")
FLOW_REQUIRED = ("spv_id", "date", "value")
_MONEY_COLUMNS = {"committed", "value"}

#: The kinds of source a table comes from, and the word its messages number the rows with. The cell
#: rules differ by kind (:mod:`xlspv.cells`): an xlsx cell is typed, so a number must be a number and a
#: date a date; a CSV cell is text, parsed (plain decimals, ISO dates); an in-memory cell may be either
#: (typed values are taken as they are, texts parsed as CSV texts).
ROW_WORDS = {"xlsx": "row", "csv": "line", "memory": "row"}


class RowNumbers:
    """The numbers of consecutive rows, ``first`` to ``first + size - 1``, each computed when asked.

    A table read by column numbers its rows without a gap, so its row numbers need no array: a
    program's 4.8 million flow rows would be 38 MB of fresh memory, filled at reading (about 0.1 s of
    page faults) and kept by the portfolio for the few messages and flags that name a row. An integer
    index gives that row's number; :meth:`tolist` and ``numpy.asarray`` the whole list.
    """

    __slots__ = ("first", "size")

    def __init__(self, first: int, size: int) -> None:
        self.first = int(first)
        self.size = int(size)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
            k = int(i) + self.size if i < 0 else int(i)
            if not 0 <= k < self.size:
                raise IndexError(f"row {int(i)} of {self.size}")
            return self.first + k
        return np.asarray(self)[i]  # a slice or a mask: the numbers as an array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.arange(self.first, self.first + self.size, dtype=dtype or np.int64)

    def tolist(self) -> list[int]:
        return list(range(self.first, self.first + self.size))

    def __repr__(self) -> str:
        return f"RowNumbers({self.first}, {self.size})"


@dataclass
class Table:
    """Columns of a source table: canonical name -> cells, with each row's source number."""

    label: str
    columns: dict[str, Any]
    rows: np.ndarray | RowNumbers
    header_units: dict[str, str] = field(default_factory=dict)
    source: str = "memory"  # "xlsx", "csv" or "memory" (the keys of ROW_WORDS)

    @property
    def row_word(self) -> str:
        return ROW_WORDS[self.source]

    def where(self, i: int) -> str:
        return f"{self.label}, {self.row_word} {int(self.rows[i])}"

    def wheres(self) -> list[str]:
        """:meth:`where` of every row, in order."""
        prefix = f"{self.label}, {self.row_word} "
        return [f"{prefix}{number}" for number in self.rows.tolist()]

    def __len__(self) -> int:
        return len(self.rows)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def canonical_unit(text: Any, where: str) -> str:
    key = _key(str(text)).replace("us$", "$") if isinstance(text, str) else None
    if key is None or key not in _UNIT_ALIASES:
        raise SpvInputError(f"{where}: unit {text!r} is not a money unit; use $m (US$ millions) or $bn.")
    return _UNIT_ALIASES[key]


def _header(
    label: str, cells: Sequence[Any], spec: Mapping[str, tuple[str, ...]], required: Sequence[str]
) -> tuple[dict[str, int], dict[str, str]]:
    """Column positions by canonical name, and units written in headers (``committed ($bn)``)."""
    lookup = {alias: name for name, aliases in spec.items() for alias in aliases}
    positions: dict[str, int] = {}
    units: dict[str, str] = {}
    for pos, cell in enumerate(cells):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        text = str(cell)
        suffix = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", text)
        base = suffix.group(1) if suffix else text
        name = lookup.get(_key(base))
        if name is None:
            accepted = ", ".join(spec)
            raise SpvInputError(f"{label}: column {text!r} is not known; the columns are {accepted}.")
        if name in positions:
            raise SpvInputError(f"{label}: column {name!r} appears twice; keep one.")
        if suffix and name in _MONEY_COLUMNS:
            units[name] = canonical_unit(suffix.group(2), f"{label}, column {text!r}")
        positions[name] = pos
    missing = [name for name in required if name not in positions]
    if missing:
        raise SpvInputError(
            f"{label}: column {missing[0]!r} is missing; the table needs {', '.join(required)} "
            "(first row = the column names)."
        )
    return positions, units


#: The header rule, for the file readers that read a header before the columns below it.
header_of = _header


def table_from_rows(
    label: str,
    rows: Iterable[tuple[int, Sequence[Any]]],
    spec: Mapping[str, tuple[str, ...]],
    required: Sequence[str],
    *,
    source: str,
) -> Table:
    """A table from numbered rows: the first non-blank row is the header, the data follow it.

    Blank rows above the header and after the last data row are skipped; a blank row between the
    header and a later data row is an error naming it, as the one-SPV reader's (a blank in the middle
    of the data is an error, not a row to drop: ``docs/waterfall.md``, "Excel error
    conventions").
    """
    word = ROW_WORDS[source]
    it = iter(rows)
    header = None
    for _, cells in it:
        if any(not is_missing(c) for c in cells):
            header = cells
            break
    if header is None:
        raise SpvInputError(f"{label}: the table is empty; the first row must hold the column names.")
    positions, units = _header(label, header, spec, required)
    used = set(positions.values())
    extras = [p for p in range(len(header)) if p not in used]
    numbers: list[int] = []
    data: list[Sequence[Any]] = []
    gap: int | None = None  # the first of the blank rows seen since the last data row
    for number, cells in it:
        for c in cells:  # a plain loop: it stops at the first filled cell (most rows: the first)
            if c is not None and c != "" and not (c.__class__ is str and c.isspace()):
                break
        else:
            gap = number if gap is None else gap
            continue
        if gap is not None:
            rows_are = f"{word} {gap} is" if gap == number - 1 else f"{word}s {gap}-{number - 1} are"
            raise SpvInputError(
                f"{label}: {rows_are} blank inside the data (it goes on at {word} {number}); delete the "
                f"blank {word}s or fill them in."
            )
        if extras or len(cells) > len(header):
            for p in range(len(cells)):
                if p not in used and not is_missing(cells[p]):
                    raise SpvInputError(
                        f"{label}, {word} {number}: column {p + 1} holds {cells[p]!r} but has no column "
                        "name; name the column or clear it."
                    )
        numbers.append(number)
        data.append(cells)
    columns = {
        name: [cells[pos] if pos < len(cells) else None for cells in data] for name, pos in positions.items()
    }
    table = Table(label, columns, np.asarray(numbers, dtype=np.int64), units, source)
    check_texts(table)
    return table


def check_texts(table: Table) -> None:
    """Refuse a text cell holding a control character, naming the first one (row order, then column)."""
    bad: tuple[int, str] | None = None
    for name, cells in table.columns.items():
        texts = [c for c in cells if c.__class__ is str]
        if not texts or control_character("\n".join(texts)) is None:
            continue
        for i, c in enumerate(cells):
            if c.__class__ is str and control_character(c) and (bad is None or i < bad[0]):
                bad = (i, name)
                break
    if bad is not None:
        i, name = bad
        check_text(table.columns[name][i], f"{table.where(i)}, column {name}")


#: Columns read as numbers and as dates by the vectorised path (the rest stay as they are).
NUMBER_COLUMNS = frozenset({"committed", "value"})
DATE_COLUMNS = frozenset({"date", "notice_date"})
#: Columns a plain CSV file's reading hands on as categoricals (the model takes their codes as they are).
ID_COLUMNS = frozenset({"spv_id"})


def table_from_grid(
    label: str,
    grid: Sequence[Sequence[Any]],
    spec: Mapping[str, tuple[str, ...]],
    required: Sequence[str],
    *,
    source: str,
) -> Table:
    """A table from a sheet's rectangular grid of cells (row 1 first), checked column by column.

    The same table, or the same message, as :func:`table_from_rows` over the grid's numbered rows,
    which it falls back to whenever a column is not clean (``source`` is ``"xlsx"``: rows are numbered
    as the sheet numbers them).
    """
    start = next((i for i, row in enumerate(grid) if any(not is_missing(c) for c in row)), None)
    if start is None or len(grid) - start < 2:
        return table_from_rows(label, enumerate(grid, start=1), spec, required, source=source)
    positions, units = _header(label, grid[start], spec, required)
    width = max(len(grid[start]), max(len(row) for row in grid[start + 1 :]))
    if width != min(len(row) for row in grid[start:]):
        return table_from_rows(label, enumerate(grid, start=1), spec, required, source=source)
    columns = [np.fromiter((row[j] for row in grid[start + 1 :]), dtype=object) for j in range(width)]
    for column in columns:
        column[column == ""] = None  # calamine's empty cell is openpyxl's None: the same messages
    table = table_from_columns(label, columns, positions, units, first=start + 2, source=source)
    if table is None:
        return table_from_rows(label, enumerate(grid, start=1), spec, required, source=source)
    return table


def _blank_mask(column: np.ndarray, quick: bool = False) -> tuple[np.ndarray, Any, np.ndarray]:
    """Which cells of a column are blank, and its distinct values with each cell's code (-1: None/NaN).

    ``quick``: only None and NaN count as blank and the distinct values are not found (a plain CSV
    file's text column, where a text of spaces in an otherwise blank row leaves a NaN number beside it).
    """
    if column.dtype.kind == "f":
        return np.isnan(column), None, np.empty(0, dtype=np.int64)
    if quick and not isinstance(column, pd.Categorical):
        # One pass finds both the blanks (code -1) and the distinct values, which the model takes
        # as they are (a flow's SPV id: not factorised twice).
        codes, uniques = _factorize_runs(column)
        return codes < 0, uniques, codes
    if isinstance(column, pd.Categorical):
        codes, uniques = column.codes, np.asarray(column.categories, dtype=object)  # int8/16: no copy
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    blank_u = np.fromiter((is_missing(u) for u in uniques), dtype=bool, count=len(uniques))
    if not blank_u.any():  # the usual column: only code -1 (None, NaN) is blank; a compare, no gather
        return codes < 0, uniques, codes
    blank = np.append(blank_u, True)[codes]  # code -1 (None, NaN) takes the last entry: blank
    return blank, uniques, codes


def _factorize_runs(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(column)`` (codes, -1 for None/NaN, and the distinct values in order of first
    appearance), hashing one cell per run of equal cells: a flow table lists an SPV's rows together,
    so 4.8 million ids are 10,000 runs. The codes are in the smallest integer type that holds them
    (as a categorical keeps them: int16 for 10,000 SPVs, a fifth of the memory of int64)."""
    n = len(column)
    if n == 0:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object)
    starts = np.flatnonzero(np.concatenate(([True], _differs(column))))
    codes, uniques = pd.factorize(column[starts], use_na_sentinel=True)
    small = next(t for t in (np.int8, np.int16, np.int32, np.int64) if len(uniques) < np.iinfo(t).max)
    return np.repeat(codes.astype(small), np.diff(np.append(starts, n))), np.asarray(uniques, dtype=object)


def _differs(column: np.ndarray) -> np.ndarray:
    """Whether each cell but the first may differ from the one above it (a run of equal cells ends).

    An object column is compared by the objects' addresses: the same object is the same value, and
    pandas' parser gives equal texts one object within its chunks, so this finds the runs without
    comparing 4.8 million texts (about ten times faster). Equal values in two objects only split a run,
    and runs are factorised by value, so the codes are the same (a run of one NaN object is -1, as each NaN).
    """
    if (
        column.dtype == object
        and column.flags.c_contiguous
        and column.itemsize == ctypes.sizeof(ctypes.c_void_p)
    ):
        # the object pointers themselves, read (not copied) while ``column`` holds the objects
        addresses = np.ctypeslib.as_array((ctypes.c_size_t * len(column)).from_address(column.ctypes.data))
        return addresses[1:] != addresses[:-1]
    return column[1:] != column[:-1]  # NaN != NaN: its own run


def table_from_columns(
    label: str,
    columns: Sequence[Any],
    positions: Mapping[str, int],
    units: dict[str, str],
    *,
    first: int,
    source: str,
    plain: bool = False,
) -> Table | None:
    """A table from whole columns (by position; data rows numbered from ``first``), or ``None``.

    ``None`` means "not clean here: read it cell by cell" (a blank row inside the data, a filled
    column without a name, a control character, a blank numeric cell); that path names the cell.
    A clean number column is handed on as float64, a clean date column (every distinct value a date
    within 1 March 1900 to 31 December 9999) as ``datetime64[D]``; any other column as it is.
    ``plain``: the source holds no control character (a plain CSV file's bytes were checked), so text
    columns are not searched, and a number column read as float64 shows every blank row as a NaN.
    """
    quick = plain and any(
        columns[pos].dtype.kind == "f" for name, pos in positions.items() if name in NUMBER_COLUMNS
    )
    n = len(columns[0]) if columns else 0
    blank_all = np.ones(n, dtype=bool)
    info: dict[int, tuple[np.ndarray, Any, np.ndarray]] = {}
    used = set(positions.values())
    for pos, column in enumerate(columns):
        info[pos] = _blank_mask(column, quick)
        blank_all &= info[pos][0]
        if pos not in used and not info[pos][0].all():
            return None  # a filled cell without a column name
    if blank_all.any():  # (the usual table has no blank row: no list of filled rows is made)
        filled = np.flatnonzero(~blank_all)
        if filled.size == 0 or filled[-1] + 1 != filled.size:
            return None  # no data, or a blank row inside it
        n = filled.size  # blank rows after the data are not data
    elif n == 0:
        return None
    out: dict[str, Any] = {}
    for name, pos in positions.items():
        blank, uniques, codes = info[pos]
        column = columns[pos]
        if uniques is not None and any(u.__class__ is str and control_character(u) for u in uniques):
            return None
        if name in NUMBER_COLUMNS:
            if column.dtype.kind == "f" and not np.isfinite(column[:n]).all():
                return None  # a blank or non-finite number: the cell-by-cell path shows it as written
            out[name] = _numbers(column[:n], blank[:n])
        elif name in DATE_COLUMNS and uniques is not None and not blank[:n].any():
            out[name] = _dates(uniques, codes[:n], column[:n], source)
        elif name in ID_COLUMNS and isinstance(column, pd.Categorical):
            out[name] = column[:n]  # the model takes its codes and categories as they are
        elif name in ID_COLUMNS and quick and uniques is not None:
            out[name] = pd.Categorical.from_codes(codes[:n], categories=uniques, validate=False)  # factorised
        elif isinstance(column, pd.Categorical):
            out[name] = np.asarray(column[:n], dtype=object)
        else:
            out[name] = column[:n]
    return Table(label, out, RowNumbers(first, n), units, source)


def _numbers(column: Any, blank: np.ndarray) -> Any:
    """A float64 column when every cell is a finite number (not a boolean), else the cells as they are."""
    if column.dtype.kind == "f":
        return column
    if blank.any() or not set(map(type, column)) <= {float, int}:
        return column
    numbers = column.astype(np.float64)
    return numbers if np.isfinite(numbers).all() else column


def _dates(uniques: np.ndarray, codes: np.ndarray, column: Any, source: str) -> Any:
    """A ``datetime64[D]`` column when every distinct value is a date in range, else the cells as they are.

    Each distinct value is read by the cell rule (:func:`xlspv.cells.parse_date`) once; on the first
    that fails the column is handed on as it is, and the cell-by-cell checks name its first row.
    """
    from ..cells import parse_date

    days = np.empty(len(uniques), dtype=np.int64)
    for k, u in enumerate(uniques):
        try:
            days[k] = parse_date(u, "", source)
        except SpvInputError:
            return np.asarray(column, dtype=object) if isinstance(column, pd.Categorical) else column
    return (days - NUMPY_EPOCH_ORDINAL).astype("datetime64[D]")[codes]  # one pass over the rows


def table_from_memory(label: str, table: Any, spec: Mapping[str, tuple[str, ...]]) -> Table:
    """A table from a DataFrame, a mapping of columns, or a sequence of row mappings (rows from 1)."""
    if isinstance(table, pd.DataFrame):
        columns_in: dict[str, Any] = {str(c): table[c].to_numpy() for c in table.columns}
    elif isinstance(table, Mapping):
        columns_in = {str(k): v for k, v in table.items()}
    else:
        records = list(table)
        names: list[str] = []
        for rec in records:
            for key in rec:
                if key not in names:
                    names.append(key)
        columns_in = {k: [rec.get(k) for rec in records] for k in names}
    required = SPV_REQUIRED if spec is SPV_COLUMNS else FLOW_REQUIRED
    positions, units = _header(label, list(columns_in), spec, required)
    keys = list(columns_in)
    columns = {name: columns_in[keys[pos]] for name, pos in positions.items()}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise SpvInputError(
            f"{label}: the columns have different lengths {sorted(lengths)}; give one per row."
        )
    n = lengths.pop() if lengths else 0
    return Table(label, columns, RowNumbers(1, n), units)


#: The fix of a bad number cell, by column.
NUMBER_FIXES = {
    "value": "enter a number (fundings negative, distributions positive)",
    "committed": "enter the amount committed as a number",
}


def canonical_sector(text: str) -> str:
    clean = " ".join(text.split())
    return _SECTOR_ALIASES.get(clean.lower(), clean)


def terms_from_rows(label: str, rows: Iterable[tuple[int, Sequence[Any]]]) -> Terms:
    """Default terms from name/value rows (a header row ``term, value`` is skipped)."""
    pairs = []
    for _, cells in rows:
        cells = tuple(c for c in cells)
        while cells and is_missing(cells[-1]):
            cells = cells[:-1]
        if not cells:
            continue
        if isinstance(cells[0], str) and _key(cells[0]) in ("term", "name", "terms"):
            continue
        pairs.append(tuple("" if c is None else c for c in cells))
    try:
        return Terms.from_mapping(pairs)
    except TermsError as exc:
        raise TermsError(f"{label}: {exc}") from None


__all__ = [
    "FLOW_COLUMNS",
    "FLOW_REQUIRED",
    "RowNumbers",
    "SPV_COLUMNS",
    "SPV_REQUIRED",
    "TERM_COLUMNS",
    "UNITS",
    "Table",
    "canonical_sector",
    "canonical_unit",
    "check_texts",
    "header_of",
    "table_from_columns",
    "table_from_grid",
    "table_from_memory",
    "table_from_rows",
    "terms_from_rows",
]
