"""Which terms a program view runs with: the input's own, the options given, and the basis policy.

The command line (``xlspv portfolio``) hands the term options it was given here; the policy is the
program view's, not the command line's: the input's default terms with the options applied, a deemed
rate required from one or the other, and the scheduled basis (which the batch path does not compute)
shown beside the cumulative one on the Readings sheet rather than refused or silently ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..errors import TermsError
from ..progress import Progress, say
from ..scheduled import DEFAULT_USEFUL_LIFE
from ..terms import Terms
from .model import Portfolio


def program_terms(
    portfolio: Portfolio,
    options: Mapping[str, Any],
    *,
    readings: bool,
    progress: Progress | None = None,
) -> Terms:
    """The default terms of a program view: the input's Terms with the ``options`` given applied.

    Parameters
    ----------
    portfolio : Portfolio
        The input; its ``terms`` (a Terms sheet or ``terms.csv``) are the starting point, if any.
    options : mapping of str to value
        Term values given on the command line (``None`` = not given).
    readings : bool
        Whether the Readings sheet is asked for: it is where the scheduled basis is shown.
    progress : callable, optional
        Told when a scheduled basis is shown on the Readings sheet instead of the program view.

    Raises
    ------
    TermsError
        No deemed rate anywhere; or the scheduled basis without the readings (the program view runs on
        the batch path, which computes the cumulative basis only).
    """
    given = {name: value for name, value in options.items() if value is not None}
    if portfolio.terms is None and "deemed_rate" not in given:
        raise TermsError(
            "deemed_rate: required (no default); pass --deemed-rate (e.g. 0.055) or add a Terms sheet "
            "(terms.csv beside spvs.csv) to the input."
        )
    basis = given.get("allocation_basis")
    from_option = basis is not None
    if not from_option and portfolio.terms is not None:
        basis = portfolio.terms.allocation_basis
    if isinstance(basis, str) and basis.strip().lower() == "scheduled":
        where = "--allocation-basis" if from_option else "the input's Terms"
        if not readings:
            raise TermsError(
                f"allocation_basis: 'scheduled' ({where}): the portfolio view runs on the batch path, which "
                "computes the cumulative basis only; pass --readings to see the scheduled basis beside it "
                "on the Readings sheet (useful life from --useful-life or the Terms, else "
                f"{DEFAULT_USEFUL_LIFE} years)."
            )
        given["allocation_basis"] = "cumulative"  # useful_life then optional: the readings default it
        say(
            progress,
            f"allocation basis 'scheduled' ({where}): the program view uses the cumulative basis (the "
            "batch path); the scheduled basis is on the Readings sheet",
        )
    if portfolio.terms is None:
        return Terms.from_mapping(given)
    return dataclasses.replace(portfolio.terms, **given)


__all__ = ["program_terms"]
