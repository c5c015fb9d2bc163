"""Risk: how likely is Japan to recover its deemed allocation? Monte Carlo over the batch waterfall.

>>> import datetime as dt
>>> from xlspv import Terms
>>> from xlspv.risk import RiskModel, simulate
>>> days = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
>>> r = simulate([-100, 60, 200], days, Terms(0.1), model=RiskModel.deterministic(), scenarios=10)
>>> r.figures["recovery_probability"], r.figures["threshold_p50"]
(1.0, datetime.date(2027, 1, 1))
"""

from __future__ import annotations

from .model import DEFAULT_SCENARIOS, MAX_SCENARIOS, PARAMETERS, RiskModel, check_scenarios, check_seed
from .result import FIGURES, RiskResult
from .simulate import simulate, simulate_program

__all__ = [
    "DEFAULT_SCENARIOS",
    "FIGURES",
    "MAX_SCENARIOS",
    "PARAMETERS",
    "RiskModel",
    "RiskResult",
    "check_scenarios",
    "check_seed",
    "simulate",
    "simulate_program",
]
