"""The risk model: one validated, immutable object holding every source of uncertainty.

The parameters, their units and defaults live once, in :data:`PARAMETERS`; the command line, the Excel
function and the risk workbook all read that table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ..cells import finite_number
from ..errors import RiskModelError
from ..terms import bare_rate_refusal

#: Scenarios one run may ask for: every per-scenario figure is kept (8 bytes each) so that quantiles
#: are exact; 10 million scenarios keep about 0.3 GB of them.
MAX_SCENARIOS = 10_000_000

#: (name, unit, default, help) of every parameter, in display order.
PARAMETERS: tuple[tuple[str, str, Any, str], ...] = (
    (
        "rate_vol",
        "per year, absolute (0.01 = 1 point)",
        0.01,
        "Volatility of the benchmark (six-month SOFR); 0 keeps the deemed rate as the terms give it.",
    ),
    ("rate_reversion", "per year", 0.1, "Speed at which the benchmark reverts to rate_mean."),
    ("rate_mean", "per year, decimal", None, "Long-run benchmark level; default: rate_start."),
    ("rate_start", "per year, decimal", 0.04, "The benchmark today (six-month SOFR, late 2025: 4%)."),
    ("cash_vol", "log-volatility", 0.3, "Volatility of each SPV's lognormal cash factor (mean 1)."),
    (
        "delay_months",
        "months (mean)",
        12.0,
        "Mean delay of the distributions (geometric, whole months, 0 = no delay).",
    ),
    ("stop_hazard", "per year", 0.01, "Annual hazard that a project fails and its cash stops for good."),
    ("correlation", "[-1, 1]", 0.3, "Correlation of the SPVs' cash shocks (one common factor)."),
)

#: The parameters that are yearly rates (decimals, 0.01 = 1 point): typed (a text, a cell of a model
#: range) they follow the one rate rule (:func:`xlspv.terms.parse_rate`: a bare 5 is refused, not 500%).
RATE_PARAMETERS = ("rate_vol", "rate_mean", "rate_start")

#: Scenarios of the model run by ``simulate`` when none are given.
DEFAULT_SCENARIOS = 10_000


def _number(name: str, value: Any) -> float:
    """A finite float from a number or a text, by the one number rule (:func:`xlspv.cells.finite_number`)."""
    return finite_number(value, name, RiskModelError)


def _rate(name: str, value: Any, *, cell: bool = False) -> float:
    """A rate parameter: a number, refused when typed as 1 or more without a per-cent sign.

    A text always follows the rate rule, a number only when read from a cell (``cell``); a Python
    number is taken as it is.
    """
    number = _number(name, value)
    refused = bare_rate_refusal(value, number, name, cell=cell)
    if refused is not None:
        raise RiskModelError(refused)
    return number


def _level(name: str, value: Any) -> float:
    """A benchmark level: a rate (:func:`_rate`) above -100% a year, as every deemed rate must be."""
    number = _rate(name, value)
    if number <= -1.0:
        raise RiskModelError(f"{name}: {value!r} is -100% a year or below; enter a level such as 0.04.")
    return number


def _at_least_zero(name: str, value: Any, what: str) -> float:
    number = _rate(name, value) if name in RATE_PARAMETERS else _number(name, value)
    if number < 0.0:
        raise RiskModelError(f"{name}: {number!r} is negative; {what} must be 0 or more.")
    return number


@dataclass(frozen=True)
class RiskModel:
    """The sources of uncertainty of a risk run, validated on construction.

    Parameters
    ----------
    rate_vol : float
        Absolute annual volatility of the benchmark (six-month SOFR), a decimal per year (0.01 = one
        percentage point), >= 0. Default 0.01.
    rate_reversion : float
        Mean-reversion speed per year, >= 0 (0 = a random walk). Default 0.1.
    rate_mean : float or None
        Long-run benchmark level, a decimal; ``None`` (default) = ``rate_start``.
    rate_start : float
        The benchmark today, a decimal. Default 0.04 (six-month SOFR of late 2025).
    cash_vol : float
        Log-volatility of each SPV's lognormal cash factor, >= 0 (the factor has mean 1). Default 0.3.
    delay_months : float
        Mean delay of the distributions in months, >= 0 (geometric on 0, 1, 2, ... whole months; 0 = no
        delay). Default 12.
    stop_hazard : float
        Annual hazard rate of a project failure (its cash stops for good), >= 0. Default 0.01.
    correlation : float
        Correlation of the SPVs' cash shocks, in [-1, 1] (one common factor). Default 0.3.

    Given as text (a command line option) or read from a model range's cell, a parameter follows the
    one number rule (``"0,3"`` is refused as ambiguous), and ``rate_vol``, ``rate_mean`` and
    ``rate_start`` the rate rule too (a bare 5 is refused, not read as 500% a year); a Python number
    is taken as it is.

    Notes
    -----
    The benchmark is an Ornstein-Uhlenbeck (Vasicek) process, sampled exactly at six-month resets:
    ``r(t+h) = m + (r(t) - m) exp(-k h) + v sqrt((1 - exp(-2 k h)) / (2 k)) Z`` with ``h = 0.5``. Each
    scenario's deemed rate is the terms' own (flat or scheduled) plus ``r(t) - rate_start``.

    Examples
    --------
    >>> RiskModel(cash_vol=0).rate_level
    0.04
    >>> RiskModel(correlation=1.5)
    Traceback (most recent call last):
    ...
    xlspv.errors.RiskModelError: correlation: 1.5 is outside [-1, 1]; enter a correlation such as 0.3.
    """

    rate_vol: float = 0.01
    rate_reversion: float = 0.1
    rate_mean: float | None = None
    rate_start: float = 0.04
    cash_vol: float = 0.3
    delay_months: float = 12.0
    stop_hazard: float = 0.01
    correlation: float = 0.3

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "rate_vol", _at_least_zero("rate_vol", self.rate_vol, "a volatility"))
        set_(
            self, "rate_reversion", _at_least_zero("rate_reversion", self.rate_reversion, "a reversion speed")
        )
        set_(self, "rate_start", _level("rate_start", self.rate_start))
        if self.rate_mean is not None and not (
            isinstance(self.rate_mean, str) and not self.rate_mean.strip()
        ):
            set_(self, "rate_mean", _level("rate_mean", self.rate_mean))
        else:
            set_(self, "rate_mean", None)
        set_(self, "cash_vol", _at_least_zero("cash_vol", self.cash_vol, "a volatility"))
        if self.cash_vol > 5.0:
            raise RiskModelError(
                f"cash_vol: {self.cash_vol!r} is above 5 (a factor spread over e^10); enter e.g. 0.3."
            )
        delay = _at_least_zero("delay_months", self.delay_months, "a mean delay")
        if delay > 600.0:
            raise RiskModelError(f"delay_months: {delay!r} is above 600 (50 years); enter e.g. 12.")
        set_(self, "delay_months", delay)
        set_(self, "stop_hazard", _at_least_zero("stop_hazard", self.stop_hazard, "a hazard rate"))
        rho = _number("correlation", self.correlation)
        if not -1.0 <= rho <= 1.0:
            raise RiskModelError(f"correlation: {rho!r} is outside [-1, 1]; enter a correlation such as 0.3.")
        set_(self, "correlation", rho)

    @property
    def rate_level(self) -> float:
        """The long-run benchmark level actually used: ``rate_mean``, or ``rate_start`` when unset."""
        return self.rate_start if self.rate_mean is None else self.rate_mean

    @property
    def degenerate(self) -> bool:
        """True when no source of uncertainty is on: every scenario is the deterministic waterfall."""
        return (
            self.rate_vol == 0.0
            and self.cash_vol == 0.0
            and self.delay_months == 0.0
            and self.stop_hazard == 0.0
        )

    @classmethod
    def deterministic(cls) -> RiskModel:
        """The model with every source of uncertainty off."""
        return cls(rate_vol=0.0, cash_vol=0.0, delay_months=0.0, stop_hazard=0.0)

    def replace(self, **changes: Any) -> RiskModel:
        """A copy with some parameters changed (validated again)."""
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | Iterable[Any]) -> RiskModel:
        """A model from name/value pairs (a two-column Excel range); blanks keep the defaults.

        The values are read as typed cells: a rate parameter (:data:`RATE_PARAMETERS`) of 1 or more
        without a per-cent sign is refused, a number as well as a text (``rate_start`` 5 is not 500%).

        >>> RiskModel.from_mapping([("Cash vol", 0.2), ("stop-hazard", "2%")]).stop_hazard
        0.02
        >>> RiskModel.from_mapping({"rate_start": 4})
        Traceback (most recent call last):
        ...
        xlspv.errors.RiskModelError: rate_start: 4 would be 400% a year; write the rate as a decimal ...
        """
        rows = list(mapping.items()) if isinstance(mapping, Mapping) else list(mapping)
        known = [f.name for f in fields(cls)]
        values: dict[str, Any] = {}
        for i, row in enumerate(rows):
            row = tuple(row) if isinstance(row, (list, tuple)) else (row,)
            if not row or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                continue
            raw = row[0]
            name = raw.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(raw, str) else None
            if name not in known:
                raise RiskModelError(
                    f"model row {i + 1}: {raw!r} is not a model parameter; use one of {', '.join(known)}."
                )
            if name in values:
                raise RiskModelError(f"model row {i + 1}: {name} is given twice; keep one row.")
            value = row[1] if len(row) > 1 else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            values[name] = _rate(name, value, cell=True) if name in RATE_PARAMETERS else value
        return cls(**values)

    def as_rows(self) -> list[tuple[str, Any, str]]:
        """(name, value, unit) rows in display order; ``rate_mean`` shows the level used."""
        return [
            (name, self.rate_level if name == "rate_mean" else getattr(self, name), unit)
            for name, unit, _, _ in PARAMETERS
        ]


def as_model(model: Any) -> RiskModel:
    """The risk model of ``model``: a :class:`RiskModel`, ``None`` (the defaults), or name/value pairs.

    Name/value pairs (a mapping such as ``{"rate_vol": 0.02}``, or rows) are read by
    :meth:`RiskModel.from_mapping`, as a model range is; anything else is refused.

    >>> as_model({"rate_vol": 0.02}).rate_vol, as_model(None) == RiskModel()
    (0.02, True)
    """
    if model is None:
        return RiskModel()
    if isinstance(model, RiskModel):
        return model
    if isinstance(model, (Mapping, list, tuple)):
        return RiskModel.from_mapping(model)
    raise RiskModelError(
        f"model: {model!r} is not a risk model; give a RiskModel or name/value pairs such as "
        "{'rate_vol': 0.02}."
    )


def check_scenarios(scenarios: Any, limit: int = MAX_SCENARIOS, where: str = "scenarios") -> int:
    """A whole number of scenarios in [1, ``limit``]; :class:`RiskModelError` otherwise."""
    number = _number(where, scenarios)
    if number != int(number):
        raise RiskModelError(f"{where}: {scenarios!r} is not a whole number; enter e.g. 10000.")
    if not 1 <= number <= limit:
        raise RiskModelError(
            f"{where}: {int(number):,} is outside 1 to {limit:,}; enter a number in that range."
        )
    return int(number)


def check_seed(seed: Any) -> int:
    """A whole seed >= 0 (any size)."""
    number = _number("seed", seed)
    if number != int(number) or number < 0:
        raise RiskModelError(f"seed: {seed!r} is not a whole number >= 0; enter e.g. 1.")
    return int(number)
