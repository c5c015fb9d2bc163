"""The portfolio model: SPVs and their flows, built and checked from tables of any source.

:class:`Portfolio` is the input of the program view: an SPV table (id, name, sector, notice date,
committed amount, optional per-SPV terms) and every flow row (SPV, date, value), columnar. It is built
in memory by :meth:`Portfolio.from_tables`, or by :func:`build` from tables the file readers
(:mod:`xlspv.workbooks.portfolio_reader`) read; both check every cell by the rules of
:mod:`xlspv.cells`. Anything that cannot be used raises :class:`~xlspv.errors.SpvInputError` (or
:class:`~xlspv.errors.TermsError`) naming the table, the row and the column.

Money is in the portfolio's unit, ``"$m"`` (US$ millions, the default) or ``"$bn"``, given by a
``unit`` column of the SPV table or a unit in the header (``committed ($bn)``); flows use the same unit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cells import is_missing, parse_date, parse_id, parse_number
from ..dates import NUMPY_EPOCH_ORDINAL, to_date
from ..errors import SpvInputError, TermsError
from ..terms import Terms, as_terms, parse_fee, parse_rate
from .agreement import JAPAN_2025, NAMED_SECTORS, Program, get_program
from .tables import (
    FLOW_COLUMNS,
    NUMBER_FIXES,
    SPV_COLUMNS,
    TERM_COLUMNS,
    UNITS,
    RowNumbers,
    Table,
    canonical_sector,
    canonical_unit,
    table_from_memory,
)


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
    input order; ``flow_rows`` is each row's number in its source (sheet row or CSV line; a
    :class:`~.tables.RowNumbers` computing them when they run without a gap), ``flow_label`` names that
    source and ``row_word`` is how it numbers them ("row", or "line" for a CSV file).
    ``terms`` are default terms read with the input (a ``Terms`` sheet or ``terms.csv``), if any;
    ``sources`` are the files read. ``program`` is the agreement whose rules the view checks
    (:mod:`.agreement`; default ``japan-2025``).
    """

    spvs: tuple[Spv, ...]
    flow_spv: np.ndarray
    flow_days: np.ndarray
    flow_values: np.ndarray
    flow_rows: np.ndarray | RowNumbers
    unit: str = "$m"
    terms: Terms | None = None
    sources: tuple[Path, ...] = ()
    spv_label: str = "SPVs"
    flow_label: str = "Flows"
    row_word: str = "row"
    program: Program = JAPAN_2025

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
        """The program's cash cap in the portfolio's unit ($550bn for Japan, $200bn for Korea)."""
        return self.program.cap_usd_m / UNITS[self.unit]

    @property
    def annual_cap(self) -> float | None:
        """The program's yearly funding cap in the portfolio's unit (``None``: no yearly cap)."""
        cap = self.program.annual_cap_usd_m
        return None if cap is None else cap / UNITS[self.unit]

    def with_program(self, program: Program | str | None, where: str = "program") -> Portfolio:
        """This portfolio checked against another program (``None``: unchanged)."""
        if program is None:
            return self
        return dataclasses.replace(self, program=get_program(program, where))

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
        at, width = self._padded_layout
        counts = np.bincount(self.flow_spv, minlength=n)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        grouped = _grouped(self.flow_spv)
        by_spv = self.flow_days if grouped is None else self.flow_days[grouped]
        first = np.minimum.reduceat(by_spv, starts)
        values = np.zeros((n, width))
        values.ravel()[at] = self.flow_values
        days = np.empty((n, width), dtype=np.int64)
        days[:] = first[:, None]  # the padding's date; each row's own below
        days.ravel()[at] = self.flow_days
        values.flags.writeable = False
        days.flags.writeable = False
        return values, days

    @property
    def padded_at(self) -> np.ndarray:
        """Each flow row's (input order) flat position in :attr:`padded`:
        ``padded[0].ravel()[padded_at] == flow_values``."""
        return self._padded_layout[0]

    @cached_property
    def _padded_layout(self) -> tuple[np.ndarray, int]:
        """:attr:`padded_at` and the longest schedule's length (the padded width).

        SPV ``s``'s rows sit at the end of its padded row, in input order: row ``k`` of ``c`` rows at
        position ``width - c + k``. A flow table grouped by SPV (the usual file) needs no sort.
        """
        idx = self.flow_spv
        counts = np.bincount(idx, minlength=len(self.spvs))
        width = int(counts.max())
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        # the k-th row in SPV order (rank k - starts[s] among SPV s's rows) goes to k + offset[s]
        offset = np.arange(counts.size, dtype=np.int64) * width + (width - counts) - starts
        grouped = _grouped(idx)
        at = np.arange(idx.size, dtype=np.int64)
        if grouped is None:  # rows already grouped by SPV, in SPV order
            at += offset[idx]
        else:
            at[grouped] = at + np.repeat(offset, counts)
        at.flags.writeable = False
        return at, width

    def from_padded(self, array: np.ndarray) -> np.ndarray:
        """Per flow row (input order) from an array shaped like :attr:`padded`."""
        return np.ascontiguousarray(array).ravel()[self.padded_at]

    def terms_for(self, default: Terms | None = None) -> list[Terms]:
        """Each SPV's terms: the default terms with the SPV's own columns applied.

        SPVs with the same columns share one :class:`~xlspv.terms.Terms` object.
        """
        base = default_terms(self, default)
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
        program: Program | str | None = None,
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
        program : str or Program, optional
            The program whose rules are checked: "japan-2025" (default) or "korea-2025".

        Messages name the table ("SPVs", "Flows") and the data row (1 = the first data row). Typed
        cells (numbers; dates, datetimes, ``numpy.datetime64``, Excel serials) are taken as they are,
        texts as in a CSV file (plain decimals such as ``-1500``, dates ``YYYY-MM-DD``).
        """
        spv_table = table_from_memory("SPVs", spvs, SPV_COLUMNS)
        flow_table = table_from_memory("Flows", flows, FLOW_COLUMNS)
        return build(spv_table, flow_table, unit=unit, terms=terms).with_program(program)


def _grouped(idx: np.ndarray) -> np.ndarray | None:
    """The stable order grouping rows by SPV, or ``None`` when they already are (in SPV order)."""
    if idx.size < 2 or bool((idx[1:] >= idx[:-1]).all()):
        return None
    return np.argsort(idx, kind="stable")


# ---- building and checking -----------------------------------------------------------------------


def _spv_rows(table: Table) -> tuple[list[Spv], str | None]:
    """The checked SPVs of an SPV table and the unit its ``unit`` column gives (``None``: none).

    Read column by column (:func:`_spv_rows_by_column`) when every cell is good; else row by row
    (:func:`_spv_rows_by_row`), which meets the cells in the order a person reads them and names the
    first bad one. Both apply the same cell rules, so they give the same SPVs.
    """
    spvs = _spv_rows_by_column(table)
    if spvs is None:
        spvs = _spv_rows_by_row(table)
    return spvs, _spv_unit(table)


def _spv_rows_by_row(table: Table) -> list[Spv]:
    """The SPVs row by row: the reference reading, which names the first bad cell (id, duplicate, name,
    sector, notice date, committed, unit, terms: the order of the row's checks)."""
    cols = table.columns
    spvs: list[Spv] = []
    seen: dict[str, int] = {}
    comments = cols.get("comment")
    has_terms = any(name in cols for name in TERM_COLUMNS)
    notices: dict[Any, dt.date] = {}  # a program's SPVs share few notice dates: each text parsed once
    for i in range(len(table)):
        where = table.where(i)
        spv_id = parse_id(cols["id"][i], f"{where}, column id")
        if spv_id in seen:
            raise SpvInputError(
                f"{where}: SPV id {spv_id!r} is also on {table.where(seen[spv_id])}; "
                "give each SPV its own id."
            )
        seen[spv_id] = i
        name = _spv_name(cols["name"][i])
        sector = _spv_sector(cols["sector"][i], f"{where}, column sector")
        raw_notice = cols["notice_date"][i]
        notice = notices.get(raw_notice) if raw_notice.__class__ is str else None
        if notice is None:
            notice = _spv_notice(raw_notice, f"{where}, column notice_date", table.source)
            if raw_notice.__class__ is str:
                notices[raw_notice] = notice
        committed = _spv_committed(cols["committed"][i], f"{where}, column committed", table.source)
        if "unit" in cols and not is_missing(cols["unit"][i]):
            canonical_unit(cols["unit"][i], f"{where}, column unit")
        overrides = (
            _term_overrides(cols, i, f"{where} (SPV {spv_id!r})", typed=table.source != "memory")
            if has_terms
            else ()
        )
        comment = _spv_comment(None if comments is None else comments[i])
        spvs.append(Spv(spv_id, name, sector, notice, committed, overrides, comment, where))
    return spvs


def _spv_rows_by_column(table: Table) -> list[Spv] | None:
    """The SPVs column by column, each distinct text of a column read once; ``None`` at the first
    cell that is not good (or a repeated id), for :func:`_spv_rows_by_row` to name it.

    A program's SPVs share a few sectors, notice dates and units, so most of their cells are read once
    per column rather than once per row. Equal texts give equal results under every cell rule, so a
    text's result is reused; other cells (numbers, dates: ``0.0`` and ``-0.0`` are equal but not the
    same) are read each time.
    """
    cols = table.columns
    n = len(table)
    kinds = (list, tuple, np.ndarray)  # positional columns (a Series would be indexed by its labels)
    if n == 0 or not all(isinstance(c, kinds) and len(c) == n for c in cols.values()):
        return None
    source = table.source
    try:
        ids = _each_text_once(cols["id"], lambda c: parse_id(c, ""))
        if len(set(ids)) != n:
            return None
        names = _each_text_once(cols["name"], _spv_name)
        sectors = _each_text_once(cols["sector"], lambda c: _spv_sector(c, ""))
        notices = _each_text_once(cols["notice_date"], lambda c: _spv_notice(c, "", source))
        committed = _each_text_once(cols["committed"], lambda c: _spv_committed(c, "", source))
        if "unit" in cols:
            _each_text_once([u for u in cols["unit"] if not is_missing(u)], lambda c: canonical_unit(c, ""))
        wheres = table.wheres()
        if any(name in cols for name in TERM_COLUMNS):
            typed = source != "memory"
            overrides = [
                _term_overrides(cols, i, f"{wheres[i]} (SPV {ids[i]!r})", typed=typed) for i in range(n)
            ]
        else:
            overrides = [()] * n
        comments = _each_text_once(cols["comment"], _spv_comment) if "comment" in cols else [""] * n
    except Exception:  # noqa: BLE001 - any trouble: the row-by-row reading names the first bad cell
        return None
    return [
        Spv(*row)
        for row in zip(ids, names, sectors, notices, committed, overrides, comments, wheres, strict=True)
    ]


_UNREAD = object()


def _each_text_once(cells: Any, rule: Any) -> list[Any]:
    """``rule(cell)`` of each cell, in order; a text repeated down the column is read once."""
    seen: dict[str, Any] = {}
    out = []
    for cell in cells:
        if cell.__class__ is str:
            value = seen.get(cell, _UNREAD)
            if value is _UNREAD:
                value = seen[cell] = rule(cell)
        else:
            value = rule(cell)
        out.append(value)
    return out


def _spv_name(raw: Any) -> str:
    """An SPV's name: its text without surrounding spaces (blank: no name)."""
    return "" if is_missing(raw) else str(raw).strip()


def _spv_sector(raw: Any, where: str) -> str:
    """An SPV's sector by its canonical name (``chips`` = semiconductors); a blank or non-text is refused."""
    if is_missing(raw) or not isinstance(raw, str):
        raise SpvInputError(f"{where}: {raw!r} is not a sector; enter one of {', '.join(NAMED_SECTORS)}.")
    return canonical_sector(raw)


def _spv_notice(raw: Any, where: str, source: str) -> dt.date:
    """An SPV's notice date (the date rule of its source)."""
    return to_date(parse_date(raw, where, source))


def _spv_committed(raw: Any, where: str, source: str) -> float:
    """An SPV's committed amount (the number rule of its source), >= 0."""
    committed = parse_number(raw, where, source, NUMBER_FIXES["committed"])
    if committed < 0:
        raise SpvInputError(f"{where}: {committed!r} is negative; enter the amount committed (>= 0).")
    return committed


def _spv_comment(raw: Any) -> str:
    """An SPV's comment as text (blank: none)."""
    return "" if is_missing(raw) else str(raw)


def _spv_unit(table: Table) -> str | None:
    """The one unit of an SPV table's ``unit`` column and its headers (``None``: none); its cells
    were checked by the reading of its rows."""
    if len(table) == 0:
        raise SpvInputError(f"{table.label}: no SPVs; add one row per SPV below the column names.")
    cells = table.columns.get("unit", ())
    units = {canonical_unit(u, "") for u in set(c for c in cells if not is_missing(c))}
    units |= set(table.header_units.values())
    if len(units) > 1:
        raise SpvInputError(
            f"{table.label}: the unit column mixes {' and '.join(sorted(units))}; use one unit for every SPV."
        )
    return units.pop() if units else None


def _term_overrides(
    cols: Mapping[str, Any], i: int, where: str, *, typed: bool
) -> tuple[tuple[str, Any], ...]:
    """The SPV's own term values, validated (so a bad one names its row now, not at analyse time).

    ``typed``: the table was typed by a person (a workbook or CSV file), so a deemed rate and a guarantee
    fee follow the one rate rule of every typed surface (:func:`xlspv.terms.parse_rate`: a bare 5 is
    refused, not 500%).
    """
    given = {name: cols[name][i] for name in TERM_COLUMNS if name in cols and not is_missing(cols[name][i])}
    if not given:
        return ()
    try:
        if typed and "deemed_rate" in given:
            given["deemed_rate"] = parse_rate(given["deemed_rate"], "deemed_rate", cell=True)
        if typed and "guarantee_fee" in given:
            given["guarantee_fee"] = parse_fee(given["guarantee_fee"], cell=True)
        probe = Terms(**{"deemed_rate": 0.05, **given})
    except TermsError as exc:
        raise TermsError(f"{where}: {exc}") from None
    return tuple(sorted((name, getattr(probe, name)) for name in given))


def _codes(raw: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's code (-1: None/NaN) and the distinct values; a categorical column's own codes.

    A CSV reader's categorical (:func:`xlspv.workbooks.sources.csv_columns`) already holds them, so
    the column is not turned into Python objects and factorised a second time.
    """
    if isinstance(raw, pd.Categorical):
        return raw.codes, np.asarray(raw.categories, dtype=object)
    codes, uniques = pd.factorize(pd.Series(np.asarray(raw, dtype=object), dtype=object))
    return codes, np.asarray(uniques, dtype=object)


def _parsed_uniques(
    table: Table, column: str, codes: np.ndarray, uniques: np.ndarray, parse: Any
) -> list[Any]:
    """``parse(u, where)`` of each distinct value; a failure names the first row holding a bad value.

    Each value is parsed once without a place; only when some fail are their first rows found (the
    distinct values need not be in row order, a categorical's are sorted), and the earliest is parsed
    again with its place, so the message is the one a row-by-row reading would give.
    """
    out: list[Any] = []
    bad: list[int] = []
    for k, u in enumerate(uniques):
        try:
            out.append(parse(u, ""))
        except SpvInputError:
            out.append(None)
            bad.append(k)
    if bad:
        first = _first_rows(codes, len(uniques))
        k = min(bad, key=lambda b: first[b])
        parse(uniques[k], f"{table.where(int(first[k]))}, column {column}")
    return out


def _flow_ids(table: Table, index: Mapping[str, int], by_text: Mapping[str, int] | None = None) -> np.ndarray:
    """Each flow row's SPV (index into the SPV table); a blank, bad or unknown id is refused.

    ``by_text``: the SPV table's id texts as written, by SPV. A flow id written as the same text is
    the same id (the id rule gives equal texts equal ids), so when every distinct flow id is one of
    them (the usual program) none is read again.
    """
    codes, uniques = _codes(table.columns["spv_id"])
    if by_text and codes.size and int(codes.min()) >= 0:
        known = np.array([by_text.get(u, -1) if u.__class__ is str else -1 for u in uniques], dtype=np.int64)
        if known.size and known.min() >= 0:
            if np.array_equal(known, np.arange(known.size)):  # first seen in the SPV table's order
                return codes.astype(np.int64)  # a cast: half the time of the lookup below
            return known[codes]
    blank = _named_before_blank(table, "spv_id", codes, uniques, parse_id)
    if blank.size:
        raise SpvInputError(
            f"{table.where(int(blank[0]))}, column spv_id: the SPV id is blank; enter the SPV's id."
        )
    ids = _parsed_uniques(table, "spv_id", codes, uniques, parse_id)
    mapped = np.array([index.get(i, -1) for i in ids], dtype=np.int64)
    spv = mapped[codes]
    unknown = np.flatnonzero(spv < 0)
    if unknown.size:
        bad_ids = sorted({ids[k] for k in np.unique(codes[unknown])})
        more = (
            f" ({unknown.size} rows in all name unknown SPVs: {', '.join(map(repr, bad_ids[:5]))}"
            f"{', ...' if len(bad_ids) > 5 else ''})"
            if unknown.size > 1
            else ""
        )
        raise SpvInputError(
            f"{table.where(int(unknown[0]))}, column spv_id: "
            f"SPV {ids[codes[unknown[0]]]!r} "
            f"is not in the SPV table{more}; add the SPV there or correct the id."
        )
    return spv


def _named_before_blank(
    table: Table, column: str, codes: np.ndarray, uniques: np.ndarray, parse: Any
) -> np.ndarray:
    """The blank rows (code -1) of a column, after refusing a bad value on a row above the first
    blank one: the row-by-row reading meets that value first, so its message is the one given."""
    blank = np.flatnonzero(codes < 0)
    if blank.size:
        head = codes[: int(blank[0])]
        used = np.unique(head)
        remap = np.full(len(uniques), -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        _parsed_uniques(table, column, remap[head], uniques[used], parse)
    return blank


def _first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """Position of the first row of each code."""
    first = np.full(n, codes.size, dtype=np.int64)
    np.minimum.at(first, codes[codes >= 0], np.flatnonzero(codes >= 0))
    return first


def _flow_days(table: Table) -> np.ndarray:
    raw = table.columns["date"]
    if isinstance(raw, np.ndarray) and raw.dtype.kind == "M":
        days = raw.astype("datetime64[D]", copy=False)
        bad = np.flatnonzero(np.isnat(days))
        if bad.size:
            raise SpvInputError(f"{table.where(int(bad[0]))}, column date: the date is blank; enter a date.")
        if table.source == "memory":  # the caller's array: never changed
            return days.view(np.int64) + NUMPY_EPOCH_ORDINAL  # a view: one new array, not two
        ordinals = days.view(np.int64)  # a file's column, this reading's own: changed in place
        ordinals += NUMPY_EPOCH_ORDINAL
        return ordinals
    codes, uniques = _codes(raw)
    blank = _named_before_blank(table, "date", codes, uniques, lambda u, w: parse_date(u, w, table.source))
    if blank.size:
        parse_date(None, f"{table.where(int(blank[0]))}, column date", table.source)
    parsed = _parsed_uniques(table, "date", codes, uniques, lambda u, w: parse_date(u, w, table.source))
    return np.array(parsed, dtype=np.int64)[codes]


def _flow_values(table: Table) -> np.ndarray:
    raw = table.columns["value"]
    arr: np.ndarray | None
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iuf":
        # a copy, even of a file's float64 column: pandas hands that on read-only (copy-on-write), and
        # a read-only array would make the numba kernels it reaches compile a second signature
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
        except (TypeError, ValueError, OverflowError):  # the careful path names the cell
            arr = None
    if arr is not None and np.isfinite(arr).all():
        return arr
    fix = NUMBER_FIXES["value"]
    return np.array(
        [parse_number(v, f"{table.where(i)}, column value", table.source, fix) for i, v in enumerate(raw)],
        dtype=np.float64,
    )


def build(
    spv_table: Table,
    flow_table: Table,
    *,
    unit: str | None = None,
    terms: Terms | None = None,
    sources: tuple[Path, ...] = (),
    program: Program | str | None = None,
    program_where: str = "program",
) -> Portfolio:
    """A checked portfolio from its SPV and flows tables (read from any source: :mod:`.tables`).

    The file readers (:mod:`xlspv.workbooks.portfolio_reader`) and :meth:`Portfolio.from_tables` both
    end here, so every source is checked by the same rules.
    """
    spvs, table_unit = _spv_rows(spv_table)
    flow_units = set(flow_table.header_units.values())
    given = {u for u in (table_unit, *flow_units) if u}
    if unit is not None:
        given.add(canonical_unit(unit, "unit"))
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
    raw_ids = spv_table.columns["id"]
    by_text = (
        {c: i for i, c in enumerate(raw_ids) if c.__class__ is str}
        if isinstance(raw_ids, (list, np.ndarray))
        else None
    )
    spv = _flow_ids(flow_table, index, by_text)
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
        program=JAPAN_2025 if program is None else get_program(program, program_where),
    )


def default_terms(portfolio: Portfolio, terms: Terms | None) -> Terms:
    """The terms a portfolio is computed with: ``terms``, else the input's own; cumulative basis only."""
    base = terms if terms is not None else portfolio.terms
    if base is None:
        raise TermsError(
            "deemed_rate: required (no default); give terms (e.g. Terms(0.05)) or a Terms sheet in the input."
        )
    if not isinstance(base, Terms):
        base = as_terms(base)
    if base.allocation_basis not in ("cumulative", "pooled"):
        raise TermsError(
            "allocation_basis: the portfolio view runs on the batch path, which computes the cumulative "
            "basis only; use allocation_basis 'cumulative' and ask for the readings comparison "
            "(analyse(..., readings=True)) to see the scheduled basis beside it."
        )
    return base


__all__ = ["Portfolio", "Spv", "build", "default_terms"]
