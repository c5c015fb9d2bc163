"""``simulate`` and ``simulate_program``: the entry points of a risk run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..inputs import prepare
from ..terms import TermsLike, as_terms
from .drivers import Progress, run
from .model import DEFAULT_SCENARIOS, RiskModel, as_model, check_scenarios, check_seed
from .result import RiskResult, assemble
from .scenarios import Schedule, problem


def simulate(
    values: Any,
    dates: Any,
    terms: TermsLike,
    *,
    model: RiskModel | Mapping[str, Any] | None = None,
    scenarios: int = DEFAULT_SCENARIOS,
    seed: int = 0,
    scheduler: str | None = None,
    progress: Progress | None = None,
    name: str = "SPV",
    threads: int | None = None,
) -> RiskResult:
    """Monte Carlo risk figures of one SPV.

    Parameters
    ----------
    values, dates, terms
        The SPV as for :func:`xlspv.compute` (negative values = Japan's fundings, money in any unit).
    model : RiskModel or mapping, optional
        The sources of uncertainty (default: ``RiskModel()``, every default of issue 17), or their
        name/value pairs (``{"rate_vol": 0.02}``, read as :meth:`RiskModel.from_mapping` reads a range).
    scenarios : int
        Number of scenarios, 1 to :data:`~xlspv.risk.MAX_SCENARIOS`.
    seed : int
        Whole number >= 0; the same seed gives the same figures whatever ``scheduler`` runs them.
    scheduler : str, optional
        None (this process), "threads", "processes", or a ``tcp://host:port`` dask.distributed scheduler.
    progress : callable, optional
        Called as ``progress(scenarios done, scenarios in all)`` after each chunk.
    threads : int, optional
        Threads of an in-process run (default: the cores this process may use); the figures do not
        depend on it.

    Returns
    -------
    RiskResult
        ``summary`` (figures x one column), ``distributions`` (per scenario), ``fan`` (balance
        percentiles by date), ``figures`` (a dict).
    """
    t = as_terms(terms)
    flows = prepare(values, dates)
    spv = Schedule(name, flows.sorted_values, flows.sorted_days, t)
    return _run([spv], False, model, scenarios, seed, scheduler, progress, threads)


def simulate_program(
    portfolio: Any,
    terms: Any = None,
    *,
    model: RiskModel | Mapping[str, Any] | None = None,
    scenarios: int = DEFAULT_SCENARIOS,
    seed: int = 0,
    scheduler: str | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> RiskResult:
    """Monte Carlo risk figures of every SPV of a program and of the program as a whole.

    ``portfolio`` is an :class:`xlspv.portfolio.Portfolio`; ``terms`` the default terms (else the
    portfolio's own). The program recovers when every SPV does; its threshold is the last SPV's, its
    unrecovered amount the sum, its XIRR that of Japan's flows of all SPVs together. Other arguments
    as for :func:`simulate`.
    """
    import numpy as np

    term_list = portfolio.terms_for(terms)
    spvs = []
    for j, (spv, t) in enumerate(zip(portfolio.spvs, term_list, strict=True)):
        rows = np.flatnonzero(portfolio.flow_spv == j)
        order = rows[np.argsort(portfolio.flow_days[rows], kind="stable")]
        spvs.append(Schedule(spv.id, portfolio.flow_values[order], portfolio.flow_days[order], t))
    return _run(spvs, True, model, scenarios, seed, scheduler, progress, threads)


def _run(
    spvs: list[Schedule],
    program: bool,
    model: RiskModel | Mapping[str, Any] | None,
    scenarios: Any,
    seed: Any,
    scheduler: str | None,
    progress: Progress | None,
    threads: int | None = None,
) -> RiskResult:
    chosen = as_model(model)  # a RiskModel, None (the defaults) or name/value pairs
    n = check_scenarios(scenarios)
    s = check_seed(seed)
    prob = problem(spvs, program)
    return assemble(prob, chosen, n, s, run(prob, chosen, n, s, scheduler, progress, threads))
