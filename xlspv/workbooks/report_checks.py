"""The report's Checks: live formulas, TRUE when they hold (parts add up, Audit equals Waterfall...)."""

from __future__ import annotations

from ..terms import RateSchedule
from .audit import A
from .report_layout import AUDIT_FIRST, CHECK_TOLERANCE, FIRST, Report, W, abs_ref, col_range


def _tie_applies(r: Report) -> bool:
    """Whether the spec's XIRR tie holds for these flows (decides the check's label only)."""
    t, w = r.terms, r.w
    if t.day_count != "ACT/365F" or t.compounding != "annual" or t.flat_rate is None:
        return False
    if w.threshold_date is None or w.threshold_date != max(r.dates) or "after" in set(w.tiers):
        return False
    i = int(r.order[-1])
    cash = float(w.flows.values[i])
    return abs(w.japan[i] - t.japan_share_before * cash) <= CHECK_TOLERANCE * (1 + abs(cash))


def checks(r: Report) -> list[tuple[str, str]]:
    """The Checks sheet's (label, formula) rows."""
    first, last = FIRST, r.last
    a_first, a_last = AUDIT_FIRST, r.audit_last
    ref = r.refs
    wf = {key: col_range("Waterfall", col, first, last) for key, col in W.items()}
    au = {key: col_range("Audit", col, a_first, a_last) for key, col in A.items()}
    cumulative = 'allocation_basis="cumulative"'
    scheduled_note = (
        "" if r.terms.allocation_basis == "cumulative" else " (n/a: the scheduled reading has no Audit)"
    )

    last_balance = abs_ref("Waterfall", f"${W['balance']}${last}")
    japan_sum, us_sum = f"SUM({wf['japan']})", f"SUM({wf['us']})"

    def close(x: str, y: str) -> str:
        return f"ABS({x}-{y})<=tolerance*(1+ABS({y}))"

    checks = [
        ("Inputs are in date order (the Audit processes the rows as listed)", f"={ref['audit_sorted']}=1"),
        ("Day count is ACT/365F, ACT/360 or 30/360", f"={ref['audit_day_count_ok']}=1"),
        (
            "Compounding is annual, semiannual, quarterly, monthly, continuous or simple",
            f"={ref['audit_compounding_ok']}=1",
        ),
        (
            "Shares are in [0, 1] and japan_share_before is above 0",
            "=AND(japan_share_before>0,japan_share_before<=1,japan_share_after>=0,japan_share_after<=1,"
            "partner_share>=0,partner_share<=1)",
        ),
    ]
    if isinstance(r.terms.deemed_rate, RateSchedule):
        checks.append(
            (
                "The deemed-rate schedule starts on or before the first cash flow",
                f"=MIN(rate_dates)<={ref['audit_first_date']}",
            )
        )
    checks += [
        (
            "Each row's parts add up to the cash distributed (Waterfall: Japan + US = distributable cash)",
            f"=SUMPRODUCT(--(ABS({wf['japan']}+{wf['us']}-({wf['value']}>0)*{wf['value']})"
            f">tolerance*(1+ABS({wf['value']}))))=0",
        ),
        (
            "Partner payouts are partner_share of Japan's (Waterfall)",
            f"=SUMPRODUCT(--(ABS({wf['partner']}-partner_share*{wf['japan']})>tolerance*(1+ABS({wf['japan']}))))=0",
        ),
    ]
    for key, label in (
        ("interest", "deemed interest"),
        ("japan", "Japan"),
        ("us", "US"),
        ("partner", "partner"),
        ("balance", "balance"),
    ):
        checks.append(
            (
                f"Audit equals Waterfall: {label}, every row, within tolerance{scheduled_note}",
                f"=IF({cumulative},SUMPRODUCT(--(ABS({au[key]}-{wf[key]})>tolerance*(1+ABS({wf[key]}))))=0,TRUE)",
            )
        )
    checks += [
        (
            f"Audit equals Waterfall: tier, every row{scheduled_note}",
            f"=IF({cumulative},SUMPRODUCT(--({au['tier']}<>{wf['tier']}))=0,TRUE)",
        ),
        (
            "Unrecovered deemed allocation (Summary) equals the last balance (Audit; Waterfall under the "
            "scheduled reading)",
            f"=IF({cumulative},{close(ref['summary_unrecovered'], ref['audit_unrecovered'])},"
            f"{close(ref['summary_unrecovered'], last_balance)})",
        ),
        (
            f"Threshold date (Summary) equals the Audit's{scheduled_note}",
            f"=IF({cumulative},IF(ISNA({ref['audit_threshold']}),ISTEXT({ref['summary_threshold']}),"
            f"{ref['summary_threshold']}={ref['audit_threshold']}),TRUE)",
        ),
        (
            "Totals (Summary) equal the Waterfall's sums: Japan and US received",
            f"=AND({close(ref['summary_japan_received'], japan_sum)},"
            f"{close(ref['summary_us_received'], us_sum)})",
        ),
        (
            f"Japan's XIRR (Summary) equals XIRR over the Audit's Japan flows{scheduled_note}",
            f"=IF({cumulative},IF(ISNUMBER({ref['summary_xirr_japan']}),"
            f"IFERROR(ABS({ref['audit_xirr_japan']}-{ref['summary_xirr_japan']})<=rate_tolerance,FALSE),"
            f"ISERROR({ref['audit_xirr_japan']})),TRUE)",
        ),
    ]
    tie = (
        "Japan's XIRR equals the deemed rate where the spec's tie applies (ACT/365F, annual, flat rate, "
        "threshold cleared exactly on the last date)"
    )
    if not _tie_applies(r):
        tie += ": n/a for these flows and terms"
    rate = ref["audit_rates"].split(":")[0]
    checks.append(
        (tie, f"=IF({ref['audit_tie']}=1,ABS({ref['audit_xirr_japan']}-{rate})<=rate_tolerance,TRUE)")
    )
    return checks
