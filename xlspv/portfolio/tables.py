"""The vocabulary of a portfolio's tables, and tables read from numbered rows or from memory.

The SPV table (``id, name, sector, notice_date, committed``, optional ``unit``, ``comment`` and term
columns) and the flows table (``spv_id, date, value``, optional ``comment``), with the aliases each
column may go by, the money units and the sector names. :func:`table_from_rows` reads a table from
numbered rows of any source (a sheet's rows, a CSV file's lines: the file readers in
:mod:`xlspv.workbooks.portfolio_reader` hand them over); :func:`table_from_memory` from a DataFrame, a
mapping of columns or a sequence of row mappings. No file is opened here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..cells import is_missing
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


@dataclass
class Table:
    """Columns of a source table: canonical name -> cells, with each row's source number."""

    label: str
    columns: dict[str, Any]
    rows: np.ndarray
    header_units: dict[str, str] = field(default_factory=dict)
    source: str = "memory"  # "xlsx", "csv" or "memory" (the keys of ROW_WORDS)

    @property
    def row_word(self) -> str:
        return ROW_WORDS[self.source]

    def where(self, i: int) -> str:
        return f"{self.label}, {self.row_word} {int(self.rows[i])}"

    def __len__(self) -> int:
        return int(self.rows.size)


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
    return Table(label, columns, np.asarray(numbers, dtype=np.int64), units, source)


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
    return Table(label, columns, np.arange(1, n + 1, dtype=np.int64), units)


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
    "SPV_COLUMNS",
    "SPV_REQUIRED",
    "TERM_COLUMNS",
    "UNITS",
    "Table",
    "canonical_sector",
    "canonical_unit",
    "table_from_memory",
    "table_from_rows",
    "terms_from_rows",
]
