"""The $550 billion program view: a portfolio of SPVs, checked, computed in one batch, and flagged.

The agreement is a program, not one project: up to $550 billion across many SPVs, selected one by one,
each funded at least 45 days after notice, all before 19 January 2029 (``docs/waterfall.md``, "The
agreement being modelled"). This package is the program view's core: no files and no Excel here (the
file readers and writers are :mod:`xlspv.workbooks.portfolio_reader` and
:mod:`xlspv.workbooks.portfolio_writer`). Its modules, bottom-up:

- :mod:`.agreement`: the agreement's constants (the cap, the deadline, the notice period, the sectors).
- :mod:`.tables`: the tables' vocabulary (columns and their aliases, units, sectors) and tables read
  from numbered rows or from memory.
- :mod:`.model`: :class:`Portfolio`, the checked input, built by :meth:`Portfolio.from_tables` or
  from the file readers' tables.
- :mod:`.results`: the result types.
- :mod:`.flags`: the cap, the deadline and the notice period: shown as flags, not refused.
- :mod:`.odds`: the recovery review's probability side: SPVs unlikely to recover in time, flagged.
- :mod:`.sensitivity`: Japan's XIRR and the threshold year over a grid of deemed rates and scalings.
- :mod:`.readings`: both readings of the deemed allocation, side by side.
- :mod:`.analyse`: every SPV in one batch, then the program's tables.
- :mod:`.policy`: which terms a program view runs with (the input's, the options given).
- :mod:`.warm`: the program view's compiled kernels, loaded on a second thread while the input is read.
"""

from __future__ import annotations

from ..scheduled import DEFAULT_USEFUL_LIFE
from .agreement import FUNDING_DEADLINE, MIN_NOTICE_DAYS, NAMED_SECTORS, PROGRAM_CAP_USD_M
from .analyse import analyse
from .flags import FLAG_KINDS
from .model import Portfolio, Spv
from .odds import DEFAULT_RECOVERY_LEVEL, RecoveryOdds
from .policy import program_terms
from .readings import LIFE_FROM_DEFAULT, LIFE_FROM_SPV, LIFE_FROM_TERMS, READING_FIGURES, compare_readings
from .results import CapStatus, PortfolioResult, ProgramSummary, Readings, Sensitivity
from .sensitivity import default_rates, sensitivity
from .tables import TERM_COLUMNS, UNITS

__all__ = [
    "DEFAULT_RECOVERY_LEVEL",
    "DEFAULT_USEFUL_LIFE",
    "FLAG_KINDS",
    "FUNDING_DEADLINE",
    "LIFE_FROM_DEFAULT",
    "LIFE_FROM_SPV",
    "LIFE_FROM_TERMS",
    "MIN_NOTICE_DAYS",
    "NAMED_SECTORS",
    "PROGRAM_CAP_USD_M",
    "READING_FIGURES",
    "TERM_COLUMNS",
    "UNITS",
    "CapStatus",
    "Portfolio",
    "PortfolioResult",
    "ProgramSummary",
    "Readings",
    "RecoveryOdds",
    "Sensitivity",
    "Spv",
    "analyse",
    "compare_readings",
    "default_rates",
    "program_terms",
    "sensitivity",
]
