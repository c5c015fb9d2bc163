"""What a deemed-allocation basis computes for the rows of one or many schedules, in date order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Tier codes of the per-row ``tier`` output and their names in tables and in Excel.
FUNDING, BEFORE, THRESHOLD, AFTER = 0, 1, 2, 3
TIER_NAMES = np.array(["funding", "before", "threshold", "after"], dtype=object)


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
