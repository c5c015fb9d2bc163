"""The portfolio report's Checks: native formulas that tie the sheets to each other and sum."""

from __future__ import annotations

from .portfolio_layout import (
    FIRST_ROW,
    TOLERANCE_CELL,
    Columns,
)


def program_checks(
    spv_cols: Columns,
    spv_last: int,
    year_cols: Columns,
    year_last: int,
    year_total: int,
    sector_cols: Columns,
    sector_last: int,
    cap_refs: dict[str, str],
) -> list[tuple[str, str]]:
    tol = TOLERANCE_CELL

    def spv(key: str) -> str:
        c = spv_cols[key]
        return f"SPVs!${c}${FIRST_ROW}:${c}${spv_last}"

    def year(key: str) -> str:
        c = year_cols[key]
        return f"'Program by year'!${c}${FIRST_ROW}:${c}${year_last}"

    def year_total_cell(key: str) -> str:
        return f"'Program by year'!${year_cols[key]}${year_total}"

    def sector(key: str) -> str:
        c = sector_cols[key]
        return f"Sectors!${c}${FIRST_ROW}:${c}${sector_last}"

    def tie(a: str, b: str) -> str:
        return f"=ABS({a}-{b})<={tol}"

    return [
        (
            "Japan's fundings: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('funded')})", year_total_cell("japan_funded")),
        ),
        (
            "Cash distributed: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('distributed')})", year_total_cell("distributed")),
        ),
        (
            "Japan's receipts: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('japan_received')})", year_total_cell("japan_received")),
        ),
        (
            "US receipts: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('us_received')})", year_total_cell("us_received")),
        ),
        (
            "Partner receipts: the SPVs' total equals the program-by-year total",
            tie(f"SUM({spv('partner_received')})", year_total_cell("partner_received")),
        ),
        (
            "Every SPV: Japan's and the US's receipts add up to the cash distributed",
            f"=SUMPRODUCT(ABS({spv('japan_received')}+{spv('us_received')}-{spv('distributed')}))<={tol}",
        ),
        (
            "Every year: Japan's and the US's receipts add up to the cash distributed",
            f"=SUMPRODUCT(ABS({year('japan_received')}+{year('us_received')}-{year('distributed')}))<={tol}",
        ),
        (
            "Sectors: commitments tie to the SPVs",
            tie(f"SUM({sector('committed')})", f"SUM({spv('committed')})"),
        ),
        (
            "Sectors: Japan's receipts tie to the SPVs",
            tie(f"SUM({sector('japan_received')})", f"SUM({spv('japan_received')})"),
        ),
        (
            "Sectors: the unrecovered deemed allocation ties to the SPVs",
            tie(f"SUM({sector('unrecovered')})", f"SUM({spv('unrecovered')})"),
        ),
        (
            "Cap & deadline: commitments by notice year tie to the SPVs",
            tie(f"SUM({cap_refs['by_year_committed']})", f"SUM({spv('committed')})"),
        ),
        (
            "Cap & deadline: fundings by year tie to the SPVs",
            tie(f"SUM({cap_refs['by_year_funded']})", f"SUM({spv('funded')})"),
        ),
        ("No SPV has a negative unrecovered deemed allocation", f'=COUNTIF({spv("unrecovered")},"<0")=0'),
        (
            "SPVs past their threshold have nothing unrecovered",
            f'=SUMPRODUCT(({spv("threshold_date")}<>"")*({spv("unrecovered")}>{tol}))=0',
        ),
    ]


def readings_checks(
    cols: Columns, last: int, program_row: int, spv_cols: Columns, spv_last: int
) -> list[tuple[str, str]]:
    """Native checks of the Readings sheet: it ties to the SPVs sheet, conserves cash, and sums."""
    tol = TOLERANCE_CELL

    def rd(key: str) -> str:
        c = cols[key]
        return f"Readings!${c}${FIRST_ROW}:${c}${last}"

    def spv(key: str) -> str:
        c = spv_cols[key]
        return f"SPVs!${c}${FIRST_ROW}:${c}${spv_last}"

    computed = f'({rd("note")}="")'  # an SPV whose scheduled reading has a note has no figures to check
    sums = "+".join(
        f"ABS(Readings!${cols[f'{basis}_{key}']}${program_row}-SUM({rd(f'{basis}_{key}')}))"
        for basis in ("cumulative", "scheduled")
        for key in ("japan_received", "us_received", "unrecovered")
    )
    return [
        (
            "Readings: the cumulative reading equals the SPVs sheet (Japan's receipts and the unrecovered "
            "deemed allocation, every SPV)",
            f"=SUMPRODUCT(ABS({rd('cumulative_japan_received')}-{spv('japan_received')}))"
            f"+SUMPRODUCT(ABS({rd('cumulative_unrecovered')}-{spv('unrecovered')}))<={tol}",
        ),
        (
            "Readings: under each reading, Japan's and the US's receipts add up to the cash distributed "
            "(SPVs sheet), every SPV",
            f"=SUMPRODUCT(ABS({rd('cumulative_japan_received')}+{rd('cumulative_us_received')}"
            f"-{spv('distributed')}))+SUMPRODUCT({computed}*ABS({rd('scheduled_japan_received')}"
            f"+{rd('scheduled_us_received')}-{spv('distributed')}))<={tol}",
        ),
        (
            "Readings: the Program row equals the sum of the SPV rows (Japan's and the US's receipts, "
            "unrecovered; both readings)",
            f"={sums}<={tol}",
        ),
        (
            "Readings: SPVs past their scheduled threshold have nothing unrecovered",
            f'=SUMPRODUCT(({rd("scheduled_threshold_date")}<>"")*({rd("scheduled_unrecovered")}>{tol}))=0',
        ),
    ]
