"""The terms of one SPV: one validated, immutable object that everything downstream trusts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .cells import as_float, finite_number, is_blank
from .dates import to_date, to_ordinal
from .daycount import DAY_COUNTS, canonical_day_count
from .errors import RateScheduleError, TermsError

#: Compounding conventions and their periods per year (``None``: not periodic).
COMPOUNDINGS: dict[str, int | None] = {
    "annual": 1,
    "semiannual": 2,
    "quarterly": 4,
    "monthly": 12,
    "continuous": None,
    "simple": None,
}
_COMPOUNDING_ALIASES = {
    "annually": "annual",
    "yearly": "annual",
    "semi-annual": "semiannual",
    "semiannually": "semiannual",
    "semi-annually": "semiannual",
    "quarter": "quarterly",
    "month": "monthly",
}
ALLOCATION_BASES = ("cumulative", "scheduled", "pooled")


class FeeRate(float):
    """A flat deemed rate with a guarantee fee added: the float is ``base + fee``, what accrual reads.

    The core reads ``Terms.deemed_rate`` as the rate that accrues; the user's own rate and the fee stay
    apart in :attr:`base` and :attr:`fee`, so reports show them as two lines and
    ``dataclasses.replace`` does not add the fee twice (``Terms.__post_init__`` starts from ``base``).
    """

    base: float
    fee: float

    def __new__(cls, base: float, fee: float) -> FeeRate:
        self = super().__new__(cls, base + fee)
        self.base = base
        self.fee = fee
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (FeeRate, (self.base, self.fee))


@dataclass(frozen=True)
class RateSchedule:
    """A dated deemed-rate schedule: each rate applies from its effective date on.

    ``dates`` are ordinals in increasing order, ``rates`` annual decimals (0.05 = 5%).
    Build one with :meth:`from_rows`, which sorts the rows and checks them.
    """

    dates: tuple[int, ...]
    rates: tuple[float, ...]
    #: The schedule without a guarantee fee (``None``: these rates are the user's own) and that fee.
    base: RateSchedule | None = field(default=None, compare=False, repr=False)
    fee: float = 0.0

    def plus_fee(self, fee: float) -> RateSchedule:
        """This schedule with ``fee`` added to every rate (the user's rates kept in ``base``)."""
        own = self.base if self.base is not None else self
        if fee == 0.0:
            return own
        return RateSchedule(own.dates, tuple(r + fee for r in own.rates), own, fee)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[Any, Any]]) -> RateSchedule:
        """Schedule from ``(effective date, rate)`` rows in any order.

        >>> import datetime as dt
        >>> s = RateSchedule.from_rows([(dt.date(2027, 1, 1), 0.06), (dt.date(2025, 1, 1), 0.05)])
        >>> s.rates
        (0.05, 0.06)
        """
        parsed = []
        for i, (when, rate) in enumerate(rows):
            day = to_ordinal(when, what=f"deemed_rate schedule row {i + 1} date")
            parsed.append((day, _rate(rate, f"deemed_rate schedule row {i + 1} ({to_date(day)})")))
        if not parsed:
            raise RateScheduleError(
                "deemed_rate: the rate schedule is empty; give at least one (date, rate) row."
            )
        parsed.sort(key=lambda row: row[0])
        for (d0, _), (d1, _) in zip(parsed, parsed[1:], strict=False):
            if d0 == d1:
                raise RateScheduleError(
                    f"deemed_rate: the rate schedule has two rates on {to_date(d0)}; keep one."
                )
        return cls(tuple(d for d, _ in parsed), tuple(r for _, r in parsed))

    def rate_on(self, days: np.ndarray) -> np.ndarray:
        """Rate in force on each day (a change dated on a day applies from that day on)."""
        idx = np.searchsorted(np.asarray(self.dates), days, side="right") - 1
        return np.asarray(self.rates)[np.maximum(idx, 0)]


def _number(value: Any, what: str) -> float:
    """A finite float from a number or a numeric text (``"5%"`` = 0.05); TermsError otherwise."""
    return finite_number(value, what, TermsError)


def parse_rate(value: Any, what: str, *, cell: bool = False) -> float:
    """A yearly rate (deemed rate, a schedule's rate), by the one rule of every surface a person types on.

    A rate is a decimal (0.055) or a text with a per-cent sign (``"5.5%"``), above -100% a year. A
    number of 1 or more written without the sign (``5``) is refused rather than read as 500%: it is
    almost always 5% typed without its sign. The rule applies to every text (a command line option,
    a text cell) and, with ``cell=True``, to a number read from a cell (a Terms sheet or range, the
    Excel functions' terms range, a terms CSV file: :meth:`Terms.from_mapping`). A number given
    in Python (``Terms(1.5)``, a sensitivity grid) is taken as it is.

    >>> parse_rate("5.5%", "deemed_rate"), parse_rate(0.055, "deemed_rate"), parse_rate(1.5, "deemed_rate")
    (0.055, 0.055, 1.5)
    >>> parse_rate("5", "deemed_rate")
    Traceback (most recent call last):
    ...
    xlspv.errors.TermsError: deemed_rate: 5 would be 500% a year; write the rate as a decimal (0.05) or ...
    """
    rate = _number(value, what)
    if rate <= -1.0:
        raise TermsError(f"{what}: {rate!r} is -100% or less; a deemed rate must be above -100%.")
    refused = bare_rate_refusal(value, rate, what, cell=cell)
    if refused is not None:
        raise TermsError(refused)
    return rate


def bare_rate_refusal(value: Any, rate: float, what: str, *, cell: bool) -> str | None:
    """The rate rule's message for ``value`` (read as ``rate``, a decimal a year), or ``None``.

    A rate of 1 or more without a per-cent sign is refused when typed: a text always, a number read
    from a cell when ``cell`` is true; a Python number is taken as it is. The one place the rule and
    its message live: :func:`parse_rate`, :func:`parse_fee` and the risk model's rate parameters
    (:class:`xlspv.risk.RiskModel`) raise their own error class with it.

    >>> bare_rate_refusal("5", 5.0, "rate_start", cell=False)
    'rate_start: 5 would be 500% a year; write the rate as a decimal (0.05) or with a per-cent sign (5%).'
    >>> bare_rate_refusal("500%", 5.0, "r", cell=False), bare_rate_refusal(5, 5.0, "r", cell=False)
    (None, None)
    """
    text = value.strip() if isinstance(value, str) else None
    bare = not text.endswith("%") if text is not None else cell
    if rate < 1.0 or not bare:
        return None
    shown = text if text is not None else f"{rate:g}"
    return (
        f"{what}: {shown} would be {rate:.0%} a year; write the rate as a decimal "
        f"({rate / 100:g}) or with a per-cent sign ({shown}%)."
    )


def parse_fee(value: Any, what: str = "guarantee_fee", *, cell: bool = False) -> float:
    """A guarantee fee: a yearly rate of 0 or more, by the rate rule of :func:`parse_rate`.

    A fee is a charge on the deemed balance, so a negative one is refused from every source, Python
    included; a bare 5 typed (a text, or a cell with ``cell=True``) is refused as 500% a year.

    >>> parse_fee("0.5%"), parse_fee(0.005, cell=True)
    (0.005, 0.005)
    >>> parse_fee(-0.002)
    Traceback (most recent call last):
    ...
    xlspv.errors.TermsError: guarantee_fee: -0.002 is negative; a guarantee fee is a charge: enter 0 or ...
    """
    fee = _number(value, what)
    if fee < 0.0:
        shown = value.strip() if isinstance(value, str) else f"{fee:g}"
        raise TermsError(
            f"{what}: {shown} is negative; a guarantee fee is a charge: enter 0 or more, e.g. 0.005 "
            "(0.5% a year)."
        )
    refused = bare_rate_refusal(value, fee, what, cell=cell)
    if refused is not None:
        raise TermsError(refused)
    return fee


_rate = parse_rate


def _share(value: Any, name: str) -> float:
    share = _number(value, name)
    if not 0.0 <= share <= 1.0:
        raise TermsError(f"{name}: {share!r} is outside [0, 1]; enter a share such as 0.5 (= 50%).")
    return share


@dataclass(frozen=True)
class Terms:
    """Terms of one SPV, validated on construction (see ``docs/waterfall.md``, Inputs).

    Parameters
    ----------
    deemed_rate : float or RateSchedule
        Annual deemed interest rate as a decimal (0.05 = 5%), above -100%; or a dated schedule.
    japan_share_before, japan_share_after : float
        Japan's share of distributions before and after the threshold (default 0.5 and 0.1); the US
        gets the rest. Each in [0, 1]; ``japan_share_before`` > 0.
    day_count : str
        "ACT/365F" (default), "ACT/360" or "30/360" (Excel's ``DAYS360(start, end, FALSE)/360``).
    compounding : str
        "annual" (default), "semiannual", "quarterly", "monthly", "continuous" or "simple".
    partner_share : float
        Part of Japan's side held by a foreign partner, in [0, 1] (default 0).
    allocation_basis : str
        "cumulative" (default: one running balance), "scheduled" (the yearly second reading) or
        "pooled" (one balance across a program's SPVs, :mod:`xlspv.portfolio.pooled`; for one SPV it
        is the cumulative rule).
    useful_life : int or None
        Whole years >= 1; required by "scheduled", ignored by "cumulative".
    guarantee_fee : float
        Annual rate (decimal, >= 0: a fee is a charge) on the outstanding deemed balance, added to the
        deemed rate (same day count and compounding), default 0. Typed, it follows the rate rule of
        :func:`parse_rate` (:func:`parse_fee`). Japan's government told the Diet (December 2025) that the
        amount recovered in the 50/50 phase includes guarantee fees where Japan guarantees loans.
        ``deemed_rate`` then reads as the rate that accrues (rate + fee); :attr:`own_rate` is the
        rate as entered.

    Examples
    --------
    >>> Terms(0.05).compounding
    'annual'
    >>> Terms(0.05, japan_share_before=1.5)
    Traceback (most recent call last):
    ...
    xlspv.errors.TermsError: japan_share_before: 1.5 is outside [0, 1]; enter a share such as 0.5 (= 50%).
    """

    deemed_rate: float | RateSchedule
    japan_share_before: float = 0.5
    japan_share_after: float = 0.1
    day_count: str = "ACT/365F"
    compounding: str = "annual"
    partner_share: float = 0.0
    allocation_basis: str = "cumulative"
    useful_life: int | None = field(default=None)
    guarantee_fee: float = 0.0

    def __post_init__(self) -> None:
        rate = self.deemed_rate
        if isinstance(rate, FeeRate):
            object.__setattr__(self, "deemed_rate", rate.base)
        elif isinstance(rate, RateSchedule):
            object.__setattr__(self, "deemed_rate", rate.plus_fee(0.0))
        elif isinstance(rate, Mapping) or (
            isinstance(rate, (list, tuple)) and (not rate or isinstance(rate[0], (list, tuple)))
        ):
            rows = rate.items() if isinstance(rate, Mapping) else rate
            object.__setattr__(self, "deemed_rate", RateSchedule.from_rows(rows))
        else:
            if rate is None or (isinstance(rate, str) and not rate.strip()):
                raise TermsError("deemed_rate: required (no default); enter the annual rate, e.g. 0.05.")
            object.__setattr__(self, "deemed_rate", _rate(rate, "deemed_rate"))
        before = _share(self.japan_share_before, "japan_share_before")
        if before == 0.0:
            raise TermsError(
                "japan_share_before: 0 would never recover the deemed allocation; enter a share above 0."
            )
        object.__setattr__(self, "japan_share_before", before)
        object.__setattr__(self, "japan_share_after", _share(self.japan_share_after, "japan_share_after"))
        object.__setattr__(self, "partner_share", _share(self.partner_share, "partner_share"))
        object.__setattr__(self, "day_count", canonical_day_count(self.day_count))
        object.__setattr__(self, "compounding", _compounding(self.compounding))
        basis = str(self.allocation_basis).strip().lower() if isinstance(self.allocation_basis, str) else None
        if basis not in ALLOCATION_BASES:
            raise TermsError(
                f"allocation_basis: {self.allocation_basis!r} is not a basis; use "
                f"{' or '.join(ALLOCATION_BASES)}."
            )
        object.__setattr__(self, "allocation_basis", basis)
        object.__setattr__(self, "useful_life", _useful_life(self.useful_life, basis))
        self._add_fee()

    def _add_fee(self) -> None:
        """Fold ``guarantee_fee`` into the rate the core reads (a fee is >= 0, so the sum stays > -100%)."""
        fee = 0.0 if is_blank(self.guarantee_fee) else parse_fee(self.guarantee_fee)
        object.__setattr__(self, "guarantee_fee", fee)
        if fee == 0.0:
            return
        rate = self.deemed_rate
        if isinstance(rate, RateSchedule):
            object.__setattr__(self, "deemed_rate", rate.plus_fee(fee))
        else:
            object.__setattr__(self, "deemed_rate", FeeRate(rate, fee))

    @property
    def own_rate(self) -> float | RateSchedule:
        """The deemed rate as entered, without the guarantee fee."""
        rate = self.deemed_rate
        if isinstance(rate, FeeRate):
            return rate.base
        if isinstance(rate, RateSchedule) and rate.base is not None:
            return rate.base
        return rate

    @property
    def periods_per_year(self) -> int | None:
        """Compounding periods per year (``None`` for continuous and simple)."""
        return COMPOUNDINGS[self.compounding]

    @property
    def flat_rate(self) -> float | None:
        """The deemed rate when it is one number, else ``None``."""
        return self.deemed_rate if isinstance(self.deemed_rate, float) else None

    def with_rate(self, deemed_rate: float | RateSchedule) -> Terms:
        """Copy of these terms with another deemed rate."""
        return replace(self, deemed_rate=deemed_rate)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | Iterable[tuple[Any, ...]]) -> Terms:
        """Terms from name/value pairs, as a two-column Excel range gives them.

        Names are the spec's (case-insensitive, spaces or dashes allowed for underscores). A rate
        schedule is given as several ``deemed_rate`` rows with a third column, the effective date.
        Blank rows are skipped; an unknown name or a name given twice is an error.

        >>> Terms.from_mapping({"Deemed rate": "5%", "day_count": "act/360"}).day_count
        'ACT/360'
        """
        rows = list(mapping.items()) if isinstance(mapping, Mapping) else list(mapping)
        known = {f.name for f in cls.__dataclass_fields__.values()}
        values: dict[str, Any] = {}
        schedule: list[tuple[Any, Any]] = []
        for i, row in enumerate(rows):
            if not isinstance(row, (list, tuple, np.ndarray)):
                raise TermsError(
                    f"terms row {i + 1}: {row!r} is not a (name, value) row; give names and values "
                    "in two columns."
                )
            row = tuple(row)
            if not row or all(is_blank(c) for c in row):
                continue
            raw_name = row[0]
            if not isinstance(raw_name, str) or not raw_name.strip():
                raise TermsError(f"terms row {i + 1}: {raw_name!r} is not a term name; put the name first.")
            name = raw_name.strip().lower().replace(" ", "_").replace("-", "_")
            if name not in known:
                raise TermsError(
                    f"terms row {i + 1}: {raw_name!r} is not a term; use one of {', '.join(sorted(known))}."
                )
            value = row[1] if len(row) > 1 else None
            effective = row[2] if len(row) > 2 and not is_blank(row[2]) else None
            if name == "deemed_rate" and not is_blank(value):  # a cell: a bare 5 is refused (500%?)
                what = "deemed_rate" if effective is None else f"terms row {i + 1}: deemed_rate"
                value = parse_rate(value, what, cell=True)
            if name == "guarantee_fee" and not is_blank(value):  # a rate too: a bare 5 is refused
                value = parse_fee(value, cell=True)
            if name == "deemed_rate" and effective is not None:
                schedule.append((effective, value))
                continue
            if name in values:
                fix = "keep one row" + (
                    ", or give each rate an effective date in the third column to make a schedule"
                    if name == "deemed_rate"
                    else ""
                )
                raise TermsError(f"terms row {i + 1}: {name} is given twice; {fix}.")
            if is_blank(value):
                continue  # a blank value means "use the default" (deemed_rate stays required)
            values[name] = value
        if schedule:
            if "deemed_rate" in values:
                raise TermsError(
                    "deemed_rate: give either one rate or dated rows (rate + effective date), not both."
                )
            values["deemed_rate"] = RateSchedule.from_rows(schedule)
        if "deemed_rate" not in values:
            raise TermsError("deemed_rate: required (no default); add a deemed_rate row, e.g. 0.05.")
        return cls(**values)

    def as_rows(self) -> list[tuple[str, Any]]:
        """Name/value pairs for display (a schedule's rows read "0.05 from 2025-01-01").

        :meth:`as_range` gives rows that :meth:`from_mapping` reads back.
        """
        rows: list[tuple[str, Any]] = []
        for name, value, effective in self.as_range():
            rows.append((name, value if effective is None else f"{value} from {effective}"))
        return rows

    def as_range(self) -> list[tuple[str, Any, Any]]:
        """Rows (name, value, effective date or None) as a three-column Terms range holds them.

        >>> import datetime as dt
        >>> t = Terms({dt.date(2025, 1, 1): 0.05, dt.date(2027, 1, 1): 0.06})
        >>> t.as_range()[:2]
        [('deemed_rate', 0.05, datetime.date(2025, 1, 1)), ('deemed_rate', 0.06, datetime.date(2027, 1, 1))]
        >>> Terms.from_mapping(t.as_range()) == t
        True
        """
        rows: list[tuple[str, Any, Any]] = []
        own = self.own_rate
        if isinstance(own, RateSchedule):
            schedule = zip(own.dates, own.rates, strict=True)
            rows += [("deemed_rate", r, to_date(d)) for d, r in schedule]
        else:
            rows.append(("deemed_rate", float(own), None))
        if self.guarantee_fee:  # only when given: a Terms range without the row reads as 0
            rows.append(("guarantee_fee", self.guarantee_fee, None))
        for name in (
            "japan_share_before",
            "japan_share_after",
            "day_count",
            "compounding",
            "partner_share",
            "allocation_basis",
            "useful_life",
        ):
            rows.append((name, getattr(self, name), None))
        return rows


def _compounding(value: Any) -> str:
    key = str(value).strip().lower() if isinstance(value, str) else None
    key = _COMPOUNDING_ALIASES.get(key, key) if key is not None else None
    if key not in COMPOUNDINGS:
        raise TermsError(
            f"compounding: {value!r} is not a compounding; use one of {', '.join(COMPOUNDINGS)}."
        )
    return key


def _useful_life(value: Any, basis: str) -> int | None:
    if is_blank(value):
        if basis == "scheduled":
            raise TermsError(
                "useful_life: required when allocation_basis is 'scheduled'; enter whole years, e.g. 20."
            )
        return None
    years = _number(value, "useful_life")
    if years < 1 or years != int(years):
        raise TermsError(f"useful_life: {value!r} is not a whole number of years >= 1; enter e.g. 20.")
    return int(years)


@dataclass(frozen=True)
class TermInfo:
    """What a term is, for people: its unit, whether it is a percentage, and its help at three lengths.

    ``help`` is one line (the report's Terms sheet), ``note`` a sentence or two (the template's Terms
    sheet, beside the input cell), ``option`` the command line's option help.
    """

    name: str
    unit: str
    percent: bool
    help: str
    note: str
    option: str


#: The one table of term metadata, in the Terms range's order; the command line, the template and
#: both reports read it.
TERM_INFO: dict[str, TermInfo] = {
    info.name: info
    for info in (
        TermInfo(
            "deemed_rate",
            "% a year",
            True,
            "Annual deemed interest rate (benchmark + spread); a dated rate has one row per change.",
            "Annual deemed interest rate: the benchmark (six-month SOFR is the usual reading) plus the "
            "project's spread and any guarantee fee. Required.",
            "Annual deemed interest rate, e.g. 0.055 or 5.5% (required for a CSV).",
        ),
        TermInfo(
            "guarantee_fee",
            "% a year",
            True,
            "Guarantee fee: an annual rate added to the deemed rate (same day count and compounding).",
            "Annual guarantee fee on the outstanding deemed balance where Japan guarantees loans, added "
            "to the deemed rate (Diet answers, Dec 2025). Default 0.",
            "Annual guarantee fee added to the deemed rate (default 0).",
        ),
        TermInfo(
            "japan_share_before",
            "%",
            True,
            "Japan's share of distributions until its deemed allocation is recovered.",
            "Japan's share of distributions until it has received its deemed allocation (MOU: 50%).",
            "Japan's share before the threshold (default 0.5).",
        ),
        TermInfo(
            "japan_share_after",
            "%",
            True,
            "Japan's share of distributions after the threshold.",
            "Japan's share of distributions after that threshold (MOU: 10%).",
            "Japan's share after the threshold (default 0.1).",
        ),
        TermInfo(
            "day_count",
            "text",
            False,
            "ACT/365F, ACT/360 or 30/360 (Excel's DAYS360(start, end, FALSE)/360).",
            "How days count as years for deemed interest: ACT/365F, ACT/360 (the SOFR convention) or "
            "30/360 (Excel's DAYS360).",
            "ACT/365F (default), ACT/360 or 30/360.",
        ),
        TermInfo(
            "compounding",
            "text",
            False,
            "annual, semiannual, quarterly, monthly, continuous or simple.",
            "How deemed interest compounds: annual, semiannual, quarterly, monthly, continuous, or simple "
            "(interest paid first, never compounded).",
            "annual (default), semiannual, quarterly, monthly, continuous or simple.",
        ),
        TermInfo(
            "partner_share",
            "%",
            True,
            "Part of Japan's side held by a foreign partner (funds and receives pro rata).",
            "Part of Japan's side held by a foreign partner investing alongside; it funds and receives "
            "that part of Japan's flows.",
            "Part of Japan's side held by a foreign partner (default 0).",
        ),
        TermInfo(
            "allocation_basis",
            "text",
            False,
            "cumulative (one running balance), scheduled (the yearly second reading) or pooled (one "
            "balance for the whole program; program view only).",
            "cumulative: one running balance (the default reading); scheduled: a yearly allocation of "
            "interest plus principal / useful_life.",
            "cumulative (default), scheduled, or pooled (the portfolio command only).",
        ),
        TermInfo(
            "useful_life",
            "years",
            False,
            "Whole years; used by the scheduled reading only.",
            "Whole years over which principal is due under the scheduled basis; leave blank under "
            "cumulative.",
            "Whole years; required by the scheduled basis.",
        ),
    )
}


#: The columns of a deemed-rate sensitivity grid (``SPV_RATE_GRID``, the template's Sensitivity sheet),
#: named as :class:`~xlspv.waterfall.Summary` names them.
GRID_COLUMNS = ("deemed_rate", "xirr_japan", "threshold_date", "japan_received", "unrecovered")
#: What the functions accept as terms: a :class:`Terms`, a bare deemed rate, or name/value pairs.
TermsLike = Terms | float | int | Mapping[str, Any] | Sequence[Any]


def as_terms(terms: TermsLike) -> Terms:
    """Terms from a :class:`Terms`, a bare deemed rate, or name/value pairs.

    >>> as_terms(0.055) == Terms(0.055), as_terms([("deemed_rate", 0.05)]).deemed_rate
    (True, 0.05)
    """
    if isinstance(terms, Terms):
        return terms
    if isinstance(terms, bool):
        raise TermsError(f"terms: {terms!r} is not a deemed rate or a terms table.")
    if isinstance(terms, (int, float, np.integer, np.floating)):
        return Terms(as_float(terms, "terms", TermsError))
    if isinstance(terms, (Mapping, list, tuple)):
        return Terms.from_mapping(terms)
    raise TermsError(f"terms: {terms!r} is not a deemed rate or a terms table.")


#: The steps of a deemed-rate sensitivity around a rate: -2 to +2 points, in 1-point steps (decimals).
#: The template's rates to compare and the portfolio report's default grid are these.
SENSITIVITY_STEPS = (-0.02, -0.01, 0.0, 0.01, 0.02)


def rates_around(terms: Terms) -> list[float]:
    """The deemed rates of a sensitivity: the terms' rate plus each of :data:`SENSITIVITY_STEPS`.

    The rate as entered, without a guarantee fee: each grid point is those terms with the grid's
    rate (:meth:`Terms.with_rate`), which adds the fee again, so the middle point is the terms'
    own. With a rate schedule the grid is centred on its first rate (each grid point is a flat
    rate). Rates are rounded to 10 decimals, as a user would type them (3.5%, not 3.4999...%), and
    rates at or below -100% are left out.

    >>> rates_around(Terms(0.055))
    [0.035, 0.045, 0.055, 0.065, 0.075]
    >>> rates_around(Terms(0.05, guarantee_fee=0.01))
    [0.03, 0.04, 0.05, 0.06, 0.07]
    >>> rates_around(Terms(-0.985))
    [-0.995, -0.985, -0.975, -0.965]
    """
    rate = terms.own_rate
    if isinstance(rate, RateSchedule):
        rate = rate.rates[0]
    grid = [round(rate + step, 10) for step in SENSITIVITY_STEPS]
    return [r for r in grid if r > -1.0]


__all__ = [
    "ALLOCATION_BASES",
    "COMPOUNDINGS",
    "FeeRate",
    "DAY_COUNTS",
    "GRID_COLUMNS",
    "SENSITIVITY_STEPS",
    "TERM_INFO",
    "TermInfo",
    "TermsLike",
    "as_terms",
    "bare_rate_refusal",
    "parse_fee",
    "parse_rate",
    "RateSchedule",
    "Terms",
    "rates_around",
]
