"""Write a portfolio as an input workbook: the sheets :mod:`.portfolio_reader` reads back."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from ..dates import to_datetime64
from ..examples import portfolio as example_portfolio
from ..portfolio.model import Portfolio
from ..portfolio.tables import TERM_COLUMNS


def save_inputs(portfolio: Portfolio, path: str | Path) -> Path:
    """Write a portfolio as an input workbook (sheets SPVs, Flows and, with terms, Terms).

    The file loads back with :func:`~xlspv.workbooks.portfolio_reader.load_portfolio`; the built-in
    example and the benchmark use it.
    Written with openpyxl's write-only mode (fast for many flow rows).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("SPVs")
    term_cols = [c for c in TERM_COLUMNS if any(dict(s.terms).get(c) is not None for s in portfolio.spvs)]
    ws.append(["id", "name", "sector", "notice_date", f"committed ({portfolio.unit})", *term_cols, "comment"])
    for s in portfolio.spvs:
        own = dict(s.terms)
        ws.append(
            [
                s.id,
                s.name,
                s.sector,
                s.notice_date,
                s.committed,
                *[own.get(c) for c in term_cols],
                s.comment or None,
            ]
        )
    wf = wb.create_sheet("Flows")
    wf.append(["spv_id", "date", f"value ({portfolio.unit})"])
    ids = portfolio.ids
    for k, d, v in zip(
        portfolio.flow_spv.tolist(),
        to_datetime64(portfolio.flow_days).tolist(),
        portfolio.flow_values.tolist(),
        strict=True,
    ):
        wf.append([ids[k], d, v])
    if portfolio.terms is not None:
        wt = wb.create_sheet("Terms")
        wt.append(["term", "value"])
        for name, value in portfolio.terms.as_rows():
            if value is not None:
                wt.append([name, value])
    target = Path(path)
    wb.save(target)
    return target


def write_example_inputs(path: str | Path) -> Path:
    """Write the built-in example portfolio as an input workbook (to try ``xlspv portfolio`` on)."""
    return save_inputs(example_portfolio.portfolio(), path)


__all__ = ["save_inputs", "write_example_inputs"]
