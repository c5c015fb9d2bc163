"""The $550 billion program view: a portfolio of SPVs, checked, computed in one batch, and flagged.

The agreement is a program, not one project: up to $550 billion across many SPVs, selected one by one,
each funded at least 45 days after notice, all before 19 January 2029 (``shared/spec/waterfall.md``,
"The agreement being modelled"). This module is the core of the program view (no Excel here):

- :class:`Portfolio`, the input: an SPV table (id, name, sector, notice date, committed amount,
  optional per-SPV terms) and a flows table (SPV id, date, value), read from one xlsx (sheets ``SPVs``
  and ``Flows``, optional ``Terms``) or from CSV files (``spvs.csv`` + ``flows.csv``, optional
  ``terms.csv``) by :func:`load_portfolio`, or built in memory by :meth:`Portfolio.from_tables`.
  Anything that cannot be used raises :class:`~xlspv.errors.SpvInputError` (or
  :class:`~xlspv.errors.TermsError`) naming the file, sheet, row and column.
- :func:`analyse`: every SPV's waterfall in ONE call of :func:`~xlspv.waterfall.waterfall_batch`
  (schedules padded to the longest with zero values on their first date), the per-SPV table, cash to
  each country by calendar year, commitments against the cap and the deadline, the flags, and a
  sector breakdown, all vectorised (no Python loop over SPVs).
- :func:`sensitivity`: Japan's XIRR and the threshold year over a grid of deemed rates (and optional
  scaling factors of distributable cash), per SPV and for the program, on the same batch path
  (scenarios = SPVs x grid points).
- :func:`compare_readings`: the same flows under both readings of the deemed allocation (the
  cumulative basis of the batch path, and the scheduled basis of ``shared/spec/waterfall.md``, "Second
  reading"), per SPV and for the program. The batch path computes the cumulative basis only, so the
  scheduled basis runs one SPV at a time through :func:`~xlspv.waterfall.compute`: asked for
  (``analyse(..., readings=True)``), never part of the main path.

Things the user should *see* rather than be stopped by are flags in the result, not errors:
commitments over the cap, fundings less than 45 days after notice, fundings after the deadline, a
funded amount above the committed amount, a notice too late to fund by the deadline, a sector the MOU
does not name.

Money is in the portfolio's unit, ``"$m"`` (US$ millions, the default) or ``"$bn"``, given by a
``unit`` column of the SPV table or a unit in the header (``committed ($bn)``); flows use the same unit.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._jit import njit
from .dates import to_date, to_datetime64, to_ordinal
from .errors import SpvError, SpvInputError, TermsError
from .scheduled import DEFAULT_USEFUL_LIFE
from .terms import RateSchedule, Terms
from .waterfall import Batch, compute, waterfall_batch
from .workbooks.package import guarded_reader
from .xirr import xirr_many

# ---- Constants of the agreement, in one place ----------------------------------------------------
# Source: the US-Japan Memorandum of Understanding on strategic investments, signed 4 September 2025,
# as summarised in shared/spec/waterfall.md ("The agreement being modelled"): Japan funds up to
# $550 billion of selected US projects until 19 January 2029, each funding dated at least 45 days after
# Japan is notified of the selection; the named sectors are listed below.
#: The program cap, in US$ millions ($550 billion).
PROGRAM_CAP_USD_M = 550_000.0
#: Last day a funding may be dated (fundings after it are flagged).
FUNDING_DEADLINE = dt.date(2029, 1, 19)
#: Minimum days between the notice of selection and a funding.
MIN_NOTICE_DAYS = 45
#: The sectors the MOU names (an SPV in another sector is flagged, not refused).
NAMED_SECTORS = (
    "semiconductors",
    "pharmaceuticals",
    "metals",
    "critical minerals",
    "shipbuilding",
    "energy",
    "AI and quantum computing",
)
# ------------------------------------------------------------------------------------------------------

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
    "japan_share_before",
    "japan_share_after",
    "day_count",
    "compounding",
    "partner_share",
    "useful_life",
)
_SPV_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "spv_id", "spv"),
    "name": ("name", "spv_name", "project", "project_name"),
    "sector": ("sector",),
    "notice_date": ("notice_date", "notice", "notified", "notice_of_selection", "selection_notice_date"),
    "committed": ("committed", "commitment", "committed_amount", "amount_committed"),
    "unit": ("unit", "units", "currency_unit"),
    "comment": ("comment", "comments", "note", "notes", "source", "sources"),
    **{name: (name,) for name in TERM_COLUMNS},
}
_FLOW_COLUMNS: dict[str, tuple[str, ...]] = {
    "spv_id": ("spv_id", "spv", "id"),
    "date": ("date", "flow_date"),
    "value": ("value", "amount", "cash_flow", "cashflow", "flow"),
    "comment": ("comment", "comments", "note", "notes"),
}
_SPV_REQUIRED = ("id", "name", "sector", "notice_date", "committed")
_FLOW_REQUIRED = ("spv_id", "date", "value")
_MONEY_COLUMNS = {"committed", "value"}

Progress = Callable[[str], None]


# ---- the input model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Spv:
    """One row of the SPV table, checked.

    ``committed`` is in the portfolio's unit; ``terms`` are the SPV's own term values (validated;
    any term not listed takes the default terms' value); ``where`` names the source row for messages.
    """

    id: str
    name: str
    sector: str
    notice_date: dt.date
    committed: float
    terms: tuple[tuple[str, Any], ...] = ()
    comment: str = ""
    where: str = ""

    @property
    def named_sector(self) -> bool:
        """Whether the sector is one the MOU names."""
        return self.sector in NAMED_SECTORS


@dataclass(frozen=True, eq=False)
class Portfolio:
    """A checked portfolio: the SPV table and every flow row, columnar.

    ``flow_spv`` (index into ``spvs``), ``flow_days`` (date ordinals) and ``flow_values`` (money in
    ``unit``; negative = a Japan funding, positive = distributable cash) have one entry per flow row, in
    input order; ``flow_rows`` is each row's number in its source (sheet row or CSV line), ``flow_label``
    names that source and ``row_word`` is how it numbers them ("row", or "line" for a CSV file).
    ``terms`` are default terms read with the input (a ``Terms`` sheet or ``terms.csv``), if any;
    ``sources`` are the files read.
    """

    spvs: tuple[Spv, ...]
    flow_spv: np.ndarray
    flow_days: np.ndarray
    flow_values: np.ndarray
    flow_rows: np.ndarray
    unit: str = "$m"
    terms: Terms | None = None
    sources: tuple[Path, ...] = ()
    spv_label: str = "SPVs"
    flow_label: str = "Flows"
    row_word: str = "row"

    def __len__(self) -> int:
        return len(self.spvs)

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.spvs]

    def flow_where(self, j: int) -> str:
        """Where flow row ``j`` came from, for messages and flags ("Flows, row 4")."""
        return f"{self.flow_label}, {self.row_word} {int(self.flow_rows[j])}"

    @cached_property
    def committed(self) -> np.ndarray:
        return np.array([s.committed for s in self.spvs], dtype=np.float64)

    @cached_property
    def notice_days(self) -> np.ndarray:
        return np.array([s.notice_date.toordinal() for s in self.spvs], dtype=np.int64)

    @property
    def cap(self) -> float:
        """The $550bn program cap in the portfolio's unit."""
        return PROGRAM_CAP_USD_M / UNITS[self.unit]

    @cached_property
    def padded(self) -> tuple[np.ndarray, np.ndarray]:
        """Values and day ordinals shaped (SPVs, longest schedule), rows in input order per SPV.

        Short schedules are padded at the front with zero values dated on their own first date. Before
        an SPV's first row its balance is 0, and nothing accrues on a zero balance (the spec's rule 1),
        so the padding is neutral by the rule itself: no cash moves, no interest, and the threshold row
        stays where it was. Padding on the last date (the core's suggestion) would be neutral too, as
        the core's ``year_fraction`` is 0 for a same-date span under every day count, but there the
        balance may be above 0, so its neutrality would rest on that same-date rule (Excel's
        ``DAYS360`` counts 28 February of a common year to itself as -2 days; the core guards 30/360
        against it). The front needs no such guard.
        """
        n = len(self.spvs)
        idx = self.flow_spv
        order = np.argsort(idx, kind="stable")
        counts = np.bincount(idx, minlength=n)
        width = int(counts.max())
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        spv_sorted = idx[order]
        pos = np.arange(idx.size) - np.repeat(starts, counts) + (width - counts)[spv_sorted]
        first = np.minimum.reduceat(self.flow_days[order], starts)
        values = np.zeros((n, width))
        values[spv_sorted, pos] = self.flow_values[order]
        days = np.repeat(first[:, None], width, axis=1)
        days[spv_sorted, pos] = self.flow_days[order]
        values.flags.writeable = False
        days.flags.writeable = False
        return values, days

    def terms_for(self, default: Terms | None = None) -> list[Terms]:
        """Each SPV's terms: the default terms with the SPV's own columns applied.

        SPVs with the same columns share one :class:`~xlspv.terms.Terms` object.
        """
        base = _default_terms(self, default)
        cache: dict[tuple[tuple[str, Any], ...], Terms] = {}
        out = []
        for spv in self.spvs:
            terms = cache.get(spv.terms)
            if terms is None:
                try:
                    terms = dataclasses.replace(base, **dict(spv.terms)) if spv.terms else base
                except TermsError as exc:
                    raise TermsError(f"{spv.where} (SPV {spv.id!r}): {exc}") from None
                cache[spv.terms] = terms
            out.append(terms)
        return out

    @classmethod
    def from_tables(
        cls,
        spvs: Any,
        flows: Any,
        *,
        unit: str | None = None,
        terms: Terms | None = None,
    ) -> Portfolio:
        """A portfolio from in-memory tables (checked as the file loaders check them).

        Parameters
        ----------
        spvs : pandas.DataFrame or sequence of mappings
            One row per SPV: ``id``, ``name``, ``sector``, ``notice_date``, ``committed``, and optionally
            ``unit`` and the term columns (:data:`TERM_COLUMNS`; blank or absent = the default terms).
        flows : pandas.DataFrame, mapping of columns, or sequence of mappings
            One row per cash flow: ``spv_id``, ``date``, ``value`` (negative = a Japan funding).
        unit : str, optional
            "$m" (default) or "$bn", if the tables carry no unit.
        terms : Terms, optional
            Default terms kept with the portfolio (used by :func:`analyse` when it is given none).

        Messages name the table ("SPVs", "Flows") and the data row (1 = the first data row). Typed
        cells (numbers; dates, datetimes, ``numpy.datetime64``, Excel serials) are taken as they are,
        texts as in a CSV file (plain decimals such as ``-1500``, dates ``YYYY-MM-DD``).
        """
        spv_table = _table_from_memory("SPVs", spvs, _SPV_COLUMNS)
        flow_table = _table_from_memory("Flows", flows, _FLOW_COLUMNS)
        return _build(spv_table, flow_table, unit=unit, terms=terms, sources=())


# ---- reading tables ------------------------------------------------------------------------------

#: The kinds of source a table comes from, and the word its messages number the rows with. The cell
#: rules differ by kind (see :func:`_parse_number` and :func:`_parse_date`): an xlsx cell is typed, so
#: a number must be a number and a date a date; a CSV cell is text, parsed (plain decimals, ISO dates);
#: an in-memory cell may be either (typed values are taken as they are, texts parsed as CSV texts).
_ROW_WORDS = {"xlsx": "row", "csv": "line", "memory": "row"}


@dataclass
class _Table:
    """Columns of a source table: canonical name -> cells, with each row's source number."""

    label: str
    columns: dict[str, Any]
    rows: np.ndarray
    header_units: dict[str, str] = field(default_factory=dict)
    source: str = "memory"  # "xlsx", "csv" or "memory" (the keys of _ROW_WORDS)

    @property
    def row_word(self) -> str:
        return _ROW_WORDS[self.source]

    def where(self, i: int) -> str:
        return f"{self.label}, {self.row_word} {int(self.rows[i])}"

    def __len__(self) -> int:
        return int(self.rows.size)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _canonical_unit(text: Any, where: str) -> str:
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
            units[name] = _canonical_unit(suffix.group(2), f"{label}, column {text!r}")
        positions[name] = pos
    missing = [name for name in required if name not in positions]
    if missing:
        raise SpvInputError(
            f"{label}: column {missing[0]!r} is missing; the table needs {', '.join(required)} "
            "(first row = the column names)."
        )
    return positions, units


def _blank(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.strip()
    return isinstance(cell, float) and math.isnan(cell)


def _table_from_rows(
    label: str,
    rows: Iterable[tuple[int, Sequence[Any]]],
    spec: Mapping[str, tuple[str, ...]],
    required: Sequence[str],
    *,
    source: str,
) -> _Table:
    """A table from numbered rows: the first non-blank row is the header, the data follow it.

    Blank rows above the header and after the last data row are skipped; a blank row between the
    header and a later data row is an error naming it, as the one-SPV reader's (a blank in the middle
    of the data is an error, not a row to drop: ``shared/spec/waterfall.md``, "Excel error
    conventions").
    """
    word = _ROW_WORDS[source]
    it = iter(rows)
    header = None
    for _, cells in it:
        if any(not _blank(c) for c in cells):
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
                if p not in used and not _blank(cells[p]):
                    raise SpvInputError(
                        f"{label}, {word} {number}: column {p + 1} holds {cells[p]!r} but has no column "
                        "name; name the column or clear it."
                    )
        numbers.append(number)
        data.append(cells)
    columns = {
        name: [cells[pos] if pos < len(cells) else None for cells in data] for name, pos in positions.items()
    }
    return _Table(label, columns, np.asarray(numbers, dtype=np.int64), units, source)


def _table_from_memory(label: str, table: Any, spec: Mapping[str, tuple[str, ...]]) -> _Table:
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
    required = _SPV_REQUIRED if spec is _SPV_COLUMNS else _FLOW_REQUIRED
    positions, units = _header(label, list(columns_in), spec, required)
    keys = list(columns_in)
    columns = {name: columns_in[keys[pos]] for name, pos in positions.items()}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise SpvInputError(
            f"{label}: the columns have different lengths {sorted(lengths)}; give one per row."
        )
    n = lengths.pop() if lengths else 0
    return _Table(label, columns, np.arange(1, n + 1, dtype=np.int64), units)


# ---- cells ---------------------------------------------------------------------------------------


#: What an xlsx cell holds when its formula failed (read as text by openpyxl).
_EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
#: Appended to a blank xlsx cell's message: openpyxl reads a formula's saved result, and there is none
#: when the file was written by a program that does not calculate.
_UNSAVED_FORMULA = " (a formula saved without its value reads as blank: open and save it in Excel)"
#: The fix of a bad number cell, by column.
_NUMBER_FIXES = {
    "value": "enter a number (fundings negative, distributions positive)",
    "committed": "enter the amount committed as a number",
}


def _parse_date(cell: Any, where: str, source: str) -> int:
    """Ordinal of a date cell, by the rules of its ``source`` (a kind of :data:`_ROW_WORDS`).

    - xlsx: an Excel date (read as a date or datetime) or a date serial; a text is refused, as the
      one-SPV reader refuses it (``'2026-03-31' is text, not a date``).
    - csv: an ISO text, ``YYYY-MM-DD`` (a time after it is allowed and dropped).
    - memory: a date, datetime, ``numpy.datetime64`` or Excel serial as it is; a text as in a CSV.
    """
    if _blank(cell):
        hint = _UNSAVED_FORMULA if source == "xlsx" else ""
        raise SpvInputError(f"{where}: the date is blank{hint}; enter a date.")
    if isinstance(cell, str):
        text = cell.strip()
        if source == "xlsx":
            if text.upper() in _EXCEL_ERRORS:
                raise SpvInputError(f"{where}: holds the error {text}; fix its formula or enter a date.")
            raise SpvInputError(
                f"{where}: {cell!r} is text, not a date; enter a real date (type it as 2026-03-31 in a "
                "date-formatted cell)."
            )
        try:
            return dt.datetime.fromisoformat(text).toordinal()
        except ValueError:
            raise SpvInputError(
                f"{where}: {cell!r} is not a date; write dates as YYYY-MM-DD, e.g. 2026-03-31."
            ) from None
    if isinstance(cell, (bool, np.bool_, dt.time, dt.timedelta)):
        raise SpvInputError(f"{where}: {cell!r} is not a date; enter a date.")
    return to_ordinal(cell, what=where)  # dates, datetimes and Excel serials (range-checked)


def _parse_number(cell: Any, where: str, source: str, fix: str = "enter a number") -> float:
    """A finite float from a number cell, by the rules of its ``source`` (a kind of :data:`_ROW_WORDS`).

    - xlsx: a number; a text (even ``'-2500'``), a date or a boolean is refused, as the one-SPV
      reader refuses it.
    - csv: a plain decimal text (``-1500``, ``200.5``, ``1e3``); no thousands separators, currency
      signs or parentheses.
    - memory: a number as it is; a text as in a CSV.

    ``fix`` ends the message of a cell that is not a number (what to enter instead).
    """
    if _blank(cell):
        hint = _UNSAVED_FORMULA if source == "xlsx" else ""
        raise SpvInputError(f"{where}: the cell is blank{hint}; enter a number (0 if nothing).")
    if isinstance(cell, str):
        text = cell.strip()
        if source == "xlsx":
            if text.upper() in _EXCEL_ERRORS:
                raise SpvInputError(f"{where}: holds the error {text}; fix its formula or enter a number.")
            raise SpvInputError(f"{where}: {cell!r} is text, not a number; {fix}.")
        try:
            number = float(text)
        except ValueError:
            raise SpvInputError(
                f"{where}: {cell!r} is not a number; write a plain number such as -1500 or 200.5 (no "
                "thousands separators or currency signs)."
            ) from None
    elif isinstance(cell, (bool, np.bool_)):
        raise SpvInputError(f"{where}: {cell!r} is not a number; {fix}.")
    elif isinstance(cell, (dt.date, dt.time, dt.timedelta, np.datetime64)):
        raise SpvInputError(f"{where}: holds a date or time, not a number; {fix}.")
    elif isinstance(cell, (int, float, np.integer, np.floating)):
        number = float(cell)
    else:
        raise SpvInputError(f"{where}: {cell!r} is not a number; {fix}.")
    if not math.isfinite(number):
        shown = cell if isinstance(cell, str) else number  # inf, not np.float64(inf)
        raise SpvInputError(f"{where}: {shown!r} is not a finite number; enter a number.")
    return number


def _norm_id(cell: Any, where: str) -> str:
    """An SPV id as text: ``1``, ``1.0`` and ``"1"`` are the same id."""
    if _blank(cell):
        raise SpvInputError(f"{where}: the SPV id is blank; enter the SPV's id.")
    if isinstance(cell, (bool, np.bool_, dt.date, np.datetime64)):
        raise SpvInputError(f"{where}: {cell!r} is not an SPV id; enter a text or a whole number.")
    if isinstance(cell, (float, np.floating)):
        return str(int(cell)) if float(cell).is_integer() else repr(float(cell))
    if isinstance(cell, (int, np.integer)):
        return str(int(cell))
    return str(cell).strip()


def _canonical_sector(text: str) -> str:
    clean = " ".join(text.split())
    return _SECTOR_ALIASES.get(clean.lower(), clean)


# ---- building and checking -----------------------------------------------------------------------


def _spv_rows(table: _Table) -> tuple[list[Spv], str | None]:
    cols = table.columns
    spvs: list[Spv] = []
    seen: dict[str, int] = {}
    units: set[str] = set()
    for i in range(len(table)):
        where = table.where(i)
        spv_id = _norm_id(cols["id"][i], f"{where}, column id")
        if spv_id in seen:
            raise SpvInputError(
                f"{where}: SPV id {spv_id!r} is also on {table.where(seen[spv_id])}; "
                "give each SPV its own id."
            )
        seen[spv_id] = i
        raw_name = cols["name"][i]
        name = "" if _blank(raw_name) else str(raw_name).strip()
        raw_sector = cols["sector"][i]
        if _blank(raw_sector) or not isinstance(raw_sector, str):
            raise SpvInputError(
                f"{where}, column sector: {raw_sector!r} is not a sector; "
                f"enter one of {', '.join(NAMED_SECTORS)}."
            )
        notice = to_date(_parse_date(cols["notice_date"][i], f"{where}, column notice_date", table.source))
        committed = _parse_number(
            cols["committed"][i], f"{where}, column committed", table.source, _NUMBER_FIXES["committed"]
        )
        if committed < 0:
            raise SpvInputError(
                f"{where}, column committed: {committed!r} is negative; enter the amount committed (>= 0)."
            )
        if "unit" in cols and not _blank(cols["unit"][i]):
            units.add(_canonical_unit(cols["unit"][i], f"{where}, column unit"))
        overrides = _term_overrides(cols, i, f"{where} (SPV {spv_id!r})")
        comment = cols.get("comment", [None] * len(table))[i]
        spvs.append(
            Spv(
                spv_id,
                name,
                _canonical_sector(raw_sector),
                notice,
                committed,
                overrides,
                "" if _blank(comment) else str(comment),
                where,
            )
        )
    if not spvs:
        raise SpvInputError(f"{table.label}: no SPVs; add one row per SPV below the column names.")
    units |= set(table.header_units.values())
    if len(units) > 1:
        raise SpvInputError(
            f"{table.label}: the unit column mixes {' and '.join(sorted(units))}; use one unit for every SPV."
        )
    return spvs, units.pop() if units else None


def _term_overrides(cols: Mapping[str, Any], i: int, where: str) -> tuple[tuple[str, Any], ...]:
    """The SPV's own term values, validated (so a bad one names its row now, not at analyse time)."""
    given = {name: cols[name][i] for name in TERM_COLUMNS if name in cols and not _blank(cols[name][i])}
    if not given:
        return ()
    try:
        probe = Terms(**{"deemed_rate": 0.05, **given})
    except TermsError as exc:
        raise TermsError(f"{where}: {exc}") from None
    return tuple(sorted((name, getattr(probe, name)) for name in given))


def _flow_ids(table: _Table, index: Mapping[str, int]) -> np.ndarray:
    raw = table.columns["spv_id"]
    codes, uniques = pd.factorize(pd.Series(np.asarray(raw, dtype=object), dtype=object))
    blank = np.flatnonzero(codes < 0)
    if blank.size:
        raise SpvInputError(
            f"{table.where(int(blank[0]))}, column spv_id: the SPV id is blank; enter the SPV's id."
        )
    first = _first_rows(codes, len(uniques))
    mapped = np.array(
        [
            index.get(_norm_id(u, f"{table.where(int(first[k]))}, column spv_id"), -1)
            for k, u in enumerate(uniques)
        ],
        dtype=np.int64,
    )
    spv = mapped[codes]
    unknown = np.flatnonzero(spv < 0)
    if unknown.size:
        bad_ids = sorted({_norm_id(uniques[codes[j]], "") for j in unknown})
        more = (
            f" ({unknown.size} rows in all name unknown SPVs: {', '.join(map(repr, bad_ids[:5]))}"
            f"{', ...' if len(bad_ids) > 5 else ''})"
            if unknown.size > 1
            else ""
        )
        raise SpvInputError(
            f"{table.where(int(unknown[0]))}, column spv_id: "
            f"SPV {_norm_id(uniques[codes[unknown[0]]], '')!r} "
            f"is not in the SPV table{more}; add the SPV there or correct the id."
        )
    return spv


def _first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """Position of the first row of each code."""
    first = np.full(n, codes.size, dtype=np.int64)
    np.minimum.at(first, codes[codes >= 0], np.flatnonzero(codes >= 0))
    return first


def _flow_days(table: _Table) -> np.ndarray:
    raw = table.columns["date"]
    if isinstance(raw, np.ndarray) and raw.dtype.kind == "M":
        days = raw.astype("datetime64[D]")
        bad = np.flatnonzero(np.isnat(days))
        if bad.size:
            raise SpvInputError(f"{table.where(int(bad[0]))}, column date: the date is blank; enter a date.")
        return days.astype(np.int64) + dt.date(1970, 1, 1).toordinal()
    codes, uniques = pd.factorize(pd.Series(np.asarray(raw, dtype=object), dtype=object))
    blank = np.flatnonzero(codes < 0)
    if blank.size:
        _parse_date(None, f"{table.where(int(blank[0]))}, column date", table.source)
    first = _first_rows(codes, len(uniques))
    parsed = np.array(
        [
            _parse_date(u, f"{table.where(int(first[k]))}, column date", table.source)
            for k, u in enumerate(uniques)
        ],
        dtype=np.int64,
    )
    return parsed[codes]


def _flow_values(table: _Table) -> np.ndarray:
    raw = table.columns["value"]
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iuf":
        arr = raw.astype(np.float64)
    else:
        # The fast path takes what _parse_number would take anyway: numbers (any source) or texts (a
        # CSV's, or in memory; numpy parses texts as float() does). Anything else, a non-finite number,
        # or a text that is no number goes through the careful path, which names the first bad row.
        kinds = set(map(type, raw))
        numbers = all(issubclass(k, (int, float, np.integer, np.floating)) for k in kinds) and not any(
            issubclass(k, (bool, np.bool_)) for k in kinds
        )
        texts = kinds == {str} and table.source != "xlsx"
        try:
            arr = np.asarray(raw, dtype=np.float64) if numbers or texts else None
        except (TypeError, ValueError):
            arr = None
    if arr is not None and np.isfinite(arr).all():
        return arr
    fix = _NUMBER_FIXES["value"]
    return np.array(
        [_parse_number(v, f"{table.where(i)}, column value", table.source, fix) for i, v in enumerate(raw)],
        dtype=np.float64,
    )


def _build(
    spv_table: _Table, flow_table: _Table, *, unit: str | None, terms: Terms | None, sources: tuple[Path, ...]
) -> Portfolio:
    spvs, table_unit = _spv_rows(spv_table)
    flow_units = set(flow_table.header_units.values())
    given = {u for u in (table_unit, *flow_units) if u}
    if unit is not None:
        given.add(_canonical_unit(unit, "unit"))
    if len(given) > 1:
        raise SpvInputError(
            f"{spv_table.label} and {flow_table.label}: the money units differ "
            f"({' and '.join(sorted(given))}); "
            "use one unit for commitments and flows."
        )
    index = {s.id: i for i, s in enumerate(spvs)}
    if len(flow_table) == 0:
        raise SpvInputError(
            f"{flow_table.label}: no flow rows; add (spv_id, date, value) rows below the column names."
        )
    spv = _flow_ids(flow_table, index)
    days = _flow_days(flow_table)
    values = _flow_values(flow_table)
    counts = np.bincount(spv, minlength=len(spvs))
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        first = spvs[int(empty[0])]
        more = f" ({empty.size} SPVs have none)" if empty.size > 1 else ""
        raise SpvInputError(
            f"{first.where}: SPV {first.id!r} has no rows in {flow_table.label}{more}; add its cash flows "
            "(fundings negative, distributions positive) or remove the SPV."
        )
    return Portfolio(
        spvs=tuple(spvs),
        flow_spv=spv,
        flow_days=days,
        flow_values=values,
        flow_rows=flow_table.rows,
        unit=given.pop() if given else "$m",
        terms=terms,
        sources=sources,
        spv_label=spv_table.label,
        flow_label=flow_table.label,
        row_word=flow_table.row_word,
    )


# ---- loaders -------------------------------------------------------------------------------------


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

    The cells follow the one-SPV reader's rules (``xlspv report``): in a workbook a number must be a
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
    from .workbooks.files import MACRO_SUFFIXES

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
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    from .workbooks.files import check_workbook_package

    if not path.is_file():
        raise SpvInputError(f"{path}: no such file; give the portfolio workbook (.xlsx).")
    check_workbook_package(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as exc:
        raise SpvInputError(f"{path}: not a readable xlsx workbook ({exc}); save it as .xlsx.") from None
    try:
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
            kind: _table_from_rows(
                f"{path.name}, sheet {kind}", rows(kind) or (), spec, required, source="xlsx"
            )
            for kind, spec, required in (
                ("SPVs", _SPV_COLUMNS, _SPV_REQUIRED),
                ("Flows", _FLOW_COLUMNS, _FLOW_REQUIRED),
            )
        }
        term_rows = rows("Terms")
        terms = _terms_from_rows(f"{path.name}, sheet Terms", term_rows) if term_rows is not None else None
    finally:
        wb.close()
    return _build(tables["SPVs"], tables["Flows"], unit=None, terms=terms, sources=(path,))


def _csv_rows(path: Path) -> Iterable[tuple[int, Sequence[Any]]]:
    """The file's records, each numbered by its line (the last line of a record that spans several)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        for record in reader:
            yield reader.line_num, record


def _load_csv(spvs: Path, flows: Path, terms: Path, *, folder: Path) -> Portfolio:
    for needed in (spvs, flows):
        if not needed.is_file():
            raise SpvInputError(
                f"{folder}: no {needed.name}; a CSV portfolio is spvs.csv and flows.csv in one folder."
            )
    try:
        spv_table = _table_from_rows(spvs.name, _csv_rows(spvs), _SPV_COLUMNS, _SPV_REQUIRED, source="csv")
        flow_table = _table_from_rows(
            flows.name, _csv_rows(flows), _FLOW_COLUMNS, _FLOW_REQUIRED, source="csv"
        )
        term_values = _terms_from_rows(terms.name, _csv_rows(terms)) if terms.is_file() else None
    except UnicodeDecodeError as exc:
        raise SpvInputError(
            f"{folder}: a CSV file is not UTF-8 text ({exc}); save it as CSV UTF-8."
        ) from None
    except csv.Error as exc:
        raise SpvInputError(
            f"{folder}: a CSV file cannot be read as CSV ({exc}); save it again as CSV."
        ) from None
    sources = tuple(p for p in (spvs, flows, terms) if p.is_file())
    return _build(spv_table, flow_table, unit=None, terms=term_values, sources=sources)


def _terms_from_rows(label: str, rows: Iterable[tuple[int, Sequence[Any]]]) -> Terms:
    """Default terms from name/value rows (a header row ``term, value`` is skipped)."""
    pairs = []
    for _, cells in rows:
        cells = tuple(c for c in cells)
        while cells and _blank(cells[-1]):
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


def save_inputs(portfolio: Portfolio, path: str | Path) -> Path:
    """Write a portfolio as an input workbook (sheets SPVs, Flows and, with terms, Terms).

    The file loads back with :func:`load_portfolio`; the built-in example and the benchmark use it.
    Written with openpyxl's write-only mode (fast for many flow rows).
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("SPVs")
    term_cols = [c for c in TERM_COLUMNS if any(dict(s.terms).get(c) is not None for s in portfolio.spvs)]
    ws.append(["id", "name", "sector", "notice_date", f"committed ({portfolio.unit})", *term_cols, "comment"])
    for s in portfolio.spvs:
        own = dict(s.terms)
        ws.append(
            [
                s.id,
                s.name,
                s.sector,
                s.notice_date,
                s.committed,
                *[own.get(c) for c in term_cols],
                s.comment or None,
            ]
        )
    wf = wb.create_sheet("Flows")
    wf.append(["spv_id", "date", f"value ({portfolio.unit})"])
    ids = portfolio.ids
    for k, d, v in zip(
        portfolio.flow_spv.tolist(),
        to_datetime64(portfolio.flow_days).tolist(),
        portfolio.flow_values.tolist(),
        strict=True,
    ):
        wf.append([ids[k], d, v])
    if portfolio.terms is not None:
        wt = wb.create_sheet("Terms")
        wt.append(["term", "value"])
        for name, value in portfolio.terms.as_rows():
            if value is not None:
                wt.append([name, value])
    target = Path(path)
    wb.save(target)
    return target


# ---- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapStatus:
    """Commitments against the $550bn cap and fundings against the deadline (money in ``unit``)."""

    unit: str
    cap: float
    committed: float
    headroom: float
    used: float
    funded: float
    deadline: dt.date
    min_notice_days: int
    funded_after_deadline: float
    fundings_after_deadline: int
    fundings_short_notice: int
    late_notices: int
    by_year: pd.DataFrame


@dataclass(frozen=True)
class ProgramSummary:
    """Headline figures of the whole program (money in ``unit``; rates as decimals).

    ``threshold_date`` is the date every SPV has recovered its deemed allocation (the latest SPV
    threshold), ``None`` while any SPV has not; ``xirr_japan`` is the XIRR of Japan's flows summed over
    every SPV by date.
    """

    spvs: int
    flow_rows: int
    committed: float
    funded: float
    distributed: float
    japan_received: float
    us_received: float
    partner_received: float
    unrecovered: float
    reached: int
    threshold_date: dt.date | None
    xirr_japan: float | None
    first_date: dt.date
    last_date: dt.date


@dataclass(frozen=True)
class Sensitivity:
    """Japan's XIRR and threshold year over a grid of deemed rates and cash scalings.

    Per-SPV arrays are shaped (SPVs, scales, rates); program arrays (scales, rates). ``threshold_year``
    is NaN where the threshold is not reached; the program's is the year the last SPV reaches it (NaN
    while any SPV does not). ``xirr_japan`` is NaN where Japan's flows have no IRR. A scale multiplies
    every distribution (positive value); fundings are not scaled.
    """

    rates: np.ndarray
    scales: np.ndarray
    spv_ids: tuple[str, ...]
    xirr_japan: np.ndarray
    threshold_year: np.ndarray
    japan_received: np.ndarray
    program_xirr_japan: np.ndarray
    program_threshold_year: np.ndarray
    program_japan_received: np.ndarray
    program_reached: np.ndarray

    def table(self) -> pd.DataFrame:
        """Long table: one row per (SPV or "PROGRAM", scale, rate)."""
        n_spv, n_s, n_r = self.xirr_japan.shape
        ids = np.array([*self.spv_ids, "PROGRAM"], dtype=object)
        stack = lambda spv, prog: np.concatenate([spv, prog[None]], axis=0).ravel()  # noqa: E731
        return pd.DataFrame(
            {
                "spv_id": np.repeat(ids, n_s * n_r),
                "scale": np.tile(np.repeat(self.scales, n_r), n_spv + 1),
                "deemed_rate": np.tile(self.rates, (n_spv + 1) * n_s),
                "xirr_japan": stack(self.xirr_japan, self.program_xirr_japan),
                "threshold_year": stack(self.threshold_year, self.program_threshold_year),
                "japan_received": stack(self.japan_received, self.program_japan_received),
            }
        )


@dataclass(frozen=True, eq=False)
class PortfolioResult:
    """Everything the program view computes (see :func:`analyse`); money in ``unit``.

    - ``spvs``: one row per SPV (pandas DataFrame; dates are ``datetime.date`` or ``None``).
    - ``years``: cash by calendar year for the whole program (``japan_funded``, ``distributed``,
      ``japan_received``, ``partner_received``, ``us_received``).
    - ``sectors``: the sector breakdown; ``flags``: every flag with its reason; ``cap``: the cap and the
      deadline; ``program``: headline figures; ``sensitivity``: the rate grid, if computed;
      ``readings``: both readings of the deemed allocation side by side, if computed.
    """

    portfolio: Portfolio
    terms: Terms
    unit: str
    spvs: pd.DataFrame
    years: pd.DataFrame
    sectors: pd.DataFrame
    flags: pd.DataFrame
    cap: CapStatus
    program: ProgramSummary
    sensitivity: Sensitivity | None = None
    readings: Readings | None = None


# ---- analysis ------------------------------------------------------------------------------------


def _default_terms(portfolio: Portfolio, terms: Terms | None) -> Terms:
    base = terms if terms is not None else portfolio.terms
    if base is None:
        raise TermsError(
            "deemed_rate: required (no default); give terms (e.g. Terms(0.05)) or a Terms sheet in the input."
        )
    if not isinstance(base, Terms):
        from .waterfall import as_terms

        base = as_terms(base)
    if base.allocation_basis != "cumulative":
        raise TermsError(
            "allocation_basis: the portfolio view runs on the batch path, which computes the cumulative "
            "basis only; use allocation_basis 'cumulative' and ask for the readings comparison "
            "(analyse(..., readings=True)) to see the scheduled basis beside it."
        )
    return base


def _nan_to_none(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def _dates_or_none(days: np.ndarray) -> list[dt.date | None]:
    return [None if d < 0 else to_date(d) for d in days.tolist()]


def _years(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day ordinal (through a table of the days spanned: no datetime conversion)."""
    if days.size == 0:
        return days.copy()
    lo = int(days.min())
    table = to_datetime64(np.arange(lo, int(days.max()) + 1)).astype("datetime64[Y]").astype(np.int64) + 1970
    return table[days - lo]


def _day_index(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct days (sorted) and each day's position among them: ``np.unique`` in O(n), no sort."""
    lo = int(days.min())
    offset = days - lo
    present = np.zeros(int(offset.max()) + 1, dtype=bool)
    present[offset.ravel()] = True
    unique = np.flatnonzero(present) + lo
    return unique, (np.cumsum(present) - 1)[offset]


#: Columns of :func:`_rollup`'s sums, per SPV and per year.
_FUNDED, _DISTRIBUTED, _JAPAN, _US, _PARTNER = range(5)


@njit(cache=True, nogil=True)
def _rollup_kernel(values, japan, us, partner_share, days, year_of_day, lo, n_years):  # type: ignore[no-untyped-def]  # noqa: E501
    """One pass over the batch: per SPV and per calendar year, the amounts funded and distributed and
    the payouts to Japan, the US and the partner (columns ``_FUNDED`` ... ``_PARTNER``)."""
    n_spv, n_rows = values.shape
    per_spv = np.zeros((n_spv, 5))
    per_year = np.zeros((n_years, 5))
    for s in range(n_spv):
        share = partner_share[s]
        for r in range(n_rows):
            y = year_of_day[days[s, r] - lo]
            v = values[s, r]
            if v < 0.0:
                per_spv[s, _FUNDED] -= v
                per_year[y, _FUNDED] -= v
            elif v > 0.0:
                per_spv[s, _DISTRIBUTED] += v
                per_year[y, _DISTRIBUTED] += v
            per_spv[s, _JAPAN] += japan[s, r]
            per_year[y, _JAPAN] += japan[s, r]
            per_spv[s, _US] += us[s, r]
            per_year[y, _US] += us[s, r]
            per_year[y, _PARTNER] += share * japan[s, r]
    per_spv[:, _PARTNER] = partner_share * per_spv[:, _JAPAN]
    return per_spv, per_year


def _rollup(batch: Batch, days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-SPV and per-year sums of the batch (see :func:`_rollup_kernel`), and the years they cover."""
    lo, hi = int(days.min()), int(days.max())
    calendar = _years(np.arange(lo, hi + 1, dtype=np.int64))
    y0 = int(calendar[0])
    year_of_day = (calendar - y0).astype(np.int64)
    per_spv, per_year = _rollup_kernel(
        batch.values, batch.japan, batch.us, batch.partner_share, np.ascontiguousarray(days),
        year_of_day, lo, int(year_of_day[-1]) + 1,
    )
    return per_spv, per_year, np.arange(y0, y0 + per_year.shape[0])


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def analyse(
    portfolio: Portfolio,
    terms: Terms | None = None,
    progress: Progress | None = None,
    *,
    rates: Sequence[float] | None = None,
    scales: Sequence[float] = (1.0,),
    readings: bool = False,
) -> PortfolioResult:
    """Compute the program view of a portfolio: every SPV in one batch, then the program's tables.

    Parameters
    ----------
    portfolio : Portfolio
        The checked input (:func:`load_portfolio` or :meth:`Portfolio.from_tables`).
    terms : Terms, optional
        Default terms (each SPV's own term columns apply on top); the portfolio's own ``terms`` if
        omitted. Cumulative basis only (the batch path).
    progress : callable, optional
        Called with a one-line message (lower case, no full stop) at each stage; the command line
        prints them on stderr.
    rates : sequence of float, optional
        Deemed rates of the sensitivity grid (decimals). ``None``: the default rate -2, -1, -0.5, 0,
        +0.5, +1 and +2 points; an empty sequence: no sensitivity.
    scales : sequence of float, default (1.0,)
        Scaling factors of distributable cash for the sensitivity grid.
    readings : bool, default False
        Also compare both readings of the deemed allocation (:func:`compare_readings`: the scheduled
        basis runs one SPV at a time, some 25-35 ms per 480-row SPV, so it is computed only when asked).

    Returns
    -------
    PortfolioResult
        Money in the portfolio's unit; XIRRs as decimals (NaN where a party's flows have none: the US
        never funds, so it has none).

    Notes
    -----
    One :func:`~xlspv.waterfall.waterfall_batch` call computes every SPV (scenarios = SPVs, dates per
    SPV, terms per SPV, short schedules padded with zero values on their first date: see
    :attr:`Portfolio.padded`). One compiled pass (:func:`_rollup`) then sums the batch's rows per SPV
    and per calendar year; the per-SPV XIRRs come from :meth:`~xlspv.waterfall.Batch.xirr`.

    Examples
    --------
    Two SPVs at a 10% deemed rate. A: Japan funds 100 and gets 30 of 60 a year later and 90.4 of 200 a
    year after (88 clears its balance, plus 10% of the other 24). B: Japan funds 50, 30 days after
    notice (a flag); a year later its balance is 55 and it gets 10 of 20, leaving 45 unrecovered.

    >>> import datetime as dt
    >>> from xlspv import Terms
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "A", "name": "Plant", "sector": "energy", "notice_date": D(2024, 11, 1),
    ...       "committed": 100},
    ...      {"id": "B", "name": "Mine", "sector": "metals", "notice_date": D(2025, 6, 1), "committed": 50}],
    ...     {"spv_id": ["A", "A", "A", "B", "B"],
    ...      "date": [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1), D(2025, 7, 1), D(2026, 7, 1)],
    ...      "value": [-100, 60, 200, -50, 20]})
    >>> r = analyse(p, Terms(0.10), rates=())
    >>> r.spvs[["id", "japan_received", "unrecovered", "threshold_date"]].round(6).values.tolist()
    [['A', 120.4, 0.0, datetime.date(2027, 1, 1)], ['B', 10.0, 45.0, None]]
    >>> r.years.set_index("year")["japan_received"].round(6).to_dict()
    {2025: 0.0, 2026: 40.0, 2027: 90.4}
    >>> r.flags[["kind", "spv_id"]].values.tolist()
    [['notice', 'B']]
    """
    term_list = portfolio.terms_for(terms)
    base = _default_terms(portfolio, terms)
    values, days = portfolio.padded
    n, width = values.shape
    _say(
        progress,
        f"checked {n:,} SPVs and {portfolio.flow_values.size:,} flow rows (longest schedule {width:,} rows)",
    )
    batch = waterfall_batch(values, to_datetime64(days), term_list)
    _say(progress, f"computed {n:,} waterfalls in one batch ({n:,} x {width:,})")
    per_spv, per_year, calendar_years = _rollup(batch, days)
    funded = per_spv[:, _FUNDED]
    japan_flows = batch.party_flows("japan")  # minus fundings plus payouts, per SPV and row
    xirr = _party_xirrs(batch, japan_flows)
    _say(progress, f"computed the XIRRs of {n:,} SPVs")
    flags = _flags(portfolio, funded)
    spv_rows = _spv_table(portfolio, term_list, batch, days, per_spv, xirr, _flag_counts(flags, n))
    years = pd.DataFrame(
        {
            "year": calendar_years,
            "japan_funded": per_year[:, _FUNDED],
            "distributed": per_year[:, _DISTRIBUTED],
            "japan_received": per_year[:, _JAPAN],
            "partner_received": per_year[:, _PARTNER],
            "us_received": per_year[:, _US],
        }
    )
    _say(progress, f"summed cash by year ({len(years)} years) and by sector; {len(flags):,} flags")
    result = PortfolioResult(
        portfolio=portfolio,
        terms=base,
        unit=portfolio.unit,
        spvs=spv_rows,
        years=years,
        sectors=_sectors(spv_rows),
        flags=flags.drop(columns="spv_index"),
        cap=_cap_status(portfolio, funded),
        program=_program_summary(portfolio, spv_rows, batch, days, japan_flows),
    )
    del batch
    if readings:
        result = dataclasses.replace(result, readings=compare_readings(result, progress))
    if rates is None or len(rates):
        grid = default_rates(base) if rates is None else rates
        sens = sensitivity(portfolio, base, grid, scales, progress=progress)
        result = dataclasses.replace(result, sensitivity=sens)
    return result


def _party_xirrs(batch: Batch, japan_flows: np.ndarray) -> dict[str, np.ndarray]:
    """Each SPV's XIRR per party (NaN where its flows have none).

    The US never funds (its payouts are never negative), so it has no IRR: its search runs only when
    some US flow is negative; the partner's only when some SPV has a partner share.
    """
    none = np.full(batch.japan.shape[0], np.nan)
    xirr = {
        "japan": xirr_many(japan_flows, np.broadcast_to(batch.days, japan_flows.shape)),
        "project": batch.xirr("project"),
    }
    xirr["us"] = batch.xirr("us") if (batch.us < 0.0).any() else none
    xirr["partner"] = batch.xirr("partner") if (batch.partner_share > 0).any() else none
    return xirr


def _flag_counts(flags: pd.DataFrame, n: int) -> np.ndarray:
    """How many flags each of the ``n`` SPVs has (program-wide flags, ``spv_index`` -1, count for none)."""
    if not len(flags):
        return np.zeros(n, dtype=np.int64)
    return flags["spv_index"].value_counts().reindex(range(n), fill_value=0).to_numpy()


def _funding_dates(portfolio: Portfolio) -> tuple[np.ndarray, np.ndarray]:
    """Each SPV's first and last funding day (ordinals; -1 for an SPV that never funds)."""
    funding = np.flatnonzero(portfolio.flow_values < 0.0)  # a few rows per SPV, not every flow
    spv, days = portfolio.flow_spv[funding], portfolio.flow_days[funding]
    never = np.iinfo(np.int64).max
    first = np.full(len(portfolio.spvs), never, dtype=np.int64)
    last = np.full(len(portfolio.spvs), -1, dtype=np.int64)
    np.minimum.at(first, spv, days)
    np.maximum.at(last, spv, days)
    return np.where(first == never, -1, first), last


def _spv_table(
    portfolio: Portfolio,
    term_list: Sequence[Terms],
    batch: Batch,
    days: np.ndarray,
    per_spv: np.ndarray,
    xirr: Mapping[str, np.ndarray],
    flag_counts: np.ndarray,
) -> pd.DataFrame:
    """One row per SPV: the batch's sums (:func:`_rollup`), the XIRRs, threshold and funding dates."""
    funded, japan = per_spv[:, _FUNDED], per_spv[:, _JAPAN]
    partner_share = batch.partner_share
    thr = batch.threshold_days
    reached = thr >= 0
    first_funding, last_funding = _funding_dates(portfolio)
    with np.errstate(divide="ignore", invalid="ignore"):
        multiple = np.where(funded > 0.0, japan / funded, np.nan)
    spvs = portfolio.spvs
    return pd.DataFrame(
        {
            "id": portfolio.ids,
            "name": [s.name for s in spvs],
            "sector": [s.sector for s in spvs],
            "named_sector": [s.named_sector for s in spvs],
            "notice_date": [s.notice_date for s in spvs],
            "committed": portfolio.committed,
            "funded": funded,
            "distributed": per_spv[:, _DISTRIBUTED],
            "japan_received": japan,
            "us_received": per_spv[:, _US],
            "partner_received": per_spv[:, _PARTNER],
            "unrecovered": batch.unrecovered,
            "threshold_date": _dates_or_none(np.where(reached, thr, -1)),
            "years_to_threshold": np.where(reached, (thr - days.min(axis=1)) / 365.25, np.nan),
            "xirr_japan": xirr["japan"],
            "xirr_us": xirr["us"],
            "xirr_partner": xirr["partner"],
            "xirr_project": xirr["project"],
            "multiple_japan": multiple,
            "deemed_rate": [t.flat_rate if t.flat_rate is not None else np.nan for t in term_list],
            "partner_share": partner_share,
            "first_funding": _dates_or_none(first_funding),
            "last_funding": _dates_or_none(last_funding),
            "flags": flag_counts,
        }
    )


def _program_summary(
    portfolio: Portfolio, spvs: pd.DataFrame, batch: Batch, days: np.ndarray, japan_flows: np.ndarray
) -> ProgramSummary:
    """The headline figures: the per-SPV table's totals, the program threshold and Japan's program XIRR."""
    total = lambda column: float(spvs[column].to_numpy().sum())  # noqa: E731
    thr = batch.threshold_days
    reached = thr >= 0
    program_xirr = _program_xirr(japan_flows[None], days)[0]
    return ProgramSummary(
        spvs=len(spvs),
        flow_rows=int(portfolio.flow_values.size),
        committed=float(portfolio.committed.sum()),
        funded=total("funded"),
        distributed=total("distributed"),
        japan_received=total("japan_received"),
        us_received=total("us_received"),
        partner_received=total("partner_received"),
        unrecovered=total("unrecovered"),
        reached=int(reached.sum()),
        threshold_date=to_date(int(thr.max())) if reached.all() else None,
        xirr_japan=None if math.isnan(program_xirr) else float(program_xirr),
        first_date=to_date(int(days.min())),
        last_date=to_date(int(days.max())),
    )


def default_rates(terms: Terms) -> np.ndarray:
    """The default sensitivity grid: the deemed rate -2, -1, -0.5, 0, +0.5, +1 and +2 points.

    With a rate schedule, the grid is centred on its first rate (each grid point is a flat rate).
    """
    rate = terms.flat_rate
    if rate is None:
        assert isinstance(terms.deemed_rate, RateSchedule)
        rate = terms.deemed_rate.rates[0]
    steps = np.array([-0.02, -0.01, -0.005, 0.0, 0.005, 0.01, 0.02])
    grid = np.round(rate + steps, 10)
    return grid[grid > -1.0]


def _program_xirr(japan_flows: np.ndarray, days: np.ndarray) -> np.ndarray:
    """XIRR of Japan's flows summed over SPVs by date, per grid point: ``japan_flows`` (grid, SPVs, rows)."""
    unique, inverse = _day_index(days)
    n_grid = japan_flows.shape[0]
    key = (np.arange(n_grid)[:, None, None] * unique.size + inverse[None]).ravel()
    sums = np.bincount(key, weights=japan_flows.ravel(), minlength=n_grid * unique.size)
    return xirr_many(sums.reshape(n_grid, unique.size), unique[None, :])


def _sectors(spvs: pd.DataFrame) -> pd.DataFrame:
    codes, names = pd.factorize(spvs["sector"], sort=False)
    order = np.argsort(
        [NAMED_SECTORS.index(s) if s in NAMED_SECTORS else len(NAMED_SECTORS) for s in names], kind="stable"
    )
    k = len(names)
    total = lambda col: np.bincount(codes, weights=spvs[col].to_numpy(), minlength=k)  # noqa: E731
    committed = total("committed")
    all_committed = committed.sum()
    table = pd.DataFrame(
        {
            "sector": list(names),
            "named": [s in NAMED_SECTORS for s in names],
            "spvs": np.bincount(codes, minlength=k),
            "committed": committed,
            "funded": total("funded"),
            "distributed": total("distributed"),
            "japan_received": total("japan_received"),
            "us_received": total("us_received"),
            "unrecovered": total("unrecovered"),
            "share_committed": committed / all_committed if all_committed > 0 else np.zeros(k),
        }
    )
    return table.iloc[order].reset_index(drop=True)


def _cap_status(portfolio: Portfolio, funded: np.ndarray) -> CapStatus:
    deadline = FUNDING_DEADLINE.toordinal()
    values, days = portfolio.flow_values, portfolio.flow_days
    funding = np.flatnonzero(values < 0.0)  # the funding rows: a few per SPV, not every flow
    after = funding[days[funding] > deadline]
    short = days[funding] - portfolio.notice_days[portfolio.flow_spv[funding]] < MIN_NOTICE_DAYS
    committed = portfolio.committed
    notice_years = _years(portfolio.notice_days)
    fund_years = _years(days[funding])
    first_flow_year = _years(days.min(keepdims=True))[0] if days.size else notice_years.min()
    y0 = int(min(notice_years.min(), first_flow_year))
    n_years = int(max(notice_years.max(), fund_years.max() if funding.size else y0)) - y0 + 1
    count = lambda idx, w=None: np.bincount(idx - y0, weights=w, minlength=n_years)  # noqa: E731
    by_year = pd.DataFrame(
        {
            "year": np.arange(y0, y0 + n_years),
            "spvs_noticed": count(notice_years).astype(np.int64),
            "committed": count(notice_years, committed),
            "funded": count(fund_years, -values[funding]),
            "funded_after_deadline": count(_years(days[after]), -values[after])
            if after.size
            else np.zeros(n_years),
        }
    )
    total = float(committed.sum())
    cap = portfolio.cap
    return CapStatus(
        unit=portfolio.unit,
        cap=cap,
        committed=total,
        headroom=cap - total,
        used=total / cap,
        funded=float(funded.sum()),
        deadline=FUNDING_DEADLINE,
        min_notice_days=MIN_NOTICE_DAYS,
        funded_after_deadline=float(-values[after].sum()),
        fundings_after_deadline=int(after.size),
        fundings_short_notice=int(short.sum()),
        late_notices=int((portfolio.notice_days > deadline - MIN_NOTICE_DAYS).sum()),
        by_year=by_year,
    )


#: Flag kinds, in the order the Flags table lists them.
FLAG_KINDS = ("cap", "notice", "deadline", "overfunded", "late notice", "sector")


def _flags(portfolio: Portfolio, funded: np.ndarray) -> pd.DataFrame:
    """Every flag: kind, SPV, date, amount, source row and reason (vectorised detection)."""
    unit = portfolio.unit
    spvs = portfolio.spvs
    values, days, spv = portfolio.flow_values, portfolio.flow_days, portfolio.flow_spv
    deadline = FUNDING_DEADLINE.toordinal()
    rows: list[tuple[Any, ...]] = []
    committed = portfolio.committed
    total = float(committed.sum())
    if total > portfolio.cap:
        rows.append(
            (
                "cap",
                -1,
                None,
                total,
                portfolio.spv_label,
                f"Commitments of {total:,.1f} {unit} exceed the $550bn program cap ({portfolio.cap:,.1f} "
                f"{unit}) by {total - portfolio.cap:,.1f} {unit}.",
            )
        )
    funding = np.flatnonzero(values < 0.0)  # the funding rows: a few per SPV, not every flow
    gap = days[funding] - portfolio.notice_days[spv[funding]]
    for j, days_after_notice in zip(
        funding[gap < MIN_NOTICE_DAYS].tolist(), gap[gap < MIN_NOTICE_DAYS].tolist(), strict=True
    ):
        s = spvs[spv[j]]
        when = "after" if days_after_notice >= 0 else "before"
        rows.append(
            (
                "notice",
                int(spv[j]),
                to_date(days[j]),
                float(-values[j]),
                portfolio.flow_where(j),
                f"Funding dated {to_date(days[j])} is {abs(days_after_notice)} days {when} the notice of "
                f"{s.notice_date}; the MOU requires at least {MIN_NOTICE_DAYS} days after notice.",
            )
        )
    for j in funding[days[funding] > deadline].tolist():
        rows.append(
            (
                "deadline",
                int(spv[j]),
                to_date(days[j]),
                float(-values[j]),
                portfolio.flow_where(j),
                f"Funding dated {to_date(days[j])} is {int(days[j] - deadline)} days after the program "
                f"deadline of {FUNDING_DEADLINE:%d %B %Y}.",
            )
        )
    tolerance = 1e-9 * np.maximum(1.0, committed)
    for i in np.flatnonzero(funded > committed + tolerance).tolist():
        rows.append(
            (
                "overfunded",
                i,
                None,
                float(funded[i] - committed[i]),
                spvs[i].where,
                f"Funded {funded[i]:,.1f} {unit} is above the committed {committed[i]:,.1f} {unit} "
                f"(by {funded[i] - committed[i]:,.1f} {unit}).",
            )
        )
    for i in np.flatnonzero(portfolio.notice_days > deadline - MIN_NOTICE_DAYS).tolist():
        rows.append(
            (
                "late notice",
                i,
                spvs[i].notice_date,
                float(committed[i]),
                spvs[i].where,
                f"Notice dated {spvs[i].notice_date} is less than {MIN_NOTICE_DAYS} days before the "
                f"deadline of {FUNDING_DEADLINE:%d %B %Y}: no funding can meet both rules.",
            )
        )
    for i, s in enumerate(spvs):
        if not s.named_sector:
            rows.append(
                (
                    "sector",
                    i,
                    None,
                    float(committed[i]),
                    s.where,
                    f"Sector {s.sector!r} is not one the MOU names ({', '.join(NAMED_SECTORS)}).",
                )
            )
    table = pd.DataFrame(rows, columns=["kind", "spv_index", "date", "amount", "source", "reason"])
    table["spv_id"] = [spvs[i].id if i >= 0 else "" for i in table["spv_index"]]
    table["spv_name"] = [spvs[i].name if i >= 0 else "(program)" for i in table["spv_index"]]
    table["_kind"] = [FLAG_KINDS.index(k) for k in table["kind"]]
    table = (
        table.sort_values(["_kind", "spv_index"], kind="stable").drop(columns="_kind").reset_index(drop=True)
    )
    return table[["kind", "spv_id", "spv_name", "date", "amount", "source", "reason", "spv_index"]]


def sensitivity(
    portfolio: Portfolio,
    terms: Terms | None,
    rates: Sequence[float],
    scales: Sequence[float] = (1.0,),
    *,
    progress: Progress | None = None,
    max_cells: int = 1_000_000,
) -> Sensitivity:
    """Japan's XIRR, threshold year and receipts over a grid of deemed rates and cash scalings.

    Parameters
    ----------
    portfolio : Portfolio
    terms : Terms or None
        Default terms (each SPV's own columns apply; each grid rate replaces every SPV's deemed rate).
    rates : sequence of float
        Flat deemed rates (decimals, above -100%).
    scales : sequence of float, default (1.0,)
        Factors applied to every distribution (positive value); fundings are not scaled. >= 0.
    progress : callable, optional
        Called with a one-line message per batch.
    max_cells : int, default 1,000,000
        Scenario x row cells per batch call: the grid runs in as few calls as this allows (a memory
        bound; each call covers many SPVs and grid points, never one SPV at a time).

    Returns
    -------
    Sensitivity

    Examples
    --------
    One SPV: Japan funds 100, then 60 and 200 come back a year apart. At 0% Japan's balance of 100 is
    cleared inside the last row (70 left after 30 paid, cleared by 140 of the 200); at 10% later in it.

    >>> import datetime as dt
    >>> from xlspv import Terms
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "A", "name": "Plant", "sector": "energy", "notice_date": D(2024, 11, 1),
    ...       "committed": 100}],
    ...     {"spv_id": ["A"] * 3, "date": [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)],
    ...      "value": [-100, 60, 200]})
    >>> s = sensitivity(p, Terms(0.10), [0.0, 0.10])
    >>> s.japan_received[0, 0].round(6).tolist()
    [106.0, 120.4]
    >>> s.threshold_year[0, 0].tolist()
    [2027.0, 2027.0]
    """
    rate_grid = np.asarray(rates, dtype=np.float64).ravel()
    scale_grid = np.asarray(scales, dtype=np.float64).ravel()
    if rate_grid.size == 0 or not np.isfinite(rate_grid).all() or (rate_grid <= -1.0).any():
        raise TermsError("rates: give one or more finite deemed rates above -100% (e.g. 0.03, 0.05, 0.07).")
    if scale_grid.size == 0 or not np.isfinite(scale_grid).all() or (scale_grid < 0).any():
        raise SpvInputError("scales: give one or more finite scaling factors >= 0 (e.g. 0.8, 1, 1.2).")
    spv_terms = portfolio.terms_for(terms)
    values, days = portfolio.padded
    n, width = values.shape
    n_r, n_s = rate_grid.size, scale_grid.size
    n_grid = n_r * n_s
    total = n * n_grid
    # each (SPV terms, grid rate) pair is built once; scenarios pick theirs by array indexing
    unique_terms = list({id(t): t for t in spv_terms}.values())
    code_of = {id(t): k for k, t in enumerate(unique_terms)}
    spv_code = np.array([code_of[id(t)] for t in spv_terms], dtype=np.int64)
    grid_terms = np.empty((len(unique_terms), n_r), dtype=object)
    for k, t in enumerate(unique_terms):
        for j, r in enumerate(rate_grid.tolist()):
            grid_terms[k, j] = t.with_rate(r)
    xirr = np.empty(total)
    threshold = np.empty(total, dtype=np.int64)
    received = np.empty(total)
    unique, inverse = _day_index(days)
    program_sums = np.zeros(n_grid * unique.size)
    dates64 = to_datetime64(days)
    chunk = max(1, max_cells // max(width, 1))
    calls = -(-total // chunk)
    for c, lo in enumerate(range(0, total, chunk)):
        hi = min(total, lo + chunk)
        scen = np.arange(lo, hi)
        spv_i = scen % n
        grid_i = scen // n  # grid point = scale-major, then rate
        r_i, s_i = grid_i % n_r, grid_i // n_r
        vals = values[spv_i]
        vals = np.where(vals > 0.0, vals * scale_grid[s_i][:, None], vals)
        batch = waterfall_batch(vals, dates64[spv_i], grid_terms[spv_code[spv_i], r_i].tolist())
        japan_flows = batch.party_flows("japan")
        xirr[lo:hi] = xirr_many(japan_flows, days[spv_i])
        threshold[lo:hi] = batch.threshold_days
        received[lo:hi] = batch.japan.sum(axis=1)
        key = (grid_i[:, None] * unique.size + inverse[spv_i]).ravel()
        program_sums += np.bincount(key, weights=japan_flows.ravel(), minlength=program_sums.size)
        del batch, japan_flows, vals
        _say(
            progress,
            f"sensitivity: batch {c + 1} of {calls} ({hi - lo:,} scenarios of {total:,} = "
            f"{n:,} SPVs x {n_r} rate{'s' * (n_r != 1)} x {n_s} scale{'s' * (n_s != 1)})",
        )
    shape = (n_s, n_r, n)
    per_spv = lambda a: np.moveaxis(a.reshape(shape), 2, 0)  # noqa: E731  (SPVs, scales, rates)
    thr = threshold.reshape(shape)
    year = np.full(thr.shape, -1, dtype=np.int64)
    year[thr >= 0] = _years(thr[thr >= 0])
    reached = (thr >= 0).sum(axis=2)
    program_year = np.where(reached == n, year.max(axis=2), -1).astype(np.float64)
    program_xirr = xirr_many(program_sums.reshape(n_grid, unique.size), unique[None, :])
    return Sensitivity(
        rates=rate_grid,
        scales=scale_grid,
        spv_ids=tuple(portfolio.ids),
        xirr_japan=per_spv(xirr),
        threshold_year=per_spv(np.where(year >= 0, year, np.nan).astype(np.float64)),
        japan_received=per_spv(received),
        program_xirr_japan=program_xirr.reshape(n_s, n_r),
        program_threshold_year=np.where(program_year >= 0, program_year, np.nan),
        program_japan_received=received.reshape(shape).sum(axis=2),
        program_reached=reached,
    )


# ---- both readings of the deemed allocation --------------------------------------------------------

#: Useful life for an SPV whose terms give none (neither the SPV table's ``useful_life`` column nor the
#: default terms) is :data:`xlspv.scheduled.DEFAULT_USEFUL_LIFE`, labelled "default" wherever used.
#: The figures each reading gives, per SPV and for the program (the one-SPV report's Readings figures).
READING_FIGURES = ("threshold_date", "xirr_japan", "japan_received", "us_received", "unrecovered")
#: Where an SPV's useful life came from, as the Readings table labels it.
LIFE_FROM_SPV, LIFE_FROM_TERMS, LIFE_FROM_DEFAULT = "SPV table", "terms", "default: the terms give none"


@dataclass(frozen=True)
class Readings:
    """The same flows under both readings of the deemed allocation, per SPV and for the program.

    ``spvs`` has one row per SPV, in the portfolio's order: ``id``, ``name``, ``useful_life`` (years, the
    scheduled reading's), ``useful_life_from`` ("SPV table", "terms" or "default: the terms give none"),
    ``cumulative_<figure>`` and ``scheduled_<figure>`` for each of :data:`READING_FIGURES` (money in
    the portfolio's unit; XIRRs as decimals, NaN where none; threshold dates ``None`` where not
    reached), and ``note`` ("" or why the SPV's scheduled reading could not be computed).

    ``program`` has one row per reading (index "cumulative", "scheduled"): the threshold date (the
    latest SPV's, ``None`` while any SPV has not reached it), Japan's XIRR over its flows summed over
    every SPV by date, the money figures summed, and ``reached`` (SPVs past their threshold). A
    reading some SPV could not be computed under has NaN (``None``) program figures: never a partial
    total.
    """

    unit: str
    default_useful_life: int
    spvs: pd.DataFrame
    program: pd.DataFrame


def compare_readings(
    result: PortfolioResult,
    progress: Progress | None = None,
    *,
    default_useful_life: int = DEFAULT_USEFUL_LIFE,
) -> Readings:
    """Each SPV and the program under both readings of the deemed allocation, side by side.

    The cumulative reading is the one :func:`analyse` computed (the batch path); the scheduled reading
    (``shared/spec/waterfall.md``, "Second reading") runs each SPV through
    :func:`~xlspv.waterfall.compute` with the SPV's terms and ``allocation_basis="scheduled"``.

    Parameters
    ----------
    result : PortfolioResult
        From :func:`analyse`; its terms are the default terms (each SPV's own columns apply).
    progress : callable, optional
        Called with a one-line message after every tenth of the SPVs (at least 25 SPVs apart) and at
        the end.
    default_useful_life : int, default 20
        Years, for SPVs whose terms give no ``useful_life`` (neither the SPV table's column nor the
        default terms); whole years >= 1.

    Returns
    -------
    Readings

    Notes
    -----
    The scheduled basis is a Python loop inside the core (some 25-35 ms per 480-row SPV), and the
    batch path computes the cumulative basis only, so this is one :func:`~xlspv.waterfall.compute`
    call per SPV, never part of :func:`analyse`'s main path. An SPV whose scheduled reading cannot be
    computed (a :class:`~xlspv.errors.SpvError`) gets a note instead of figures, and the program's
    scheduled figures are then blank.

    Examples
    --------
    The two SPVs of :func:`analyse`'s example at 10%, with a useful life of 2 years. A: 100 funded
    on 2025-01-01 is due back in installments of 50 in its first two allocation years. Year 1 is due
    10 of interest + 50, and has no distribution: 60 is carried. Year 2 is due 5 of interest (on the
    50 left) + 50 + 60 = 115; Japan gets 30 of the 60, and 85 is carried. Year 3 is due the 85: Japan
    gets 85 of the 200 (the threshold, splitting the row at 170) and 10% of the other 30, 88 in the
    row, 118 in all (120.4 under the cumulative reading). B: 50 funded on 2025-07-01; its first year
    is due 5 + 25, carried; its second 2.5 + 25 + 30 = 57.5, of which Japan gets 10 of 20: 47.5 is
    unrecovered (45 under the cumulative reading).

    >>> import datetime as dt
    >>> from xlspv import Terms
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "A", "name": "Plant", "sector": "energy", "notice_date": D(2024, 11, 1),
    ...       "committed": 100},
    ...      {"id": "B", "name": "Mine", "sector": "metals", "notice_date": D(2025, 6, 1), "committed": 50}],
    ...     {"spv_id": ["A", "A", "A", "B", "B"],
    ...      "date": [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1), D(2025, 7, 1), D(2026, 7, 1)],
    ...      "value": [-100, 60, 200, -50, 20]})
    >>> r = compare_readings(analyse(p, Terms(0.10, useful_life=2), rates=()))
    >>> r.spvs[["id", "useful_life", "cumulative_japan_received", "scheduled_japan_received",
    ...         "cumulative_unrecovered", "scheduled_unrecovered"]].round(6).values.tolist()
    [['A', 2, 120.4, 118.0, 0.0, 0.0], ['B', 2, 10.0, 10.0, 45.0, 47.5]]
    >>> r.spvs["scheduled_threshold_date"].tolist()
    [datetime.date(2027, 1, 1), None]
    >>> r.program[["japan_received", "unrecovered", "reached"]].round(6).values.tolist()
    [[130.4, 45.0, 1.0], [128.0, 47.5, 1.0]]
    """
    portfolio = result.portfolio
    spv_terms = portfolio.terms_for(result.terms)
    n = len(portfolio)
    lives, life_from, scheduled = _useful_lives(portfolio, spv_terms, result.terms, default_useful_life)
    order = np.argsort(portfolio.flow_spv, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(portfolio.flow_spv, minlength=n))))
    dates64 = to_datetime64(portfolio.flow_days)
    japan_flows = np.zeros(portfolio.flow_values.size)  # Japan's scheduled flows, per flow row
    figures: dict[str, list[Any]] = {name: [None] * n for name in READING_FIGURES}
    notes = [""] * n
    step = max(25, -(-n // 10))  # about ten messages for a large portfolio, one for a small one
    for i in range(n):
        rows = order[bounds[i] : bounds[i + 1]]
        try:
            w = compute(portfolio.flow_values[rows], dates64[rows], scheduled[i])
        except SpvError as exc:
            notes[i] = f"not computed: {exc}"
        else:
            summary = w.summary()
            for name in READING_FIGURES:
                figures[name][i] = getattr(summary, name)
            japan_flows[rows] = w.party_flows("japan")
        if (i + 1) % step == 0 or i + 1 == n:
            _say(
                progress,
                f"readings: the scheduled basis, {i + 1:,} of {n:,} SPVs (one at a time: the batch path "
                "computes the cumulative basis only)",
            )
    spvs = result.spvs
    table = pd.DataFrame(
        {"id": spvs["id"], "name": spvs["name"], "useful_life": lives, "useful_life_from": life_from}
    )
    for name in READING_FIGURES:
        table[f"cumulative_{name}"] = spvs[name].to_numpy(dtype=object if name == "threshold_date" else float)
    for name in READING_FIGURES:
        column = figures[name]
        table[f"scheduled_{name}"] = column if name == "threshold_date" else _none_to_nan(column)
    table["note"] = notes
    return Readings(
        unit=result.unit,
        default_useful_life=default_useful_life,
        spvs=table,
        program=_program_readings(result, table, japan_flows, complete=not any(notes)),
    )


def _useful_lives(
    portfolio: Portfolio, spv_terms: Sequence[Terms], base: Terms, default: int
) -> tuple[np.ndarray, list[str], list[Terms]]:
    """Each SPV's useful life, where it came from, and its scheduled terms (one object per distinct terms)."""
    lives, life_from, scheduled = [], [], []
    cache: dict[int, Terms] = {}
    for spv, terms in zip(portfolio.spvs, spv_terms, strict=True):
        own = any(name == "useful_life" for name, _ in spv.terms)
        life = terms.useful_life or default
        lives.append(life)
        life_from.append(LIFE_FROM_SPV if own else LIFE_FROM_TERMS if base.useful_life else LIFE_FROM_DEFAULT)
        if id(terms) not in cache:
            cache[id(terms)] = dataclasses.replace(terms, allocation_basis="scheduled", useful_life=life)
        scheduled.append(cache[id(terms)])
    return np.array(lives, dtype=np.int64), life_from, scheduled


def _none_to_nan(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _program_readings(
    result: PortfolioResult, table: pd.DataFrame, japan_flows: np.ndarray, *, complete: bool
) -> pd.DataFrame:
    """The program's figures under each reading (scheduled: blank unless every SPV was computed)."""
    p = result.program
    cumulative = {
        "threshold_date": p.threshold_date,
        "xirr_japan": np.nan if p.xirr_japan is None else p.xirr_japan,
        "japan_received": p.japan_received,
        "us_received": p.us_received,
        "unrecovered": p.unrecovered,
        "reached": p.reached,
    }
    dates = table["scheduled_threshold_date"].tolist()
    reached = sum(d is not None for d in dates)
    scheduled: dict[str, Any] = {name: np.nan for name in cumulative}
    scheduled.update(threshold_date=None, reached=reached)
    if complete:
        unique, inverse = _day_index(result.portfolio.flow_days)
        sums = np.bincount(inverse, weights=japan_flows, minlength=unique.size)
        scheduled.update(
            threshold_date=max(dates) if reached == len(dates) else None,
            xirr_japan=float(xirr_many(sums[None, :], unique[None, :])[0]),
            **{name: float(table[f"scheduled_{name}"].sum()) for name in READING_FIGURES[2:]},
        )
    return pd.DataFrame([cumulative, scheduled], index=pd.Index(["cumulative", "scheduled"], name="reading"))


__all__ = [
    "FUNDING_DEADLINE",
    "MIN_NOTICE_DAYS",
    "NAMED_SECTORS",
    "PROGRAM_CAP_USD_M",
    "UNITS",
    "CapStatus",
    "Portfolio",
    "PortfolioResult",
    "ProgramSummary",
    "Sensitivity",
    "DEFAULT_USEFUL_LIFE",
    "READING_FIGURES",
    "Readings",
    "Spv",
    "analyse",
    "compare_readings",
    "default_rates",
    "load_portfolio",
    "save_inputs",
    "sensitivity",
]
