"""What a deemed-allocation basis computes for the rows of one or many schedules, in date order.

Both readings share two rules, written here once: the split of the row in which what is owed is met
(:func:`threshold_split`) and the parties' cash flows built from the rows (:func:`party_flows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._jit import njit
from .errors import SpvInputError

#: Tier codes of the per-row ``tier`` output and their names in tables and in Excel.
FUNDING, BEFORE, THRESHOLD, AFTER = 0, 1, 2, 3
TIER_NAMES = np.array(["funding", "before", "threshold", "after"], dtype=object)


@njit(cache=True, nogil=True)
def threshold_split(value: float, owed: float, before: float, after: float) -> float:
    """Japan's part of a distribution ``value`` in the row that meets what is ``owed`` (> 0).

    The first ``x = owed / before`` of the row is split at the before-share (paying ``owed``
    exactly); the rest, if any, at the after-share.
    """
    return owed + after * max(value - owed / before, 0.0)


PARTIES = ("japan", "us", "partner", "project")


def party_flows(party: str, values: np.ndarray, japan: np.ndarray, partner_share: np.ndarray | float) -> np.ndarray:
    """Cash flows of a party per row (any shape): 'japan', 'us', 'partner' or 'project'.

    Japan: minus its fundings plus its payouts (``japan``, the whole Japanese side's); the partner:
    the same scaled by its share (``partner_share`` broadcasts against the rows: a number, or one per
    scenario shaped ``(scenarios, 1)``); the US: the rest of each distribution; the project: the
    SPV's own ``values``.
    """
    key = party.strip().lower() if isinstance(party, str) else None
    if key in ("japan", "partner"):
        side = np.where(values < 0.0, values, japan)
        return side if key == "japan" else partner_share * side
    if key == "us":
        return np.where(values > 0.0, values - japan, 0.0)
    if key == "project":
        return values
    raise SpvInputError(f"party: {party!r} is not a party; use Japan, US, Partner or Project.")


@dataclass(frozen=True)
class Rows:
    """Per-row outputs of one basis, each shaped ``(scenarios, rows)`` in processing (date) order.

    ``japan`` is the whole Japanese side's payout (partner included), ``interest`` the deemed interest
    accrued since the previous row, ``balance`` what would be unrecovered after the row, ``tier`` the
    codes above. ``threshold_pos`` is, per scenario, the position (in date order) of the threshold row,
    or -1 when the threshold is not reached; ``unrecovered`` is the deemed allocation still unrecovered
    after the last row. ``schedule`` is the scheduled basis's per-year table (one scenario only).
    """

    japan: np.ndarray
    interest: np.ndarray
    balance: np.ndarray
    tier: np.ndarray
    threshold_pos: np.ndarray
    unrecovered: np.ndarray
    schedule: pd.DataFrame | None = None
