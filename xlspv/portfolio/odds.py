"""The probability side of a program's recovery review: which SPVs are unlikely to recover in time.

The Korea-US MOU lets the allocation be adjusted when it is "reasonably apparent" that Korea will not
receive its deemed allocation within 20 years (:data:`~xlspv.portfolio.agreement.KOREA_2025`). The
deterministic schedule answers that with a date (the "recovery" flag of :mod:`.flags`); a Monte Carlo
run (:func:`xlspv.risk.simulate_program`) answers it with a probability. This module holds the policy:
an SPV is flagged when its probability of recovery within the review period is below a stated level
(:data:`DEFAULT_RECOVERY_LEVEL` unless the user states another).

The probabilities come in as numbers (:class:`RecoveryOdds`), so the program view does not depend on
the risk package: the command line (or a Python user) runs the risk view and hands its figures here,
with :meth:`RecoveryOdds.from_risk`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpvInputError, TermsError

#: The level below which an SPV's probability of recovery within the review period is flagged.
DEFAULT_RECOVERY_LEVEL = 0.5
#: The flag kind of an SPV whose probability is below the level (the deterministic one is "recovery").
PROBABILITY_FLAG = "recovery probability"
#: The review period the risk view measures ``recovered_20y`` over, in years from the first funding.
RISK_REVIEW_YEARS = 20


def level_text(level: float) -> str:
    """A level as a percentage with no spurious digits: 0.5 -> "50%", 0.075 -> "7.5%"."""
    return f"{level * 100:g}%"


def check_level(level: Any, where: str = "recovery level") -> float:
    """A probability level in [0, 1] (a decimal, or text such as ``"50%"``); one clear error otherwise.

    >>> check_level("40%")
    0.4
    """
    text = level.strip() if isinstance(level, str) else level
    try:
        if isinstance(text, bool) or text is None:
            raise ValueError
        number = float(text[:-1]) / 100.0 if isinstance(text, str) and text.endswith("%") else float(text)
    except (TypeError, ValueError):
        raise SpvInputError(f"{where}: {level!r} is not a number; give a probability such as 0.5.") from None
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        raise SpvInputError(f"{where}: {level!r} is outside 0 to 1; give a probability such as 0.5.")
    return number


def check_review(program: Any, allocation_basis: str) -> None:
    """Refuse a probability review the program view cannot read unambiguously (one message, the fix).

    ``program`` is a :class:`~xlspv.portfolio.agreement.Program`: it must have a recovery review of
    :data:`RISK_REVIEW_YEARS` years (the period the risk view measures); the basis must be cumulative
    (the risk view computes each SPV's own recovery; the pooled reading has one balance).
    """
    if program.recovery_years is None:
        raise SpvInputError(
            f"recovery probabilities: the {program.name} program has no recovery review (no period to "
            "measure recovery over); use the korea-2025 program (--program korea-2025), or `xlspv risk` "
            "for the probabilities alone."
        )
    if program.recovery_years != RISK_REVIEW_YEARS:
        raise SpvInputError(
            f"recovery probabilities: the risk view measures recovery within {RISK_REVIEW_YEARS} years, "
            f"but {program.name} reviews it over {program.recovery_years}; use a {RISK_REVIEW_YEARS}-year "
            "program."
        )
    if allocation_basis != "cumulative":
        raise TermsError(
            f"allocation_basis: {allocation_basis!r} with recovery probabilities: the risk view computes "
            "each SPV's own recovery on the cumulative basis (the pooled reading has one balance for the "
            "program); use allocation_basis 'cumulative' (--allocation-basis cumulative)."
        )


@dataclass(frozen=True)
class RecoveryOdds:
    """Each SPV's probability of recovering its deemed allocation within the review period.

    Attributes
    ----------
    ids : tuple of str
        The SPVs, in the portfolio's order.
    probability, standard_error : numpy.ndarray
        Probability of recovery within ``years`` of the SPV's first funding, and its Monte Carlo
        standard error (decimals, 0 to 1).
    level : float
        The stated level: an SPV whose probability is below it is flagged.
    scenarios, seed : int
        The Monte Carlo run the probabilities come from.
    model : str
        The risk model in words (its parameters), for the report's Cover.
    years : int
        The review period, in years from each SPV's first funding.
    """

    ids: tuple[str, ...]
    probability: np.ndarray
    standard_error: np.ndarray
    level: float = DEFAULT_RECOVERY_LEVEL
    scenarios: int = 0
    seed: int = 0
    model: str = ""
    years: int = RISK_REVIEW_YEARS

    def __post_init__(self) -> None:
        p = np.asarray(self.probability, dtype=float)
        se = np.asarray(self.standard_error, dtype=float)
        if p.shape != (len(self.ids),) or se.shape != p.shape:
            raise SpvInputError(
                f"recovery odds: {len(self.ids)} SPVs but {p.size} probabilities and {se.size} standard "
                "errors; give one of each per SPV."
            )
        if not (np.isfinite(p).all() and ((p >= 0.0) & (p <= 1.0)).all()):
            raise SpvInputError("recovery odds: every probability must be a number from 0 to 1.")
        object.__setattr__(self, "probability", p)
        object.__setattr__(self, "standard_error", se)
        object.__setattr__(self, "level", check_level(self.level))

    @property
    def below(self) -> np.ndarray:
        """Per SPV: True where the probability is below the level (the SPVs flagged)."""
        return self.probability < self.level

    def table(self) -> pd.DataFrame:
        """One row per SPV: ``id``, ``recovered_20y``, ``recovered_20y_se``, ``below_level``."""
        return pd.DataFrame(
            {
                "id": list(self.ids),
                "recovered_20y": self.probability,
                "recovered_20y_se": self.standard_error,
                "below_level": self.below,
            }
        )

    def describe(self) -> str:
        """The rule and the run in words, for the report's Cover."""
        return (
            f"flag an SPV whose probability of recovering its deemed allocation within {self.years} years "
            f"of its first funding is below {level_text(self.level)} (the stated level; Monte Carlo: "
            f"{self.scenarios:,} scenarios, seed {self.seed}"
            + (f"; risk model {self.model}" if self.model else "")
            + ")"
        )

    @classmethod
    def from_risk(cls, risk: Any, ids: Sequence[str], level: Any = DEFAULT_RECOVERY_LEVEL) -> RecoveryOdds:
        """The odds of a program's risk run (:func:`xlspv.risk.simulate_program`'s result).

        ``ids`` are the portfolio's SPV ids, in its order (the run's first columns must be those SPVs).

        Examples
        --------
        >>> import datetime as dt
        >>> from xlspv import Terms
        >>> from xlspv.portfolio import Portfolio
        >>> from xlspv.risk import RiskModel, simulate_program
        >>> p = Portfolio.from_tables(
        ...     [{"id": "A", "name": "", "sector": "energy", "notice_date": dt.date(2024, 1, 1),
        ...       "committed": 100}],
        ...     {"spv_id": ["A", "A"], "date": [dt.date(2025, 1, 1), dt.date(2026, 1, 1)],
        ...      "value": [-100, 500]}, program="korea-2025")
        >>> risk = simulate_program(p, Terms(0.05), model=RiskModel.deterministic(), scenarios=10)
        >>> odds = RecoveryOdds.from_risk(risk, p.ids)
        >>> odds.probability.tolist(), odds.below.tolist()
        ([1.0], [False])
        """
        names = tuple(risk.spv_names[: len(ids)])
        if names != tuple(ids):
            raise SpvInputError(
                "recovery odds: the risk run is of other SPVs than the portfolio's; run "
                "simulate_program on the same portfolio."
            )
        summary = risk.summary.iloc[:, : len(ids)]
        model = risk.model
        words = ", ".join(f"{name} {value:g}" for name, value, _ in model.as_rows())
        return cls(
            ids=tuple(ids),
            probability=np.array(summary.loc["recovered_20y"].tolist(), dtype=float),
            standard_error=np.array(summary.loc["recovered_20y_se"].tolist(), dtype=float),
            level=level,
            scenarios=int(risk.scenarios),
            seed=int(risk.seed),
            model=words,
        )


__all__ = [
    "DEFAULT_RECOVERY_LEVEL",
    "PROBABILITY_FLAG",
    "RISK_REVIEW_YEARS",
    "RecoveryOdds",
    "check_level",
    "check_review",
    "level_text",
]
