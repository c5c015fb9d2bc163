"""The $550 billion program view: portfolio input, one-batch analysis, flags, sensitivity, report.

Known values come from a hand-worked portfolio of three SPVs at a 10% deemed rate (default terms:
ACT/365F, annual compounding, 50/50 then 10/90). Every span below is 365 days, so each year's growth
factor is exactly 1.1:

- A (energy; notice 2024-11-01, committed 100): funds 100 on 2025-01-01. 2026-01-01: the balance is
  110; 60 is distributed, Japan gets 30 (< 110), 80 is left. 2027-01-01: the balance is 88; 200 is
  distributed; 0.5 x 200 = 100 >= 88, so x = 88 / 0.5 = 176 clears it and Japan also gets 10% of the
  other 24: 88 + 2.4 = 90.4 (threshold 2027-01-01). Japan 120.4, US 30 + 109.6 = 139.6.
- B (metals; notice 2025-06-01, committed 50): funds 50 on 2025-07-01, 30 days after notice (flag).
  2026-07-01: the balance is 55, 20 is distributed, Japan gets 10: 45 unrecovered, no threshold.
  Japan's XIRR: -50 then +10 a year later, 10 / 50 - 1 = -80%.
- C ("quantum computing" = the MOU's "AI and quantum computing"; notice 2028-12-01, committed 5): funds
  10 on 2029-02-01 (13 days after the 19 January 2029 deadline: flag; 10 > 5 committed: flag).
  2030-02-01: the balance is 11; 30 is distributed; 0.5 x 30 = 15 >= 11: Japan gets 11 + 10% of
  (30 - 22) = 11.8, the US 18.2. Japan's XIRR: 11.8 / 10 - 1 = 18%.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
from pathlib import Path

import libreoffice
import numpy as np
import openpyxl
import pytest
from conftest import run_cli

import xlspv
from xlspv import SpvInputError, Terms, TermsError
from xlspv.errors import OutputError
from xlspv.examples import portfolio as ep
from xlspv.portfolio import (
    FUNDING_DEADLINE,
    MIN_NOTICE_DAYS,
    NAMED_SECTORS,
    PROGRAM_CAP_USD_M,
    Portfolio,
    analyse,
    sensitivity,
)
from xlspv.workbooks import style
from xlspv.workbooks.files import sha256_of
from xlspv.workbooks.portfolio_reader import load_portfolio
from xlspv.workbooks.portfolio_report import CAP_FLAG_LABEL, write_portfolio_report
from xlspv.workbooks.portfolio_writer import save_inputs, write_example_inputs

D = dt.date
TEN = Terms(0.10)

SPVS = [
    {"id": "A", "name": "Plant", "sector": "energy", "notice_date": D(2024, 11, 1), "committed": 100},
    {"id": "B", "name": "Mine", "sector": "Metals", "notice_date": D(2025, 6, 1), "committed": 50},
    {
        "id": "C",
        "name": "Qubits",
        "sector": "quantum computing",
        "notice_date": D(2028, 12, 1),
        "committed": 5,
    },
]
FLOWS = {
    "spv_id": ["A", "A", "A", "B", "B", "C", "C"],
    "date": [
        D(2025, 1, 1),
        D(2026, 1, 1),
        D(2027, 1, 1),
        D(2025, 7, 1),
        D(2026, 7, 1),
        D(2029, 2, 1),
        D(2030, 2, 1),
    ],
    "value": [-100, 60, 200, -50, 20, -10, 30],
}


def _xirr_quadratic(c1: float, c2: float, f: float) -> float:
    """Rate r solving -f + c1/(1+r) + c2/(1+r)^2 = 0 (three flows a 365-day year apart)."""
    x = (-c1 + math.sqrt(c1 * c1 + 4 * c2 * f)) / (2 * c2)
    return 1 / x - 1


@pytest.fixture(scope="module")
def hand() -> xlspv.portfolio.PortfolioResult:
    return analyse(Portfolio.from_tables(SPVS, FLOWS), TEN, rates=())


@pytest.fixture(scope="module")
def example():
    return analyse(ep.portfolio())


# ---- known values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("funded", [100, 50, 10]),
        ("distributed", [260, 20, 30]),
        ("japan_received", [120.4, 10, 11.8]),
        ("us_received", [139.6, 10, 18.2]),
        ("unrecovered", [0, 45, 0]),
        ("xirr_japan", [_xirr_quadratic(30, 90.4, 100), -0.8, 0.18]),
        ("xirr_project", [_xirr_quadratic(60, 200, 100), -0.6, 2.0]),
        ("multiple_japan", [1.204, 0.2, 1.18]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_hand_worked_spv_values(hand, column, expected):
    np.testing.assert_allclose(hand.spvs[column].to_numpy(float), expected, rtol=1e-12, atol=1e-12)


def test_hand_worked_thresholds_sectors_and_us_xirr(hand):
    assert hand.spvs["threshold_date"].tolist() == [D(2027, 1, 1), None, D(2030, 2, 1)]
    assert hand.spvs["sector"].tolist() == ["energy", "metals", "AI and quantum computing"]
    assert hand.spvs["xirr_us"].isna().all()  # the US never funds: no IRR
    assert hand.program.reached == 2 and hand.program.threshold_date is None
    assert hand.program.unrecovered == pytest.approx(45)


def test_program_xirr_sets_the_summed_npv_to_zero(hand):
    flows = [
        (D(2025, 1, 1), -100),
        (D(2025, 7, 1), -50),
        (D(2026, 1, 1), 30),
        (D(2026, 7, 1), 10),
        (D(2027, 1, 1), 90.4),
        (D(2029, 2, 1), -10),
        (D(2030, 2, 1), 11.8),
    ]
    r = hand.program.xirr_japan
    npv = sum(v / (1 + r) ** ((d - flows[0][0]).days / 365) for d, v in flows)
    assert abs(npv) < 1e-9


def test_cash_by_year_sums_each_calendar_year(hand):
    years = hand.years.set_index("year")
    assert years.index.tolist() == [2025, 2026, 2027, 2028, 2029, 2030]
    np.testing.assert_allclose(years["japan_funded"], [150, 0, 0, 0, 10, 0])
    np.testing.assert_allclose(years["distributed"], [0, 80, 200, 0, 0, 30])
    np.testing.assert_allclose(years["japan_received"], [0, 40, 90.4, 0, 0, 11.8], atol=1e-12)
    np.testing.assert_allclose(years["us_received"], [0, 40, 109.6, 0, 0, 18.2], atol=1e-12)


def test_year_totals_tie_to_spv_totals(example):
    for year_col, spv_col in [
        ("japan_funded", "funded"),
        ("distributed", "distributed"),
        ("japan_received", "japan_received"),
        ("us_received", "us_received"),
        ("partner_received", "partner_received"),
    ]:
        assert example.years[year_col].sum() == pytest.approx(example.spvs[spv_col].sum(), rel=1e-12)


def test_sector_breakdown_in_the_mous_order(hand):
    table = hand.sectors
    assert table["sector"].tolist() == ["metals", "energy", "AI and quantum computing"]
    np.testing.assert_allclose(table["committed"], [50, 100, 5])
    np.testing.assert_allclose(table["share_committed"], [50 / 155, 100 / 155, 5 / 155])


def test_cap_and_deadline(hand):
    cap = hand.cap
    assert (cap.cap, cap.committed, cap.headroom) == (PROGRAM_CAP_USD_M, 155, PROGRAM_CAP_USD_M - 155)
    assert (cap.fundings_after_deadline, cap.funded_after_deadline, cap.fundings_short_notice) == (1, 10, 1)
    by_year = cap.by_year.set_index("year")
    assert by_year.loc[2029, "funded_after_deadline"] == 10
    assert by_year["committed"].sum() == 155


# ---- the batch equals the single-SPV core ---------------------------------------------------------------


def test_batch_result_equals_compute_per_spv(example):
    portfolio = example.portfolio
    terms = portfolio.terms_for(ep.TERMS)
    for i, spv in enumerate(portfolio.spvs):
        rows = portfolio.flow_spv == i
        dates = [xlspv.dates.to_date(d) for d in portfolio.flow_days[rows]]
        single = xlspv.compute(portfolio.flow_values[rows], dates, terms[i]).summary()
        got = example.spvs.iloc[i]
        assert got["threshold_date"] == single.threshold_date, spv.id
        for ours, theirs in [
            ("unrecovered", "unrecovered"),
            ("japan_received", "japan_received"),
            ("us_received", "us_received"),
            ("partner_received", "partner_received"),
            ("xirr_japan", "xirr_japan"),
            ("xirr_project", "xirr_project"),
        ]:
            assert got[ours] == pytest.approx(getattr(single, theirs), rel=1e-10, abs=1e-9), (spv.id, ours)


def test_padding_is_neutral_under_30_360_at_the_end_of_february():
    # A short 30/360 schedule ending on 28 February beside a longer one: the short one is padded (at
    # the front, where its balance is 0), and its result must equal the single-SPV core's. Excel's
    # DAYS360 counts 28 February 2027 to itself as -2 days; neither the padding nor the core accrues it.
    spvs = [_spv("S", day_count="30/360", deemed_rate=0.1), _spv("L")]
    flows = {
        "spv_id": ["S", "S", "L", "L", "L", "L"],
        "date": [D(2026, 2, 28), D(2027, 2, 28), D(2026, 3, 1), D(2027, 3, 1), D(2028, 3, 1), D(2029, 3, 1)],
        "value": [-100.0, 20.0, -10.0, 5.0, 5.0, 5.0],
    }
    got = analyse(Portfolio.from_tables(spvs, flows), TEN, rates=()).spvs
    single = xlspv.compute([-100.0, 20.0], [D(2026, 2, 28), D(2027, 2, 28)], Terms(0.1, day_count="30/360"))
    assert got["unrecovered"][0] == pytest.approx(single.unrecovered, rel=1e-14)


def test_per_spv_terms_columns_apply(example):
    spvs = example.spvs.set_index("id")
    assert spvs.loc["NUC-AP1000", "deemed_rate"] == 0.065
    assert spvs.loc["OH-GAS", "deemed_rate"] == 0.055
    assert spvs.loc["QUANTUM", "partner_share"] == 0.2
    assert spvs.loc["QUANTUM", "partner_received"] == pytest.approx(
        0.2 * spvs.loc["QUANTUM", "japan_received"]
    )


# ---- flags ---------------------------------------------------------------------------------------


def test_hand_worked_flags_with_reasons(hand):
    assert hand.flags[["kind", "spv_id", "date", "amount", "source"]].values.tolist() == [
        ["notice", "B", D(2025, 7, 1), 50.0, "Flows, row 4"],
        ["deadline", "C", D(2029, 2, 1), 10.0, "Flows, row 6"],
        ["overfunded", "C", None, 5.0, "SPVs, row 3"],
    ]
    assert hand.flags["reason"].tolist() == [
        "Funding dated 2025-07-01 is 30 days after the notice of 2025-06-01; the MOU requires at least 45 "
        "days after notice.",
        "Funding dated 2029-02-01 is 13 days after the program deadline of 19 January 2029.",
        "Funded 10.0 $m is above the committed 5.0 $m (by 5.0 $m).",
    ]
    assert hand.spvs["flags"].tolist() == [0, 1, 2]


def _one(
    notice: dt.date, funding: dt.date, *, committed: float = 10.0, sector: str = "energy", unit: str = "$m"
):
    spvs = [{"id": "X", "name": "x", "sector": sector, "notice_date": notice, "committed": committed}]
    flows = {"spv_id": ["X", "X"], "date": [funding, funding + dt.timedelta(days=365)], "value": [-10, 30]}
    return analyse(Portfolio.from_tables(spvs, flows, unit=unit), TEN, rates=()).flags


@pytest.mark.parametrize(
    ("notice", "funding", "kinds"),
    [
        (D(2026, 1, 1), D(2026, 1, 1) + dt.timedelta(days=MIN_NOTICE_DAYS), []),
        (D(2026, 1, 1), D(2026, 1, 1) + dt.timedelta(days=MIN_NOTICE_DAYS - 1), ["notice"]),
        (D(2026, 1, 10), D(2026, 1, 1), ["notice"]),  # before the notice itself
        (D(2028, 10, 1), FUNDING_DEADLINE, []),
        (D(2028, 10, 1), FUNDING_DEADLINE + dt.timedelta(days=1), ["deadline"]),
        (FUNDING_DEADLINE - dt.timedelta(days=MIN_NOTICE_DAYS), D(2029, 1, 19), []),
        (
            FUNDING_DEADLINE - dt.timedelta(days=MIN_NOTICE_DAYS - 1),
            D(2029, 3, 1),
            ["deadline", "late notice"],
        ),
    ],
    ids=[
        "45-days-ok",
        "44-days",
        "before-notice",
        "on-deadline-ok",
        "day-after-deadline",
        "notice-just-in-time",
        "notice-too-late",
    ],
)
def test_notice_and_deadline_flags_at_their_boundaries(notice, funding, kinds):
    assert _one(notice, funding)["kind"].tolist() == kinds


def test_before_notice_reason_says_before():
    reason = _one(D(2026, 1, 10), D(2026, 1, 1))["reason"][0]
    assert reason.startswith("Funding dated 2026-01-01 is 9 days before the notice of 2026-01-10")


@pytest.mark.parametrize(
    ("committed", "unit", "flagged"),
    [(550_000, "$m", False), (550_000.5, "$m", True), (550, "$bn", False), (551, "$bn", True)],
)
def test_cap_flag_in_either_unit(committed, unit, flagged):
    flags = _one(D(2026, 1, 1), D(2026, 3, 1), committed=committed, unit=unit)
    assert ("cap" in flags["kind"].tolist()) is flagged
    if flagged:
        cap = 550_000 if unit == "$m" else 550
        assert flags["reason"][0] == (
            f"Commitments of {committed:,.1f} {unit} exceed the $550bn program cap "
            f"({cap:,.1f} {unit}) by {committed - cap:,.1f} {unit}."
        )


def test_a_sector_the_mou_does_not_name_is_flagged_not_refused():
    flags = _one(D(2026, 1, 1), D(2026, 3, 1), sector="Real estate")
    assert flags["kind"].tolist() == ["sector"]
    assert (
        flags["reason"][0] == f"Sector 'Real estate' is not one the MOU names ({', '.join(NAMED_SECTORS)})."
    )


def test_example_has_its_deliberate_flags(example):
    assert example.flags["kind"].tolist() == ["notice", "deadline", "deadline", "overfunded"]
    assert example.flags["spv_id"].tolist() == ["QUANTUM", "SHIPYARD", "SHIPYARD", "PHARMA-API"]


# ---- errors --------------------------------------------------------------------------------------


def _flows(ids, dates=None, values=None):
    n = len(ids)
    return {"spv_id": ids, "date": dates or [D(2026, 3, 1)] * n, "value": values or [-1.0] * n}


def _spv(spv_id="A", **kw):
    row = {"id": spv_id, "name": "n", "sector": "energy", "notice_date": D(2026, 1, 1), "committed": 1}
    row.update(kw)
    return row


@pytest.mark.parametrize(
    ("spvs", "flows", "error", "message"),
    [
        (
            [_spv("A"), _spv("A")],
            _flows(["A"]),
            SpvInputError,
            "SPVs, row 2: SPV id 'A' is also on SPVs, row 1; give each SPV its own id.",
        ),
        (
            [_spv("1"), _spv(1.0)],
            _flows(["1"]),
            SpvInputError,
            "SPVs, row 2: SPV id '1' is also on SPVs, row 1; give each SPV its own id.",
        ),
        (
            [_spv("A")],
            _flows(["A", "Z"]),
            SpvInputError,
            "Flows, row 2, column spv_id: SPV 'Z' is not in the SPV table; add the SPV there or correct "
            "the id.",
        ),
        (
            [_spv("A")],
            _flows(["A", "Z", "Y", "Z"]),
            SpvInputError,
            "Flows, row 2, column spv_id: SPV 'Z' is not in the SPV table (3 rows in all name unknown SPVs: "
            "'Y', 'Z'); add the SPV there or correct the id.",
        ),
        (
            [_spv("A"), _spv("B")],
            _flows(["A"]),
            SpvInputError,
            "SPVs, row 2: SPV 'B' has no rows in Flows; add its cash flows (fundings negative, distributions "
            "positive) or remove the SPV.",
        ),
        (
            [_spv("A")],
            _flows(["A", None]),
            SpvInputError,
            "Flows, row 2, column spv_id: the SPV id is blank; enter the SPV's id.",
        ),
        (
            [_spv("A")],
            _flows(["A", "A"], values=[-1.0, "abc"]),
            SpvInputError,
            "Flows, row 2, column value: 'abc' is not a number; write a plain number such as -1500 or 200.5 "
            "(no thousands separators or currency signs).",
        ),
        (
            [_spv("A")],
            _flows(["A", "A"], values=[-1.0, None]),
            SpvInputError,
            "Flows, row 2, column value: the cell is blank; enter a number (0 if nothing).",
        ),
        (
            [_spv("A")],
            _flows(["A", "A"], values=[-1.0, True]),
            SpvInputError,
            "Flows, row 2, column value: True is not a number; enter a number (fundings negative, "
            "distributions positive).",
        ),
        (
            [_spv("A")],
            _flows(["A", "A"], values=[-1.0, float("inf")]),
            SpvInputError,
            "Flows, row 2, column value: inf is not a finite number; enter a number.",
        ),
        (
            [_spv("A")],
            _flows(["A", "A"], dates=[D(2026, 3, 1), "31/04/2026"]),
            SpvInputError,
            "Flows, row 2, column date: '31/04/2026' is not a date; write dates as YYYY-MM-DD, e.g. "
            "2026-03-31.",
        ),
        (
            [_spv("A")],
            _flows(["A", "A"], dates=[D(2026, 3, 1), None]),
            SpvInputError,
            "Flows, row 2, column date: the date is blank; enter a date.",
        ),
        (
            [_spv("A", notice_date="soon")],
            _flows(["A"]),
            SpvInputError,
            "SPVs, row 1, column notice_date: 'soon' is not a date; write dates as YYYY-MM-DD, e.g. "
            "2026-03-31.",
        ),
        (
            [_spv("A", committed=-5)],
            _flows(["A"]),
            SpvInputError,
            "SPVs, row 1, column committed: -5.0 is negative; enter the amount committed (>= 0).",
        ),
        (
            [_spv("A", sector=None)],
            _flows(["A"]),
            SpvInputError,
            "SPVs, row 1, column sector: None is not a sector; enter one of "
            + ", ".join(NAMED_SECTORS)
            + ".",
        ),
        (
            [_spv("A", unit="$m"), _spv("B", unit="$bn")],
            _flows(["A", "B"]),
            SpvInputError,
            "SPVs: the unit column mixes $bn and $m; use one unit for every SPV.",
        ),
        (
            [_spv("A", unit="yen")],
            _flows(["A"]),
            SpvInputError,
            "SPVs, row 1, column unit: unit 'yen' is not a money unit; use $m (US$ millions) or $bn.",
        ),
        (
            [_spv("A", day_count="ACT/999")],
            _flows(["A"]),
            TermsError,
            "SPVs, row 1 (SPV 'A'): day_count: 'ACT/999' is not a day count; use one of ACT/365F, "
            "ACT/360, 30/360.",
        ),
        (
            [_spv("A", partner_share=2)],
            _flows(["A"]),
            TermsError,
            "SPVs, row 1 (SPV 'A'): partner_share: 2.0 is outside [0, 1]; enter a share such as 0.5 (= 50%).",
        ),
        (
            [{"id": "A", "name": "n", "sector": "energy", "notice_date": D(2026, 1, 1)}],
            _flows(["A"]),
            SpvInputError,
            "SPVs: column 'committed' is missing; the table needs id, name, sector, notice_date, "
            "committed (first row = the column names).",
        ),
        (
            [_spv("A", deemed_rat=0.05)],
            _flows(["A"]),
            SpvInputError,
            "SPVs: column 'deemed_rat' is not known; the columns are id, name, sector, notice_date, "
            "committed, "
            "unit, comment, deemed_rate, guarantee_fee, japan_share_before, japan_share_after, day_count, "
            "compounding, "
            "partner_share, useful_life.",
        ),
        (
            [],
            _flows(["A"]),
            SpvInputError,
            "SPVs: column 'id' is missing; the table needs id, name, sector, notice_date, committed "
            "(first row = "
            "the column names).",
        ),
        (
            [_spv("A")],
            {"spv_id": [], "date": [], "value": []},
            SpvInputError,
            "Flows: no flow rows; add (spv_id, date, value) rows below the column names.",
        ),
    ],
    ids=[
        "duplicate-id",
        "duplicate-numeric-id",
        "unknown-spv",
        "unknown-spvs-counted",
        "spv-without-flows",
        "blank-flow-id",
        "text-value",
        "blank-value",
        "boolean-value",
        "infinite-value",
        "bad-date",
        "blank-date",
        "bad-notice",
        "negative-commitment",
        "blank-sector",
        "mixed-units",
        "unknown-unit",
        "bad-spv-term",
        "bad-spv-share",
        "missing-column",
        "unknown-column",
        "no-spvs",
        "no-flows",
    ],
)
def test_input_errors_name_table_row_and_column(spvs, flows, error, message):
    with pytest.raises(error) as err:
        Portfolio.from_tables(spvs, flows)
    assert str(err.value) == message


def test_terms_are_required_and_cumulative():
    p = Portfolio.from_tables(SPVS, FLOWS)
    with pytest.raises(TermsError, match=r"^deemed_rate: required \(no default\); give terms"):
        analyse(p)
    with pytest.raises(TermsError, match="computes the cumulative basis only"):
        analyse(p, Terms(0.05, allocation_basis="scheduled", useful_life=10))


def test_sensitivity_grid_errors():
    p = Portfolio.from_tables(SPVS, FLOWS)
    with pytest.raises(TermsError, match=r"^rates: give one or more finite deemed rates above -100%"):
        sensitivity(p, TEN, [0.05, -1.0])
    with pytest.raises(SpvInputError, match=r"^scales: give one or more finite scaling factors >= 0"):
        sensitivity(p, TEN, [0.05], scales=[-0.5])


# ---- files ---------------------------------------------------------------------------------------


def _write_csv(folder: Path, spvs: str, flows: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spvs.csv").write_text(spvs, encoding="utf-8")
    (folder / "flows.csv").write_text(flows, encoding="utf-8")
    return folder


SPVS_CSV = (
    "id,name,sector,notice_date,committed ($bn),deemed_rate\n"
    "A,Plant,energy,2024-11-01,100,\n"
    "B,Mine,metals,2025-06-01,50,10%\n"
)
FLOWS_CSV = (
    "\n"  # a blank line above the column names: skipped
    "spv_id,date,value\n"
    "A,2025-01-01,-100\n"
    "A,2026-01-01,60\n"
    'A,2027-01-01,"200"\n'  # quoted or not, a CSV cell is text: parsed as a plain decimal
    "B,2025-07-01,-5e1\n"
    "B,2026-07-01, 20 \n"
    ",,\n"  # blank lines after the data: ignored
    "\n"
)


def test_csv_folder_loads_with_unit_line_numbers_and_plain_numbers(tmp_path):
    folder = _write_csv(tmp_path / "in", SPVS_CSV, FLOWS_CSV)
    (folder / "terms.csv").write_text("term,value\ndeemed_rate,0.1\n", encoding="utf-8")
    for path in (folder, folder / "spvs.csv"):
        p = load_portfolio(path)
        assert p.unit == "$bn" and p.terms == TEN
        assert p.flow_rows.tolist() == [3, 4, 5, 6, 7]  # CSV line numbers (line 1 is blank)
        np.testing.assert_allclose(p.flow_values, [-100, 60, 200, -50, 20])
        assert p.spvs[1].terms == (("deemed_rate", 0.1),)
    result = analyse(load_portfolio(folder))
    assert result.spvs["japan_received"][0] == pytest.approx(120.4)
    assert result.flags["source"].tolist() == ["flows.csv, line 6"]  # B: 30 days after notice


CSV_SPVS = "id,name,sector,notice_date,committed\nA,P,energy,2024-11-01,1\n"


@pytest.mark.parametrize(
    ("flows", "message"),
    [
        (
            "spv_id,date,value\nA,2025-01-01,-100\nA,31/04/2026,5\n",
            "flows.csv, line 3, column date: '31/04/2026' is not a date; write dates as YYYY-MM-DD, e.g. "
            "2026-03-31.",
        ),
        (
            "spv_id,date,value\nA,2025-01-01,-100\nA,2026-01-01,\n",
            "flows.csv, line 3, column value: the cell is blank; enter a number (0 if nothing).",
        ),
        (
            "spv_id,date,value\nA,2025-01-01,-100\nQ,2026-01-01,3\n",
            "flows.csv, line 3, column spv_id: SPV 'Q' is not in the SPV table; add the SPV there or "
            "correct the id.",
        ),
        (
            "spv_id,date,value\nA,2025-01-01,-100\nA,2026-01-01,3,extra\n",
            "flows.csv, line 3: column 4 holds 'extra' but has no column name; name the column or clear it.",
        ),
        (
            'spv_id,date,value\nA,2025-01-01,-100\nA,2026-01-01,"1,500"\n',
            "flows.csv, line 3, column value: '1,500' is ambiguous: write 1500 or 1.5.",
        ),
        (
            "spv_id,date,value\nA,2025-01-01,(100)\n",
            "flows.csv, line 2, column value: '(100)' is not a number; write a plain number such as -1500 or "
            "200.5 (no thousands separators or currency signs).",
        ),
        (
            "spv_id,date,value\nA,2025-01-01,-100\nA,2026-01-01,inf\n",
            "flows.csv, line 3, column value: 'inf' is not a finite number; enter a number.",
        ),
        (
            "spv_id,date,value\nA,2025-01-01,-100\n,,\nA,2026-01-01,60\n",
            "flows.csv: line 3 is blank inside the data (it goes on at line 4); delete the blank lines or "
            "fill them in.",
        ),
        (
            "spv_id,date,value\n\n , ,\nA,2025-01-01,-100\n",
            "flows.csv: lines 2-3 are blank inside the data (it goes on at line 4); delete the blank lines "
            "or fill them in.",
        ),
    ],
    ids=[
        "bad-date",
        "blank-value",
        "unknown-spv",
        "unnamed-column",
        "thousands-separator",
        "parentheses",
        "infinite",
        "blank-line-inside",
        "blank-lines-below-header",
    ],
)
def test_csv_errors_name_file_line_and_column(tmp_path, flows, message):
    folder = _write_csv(tmp_path / "in", CSV_SPVS, flows)
    with pytest.raises(SpvInputError) as err:
        load_portfolio(folder)
    assert str(err.value) == message


def test_a_csv_file_the_csv_module_cannot_read_is_one_message(tmp_path):
    flows = 'spv_id,date,value\nA,2025-01-01,"' + "x" * 200_000 + '"\n'  # above csv's field size limit
    folder = _write_csv(tmp_path / "in", CSV_SPVS, flows)
    with pytest.raises(SpvInputError) as err:
        load_portfolio(folder)
    assert str(err.value) == (
        "flows.csv: cannot be read as CSV (field larger than field limit (131072)); save it again as CSV."
    )


def test_csv_blank_line_inside_the_spv_table_is_an_error(tmp_path):
    spvs = "id,name,sector,notice_date,committed\nA,P,energy,2024-11-01,1\n,,,,\nB,Q,metals,2024-11-01,2\n"
    folder = _write_csv(tmp_path / "in", spvs, "spv_id,date,value\nA,2025-01-01,-1\nB,2025-01-01,-2\n")
    with pytest.raises(SpvInputError) as err:
        load_portfolio(folder)
    assert str(err.value) == (
        "spvs.csv: line 3 is blank inside the data (it goes on at line 4); delete the blank lines or fill "
        "them in."
    )


def test_missing_inputs_are_named(tmp_path):
    with pytest.raises(SpvInputError) as err:
        load_portfolio(tmp_path)
    assert (
        str(err.value) == f"{tmp_path}: no spvs.csv; a CSV portfolio is spvs.csv and flows.csv in one folder."
    )
    wb = openpyxl.Workbook()
    wb.active.title = "SPVs"
    wb.save(tmp_path / "p.xlsx")
    with pytest.raises(SpvInputError) as err:
        load_portfolio(tmp_path / "p.xlsx")
    assert (
        str(err.value)
        == "p.xlsx: no sheet 'Flows'; the workbook needs sheets 'SPVs' and 'Flows' (it has 'SPVs')."
    )
    (tmp_path / "bad.xlsx").write_text("not a zip")
    with pytest.raises(SpvInputError) as err:
        load_portfolio(tmp_path / "bad.xlsx")
    assert str(err.value) == (  # the one-SPV reader's package check
        "bad.xlsx: cannot be read as an .xlsx workbook (it is not an Office Open XML file); open it in "
        "Excel or LibreOffice and save it as .xlsx."
    )


def test_xlsx_round_trip_gives_the_same_result(tmp_path, example):
    path = write_example_inputs(tmp_path / "example.xlsx")
    loaded = load_portfolio(path)
    assert loaded.terms == ep.TERMS and loaded.unit == "$m" and loaded.sources == (path,)
    again = analyse(loaded)
    for col in ("japan_received", "us_received", "unrecovered", "xirr_japan"):
        np.testing.assert_allclose(again.spvs[col], example.spvs[col], rtol=1e-12)
    assert again.flags["source"].tolist()[0].startswith("example.xlsx, sheet Flows, row ")


XLSX_SPVS = [["id", "name", "sector", "notice_date", "committed"], [1, "P", "energy", D(2024, 11, 1), 100]]
XLSX_FLOWS = [["spv_id", "date", "value"], [1.0, D(2025, 1, 1), -100], [1, D(2026, 1, 1), 60]]


def _write_xlsx(path: Path, spvs=XLSX_SPVS, flows=XLSX_FLOWS) -> Path:
    """An input workbook with sheets SPVs and Flows holding ``spvs`` and ``flows`` from row 1."""
    wb = openpyxl.Workbook()
    for ws, rows in ((wb.active, spvs), (wb.create_sheet("Flows"), flows)):
        for r, cells in enumerate(rows, start=1):
            for c, value in enumerate(cells, start=1):
                ws.cell(row=r, column=c, value=value)
    wb.active.title = "SPVs"
    wb.save(path)
    return path


def _with(rows, row, column, value):
    """``rows`` with one cell (1-based sheet row, 0-based column) replaced."""
    rows = [list(r) for r in rows]
    rows[row - 1][column] = value
    return rows


@pytest.mark.parametrize(
    ("spvs", "flows", "message"),
    [
        (
            XLSX_SPVS,
            _with(XLSX_FLOWS, 3, 2, "-2500"),
            "p.xlsx, sheet Flows, row 3, column value: '-2500' is text, not a number; enter a number "
            "(fundings negative, distributions positive).",
        ),
        (
            XLSX_SPVS,
            _with(XLSX_FLOWS, 3, 2, "#N/A"),
            "p.xlsx, sheet Flows, row 3, column value: holds the error #N/A; fix its formula or enter a "
            "number.",
        ),
        (
            XLSX_SPVS,
            _with(XLSX_FLOWS, 3, 2, D(2026, 1, 1)),
            "p.xlsx, sheet Flows, row 3, column value: holds a date or time, not a number; enter a number "
            "(fundings negative, distributions positive).",
        ),
        (
            XLSX_SPVS,
            _with(XLSX_FLOWS, 3, 2, True),
            "p.xlsx, sheet Flows, row 3, column value: True is not a number; enter a number (fundings "
            "negative, distributions positive).",
        ),
        (
            XLSX_SPVS,
            _with(XLSX_FLOWS, 3, 1, "2026-01-01"),
            "p.xlsx, sheet Flows, row 3, column date: '2026-01-01' is text, not a date; enter a real date "
            "(type it as 2026-03-31 in a date-formatted cell).",
        ),
        (
            XLSX_SPVS,
            _with(XLSX_FLOWS, 3, 1, dt.time(12, 0)),
            "p.xlsx, sheet Flows, row 3, column date: datetime.time(12, 0) is not a date; enter a date.",
        ),
        (
            XLSX_SPVS,
            _with(XLSX_FLOWS, 3, 1, None),
            "p.xlsx, sheet Flows, row 3, column date: the date is blank (a formula saved without its value "
            "reads as blank: open and save it in Excel); enter a date.",
        ),
        (
            _with(XLSX_SPVS, 2, 4, "100"),
            XLSX_FLOWS,
            "p.xlsx, sheet SPVs, row 2, column committed: '100' is text, not a number; enter the amount "
            "committed as a number.",
        ),
        (
            _with(XLSX_SPVS, 2, 3, "2024-11-01"),
            XLSX_FLOWS,
            "p.xlsx, sheet SPVs, row 2, column notice_date: '2024-11-01' is text, not a date; enter a real "
            "date (type it as 2026-03-31 in a date-formatted cell).",
        ),
        (
            XLSX_SPVS,
            [*XLSX_FLOWS[:2], [None, None, None], *XLSX_FLOWS[2:]],
            "p.xlsx, sheet Flows: row 3 is blank inside the data (it goes on at row 4); delete the blank "
            "rows or fill them in.",
        ),
        (
            [*XLSX_SPVS, [], ["  ", None, None, None, ""], [2, "Q", "metals", D(2024, 11, 1), 5]],
            [*XLSX_FLOWS, [2, D(2025, 1, 1), -5]],
            "p.xlsx, sheet SPVs: rows 3-4 are blank inside the data (it goes on at row 5); delete the blank "
            "rows or fill them in.",
        ),
    ],
    ids=[
        "text-number",
        "error-value",
        "date-in-value",
        "boolean-value",
        "text-date",
        "time-as-date",
        "blank-date",
        "text-commitment",
        "text-notice-date",
        "blank-row-inside-flows",
        "blank-rows-inside-spvs",
    ],
)
def test_xlsx_cells_follow_the_one_spv_readers_rules(tmp_path, spvs, flows, message):
    path = _write_xlsx(tmp_path / "p.xlsx", spvs, flows)
    with pytest.raises(SpvInputError) as err:
        load_portfolio(path)
    assert str(err.value) == message


def test_xlsx_trailing_blank_rows_are_ignored_and_date_serials_read(tmp_path):
    flows = [*XLSX_FLOWS, [None, None, None], [None, None, None]]
    flows[2][1] = 46023  # the Excel serial of 2026-01-01, as a General-formatted date cell reads
    path = _write_xlsx(tmp_path / "p.xlsx", XLSX_SPVS, flows)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:  # styled but empty rows below the data: saved in the file, blank
        ws["A9"].number_format = style.MONEY
    wb.save(path)
    p = load_portfolio(path)
    assert p.flow_rows.tolist() == [2, 3]
    assert [xlspv.dates.to_date(d) for d in p.flow_days] == [D(2025, 1, 1), D(2026, 1, 1)]
    np.testing.assert_allclose(p.flow_values, [-100, 60])


# ---- macro-enabled workbooks are refused, as xlspv report refuses them -----------------------------


def _repack(source: Path, target: Path, *, add: str | None = None, macro_content_type: bool = False) -> Path:
    """A copy of an xlsx package with a part added, or with its workbook declared macro-enabled."""
    import zipfile

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if macro_content_type and item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
                assert b"macroEnabled" in data
            zout.writestr(item, data)
        if add:
            zout.writestr(add, b"not really VBA")
    return target


MACRO_MESSAGES = {
    "prog.xlsm": "prog.xlsm: macro-enabled workbooks (.xlsm) are refused; save a copy as .xlsx (Excel "
    "Workbook) and give that.",
    "vba.xlsx": "vba.xlsx: the workbook contains macros (vbaProject.bin) and is refused; save a copy as "
    ".xlsx (Excel Workbook, no macros) and give that.",
    "macro-type.xlsx": "macro-type.xlsx: the workbook is macro-enabled ([Content_Types].xml declares macro "
    "content) and is refused; save a copy as .xlsx (Excel Workbook, no macros) and give that.",
}


@pytest.fixture(scope="module")
def macro_inputs(tmp_path_factory, hand_input) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("macro")
    return {
        "prog.xlsm": _repack(hand_input, folder / "prog.xlsm"),  # a plain package, but named .xlsm
        "vba.xlsx": _repack(hand_input, folder / "vba.xlsx", add="xl/vbaProject.bin"),
        "macro-type.xlsx": _repack(hand_input, folder / "macro-type.xlsx", macro_content_type=True),
    }


@pytest.mark.parametrize("name", list(MACRO_MESSAGES))
def test_load_portfolio_refuses_macro_enabled_workbooks(macro_inputs, name):
    from xlspv.errors import MacroWorkbookError

    with pytest.raises(MacroWorkbookError) as err:
        load_portfolio(macro_inputs[name])
    assert str(err.value) == MACRO_MESSAGES[name]


@pytest.mark.parametrize("name", list(MACRO_MESSAGES))
def test_cli_portfolio_refuses_macro_enabled_workbooks_in_one_line(macro_inputs, tmp_path, name):
    out = tmp_path / "r.xlsx"
    result = _cli(str(macro_inputs[name]), "-o", str(out))
    assert result.exit_code == 2, result.output
    assert result.stderr == f"xlspv: error: {MACRO_MESSAGES[name]}\n"
    assert not out.exists()


# ---- sensitivity ---------------------------------------------------------------------------------


RATES = (0.0, 0.02, 0.04, 0.055, 0.07, 0.1)


@pytest.fixture(scope="module")
def grid():
    return sensitivity(ep.portfolio(), ep.TERMS, RATES, scales=(0.8, 1.0))


def test_higher_deemed_rate_never_lowers_japans_total(grid):
    received = grid.japan_received  # (SPVs, scales, rates)
    assert (np.diff(received, axis=2) >= -1e-9 * received[..., 1:]).all()
    assert (np.diff(grid.program_japan_received, axis=1) >= 0).all()


def test_higher_deemed_rate_never_brings_the_threshold_earlier(grid):
    years = np.where(np.isnan(grid.threshold_year), np.inf, grid.threshold_year)  # not reached = never
    assert (years[..., 1:] >= years[..., :-1]).all()
    assert (np.diff(grid.program_reached, axis=1) <= 0).all()


def test_sensitivity_at_the_base_rate_matches_analyse(grid, example):
    base = RATES.index(0.055)
    own_rate = example.spvs["deemed_rate"].to_numpy() == 0.055  # the nuclear SPV has its own rate
    np.testing.assert_allclose(
        grid.japan_received[own_rate, 1, base],
        example.spvs["japan_received"].to_numpy()[own_rate],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        grid.xirr_japan[own_rate, 1, base], example.spvs["xirr_japan"].to_numpy()[own_rate], rtol=1e-10
    )


def test_scaled_cash_keeps_japan_between_its_after_and_before_shares(grid, example):
    # Scaling cash down can raise Japan's total (it stays in the 50% tier longer), but every row gives
    # Japan between 10% and 50% of the cash, so its total stays between 10% and 50% of the scaled cash.
    distributed = example.spvs["distributed"].to_numpy()[:, None, None] * grid.scales[None, :, None]
    assert (grid.japan_received <= 0.5 * distributed * (1 + 1e-12)).all()
    assert (grid.japan_received >= 0.1 * distributed * (1 - 1e-12)).all()
    zero = sensitivity(ep.portfolio(), ep.TERMS, [0.05], scales=[0.0])
    assert (zero.japan_received == 0).all() and np.isnan(zero.threshold_year).all()


def test_sensitivity_chunks_give_the_same_numbers(grid):
    small = sensitivity(ep.portfolio(), ep.TERMS, RATES, scales=(0.8, 1.0), max_cells=7 * 70)
    for name in ("xirr_japan", "threshold_year", "japan_received", "program_xirr_japan", "program_reached"):
        np.testing.assert_allclose(getattr(small, name), getattr(grid, name), rtol=1e-12, equal_nan=True)


def test_sensitivity_long_table(grid):
    table = grid.table()
    assert len(table) == (len(grid.spv_ids) + 1) * 2 * len(RATES)
    program = table[(table.spv_id == "PROGRAM") & (table.scale == 1.0)]
    np.testing.assert_allclose(program["xirr_japan"], grid.program_xirr_japan[1])


# ---- the report ----------------------------------------------------------------------------------

SHEETS = [
    "Cover",
    "Terms",
    "SPVs",
    "Program by year",
    "Cap & deadline",
    "Flags",
    "Sectors",
    "Charts",
    "Sensitivity",
    "Program & values",
    "Checks",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory, example):
    folder = tmp_path_factory.mktemp("report")
    source = write_example_inputs(folder / "example-input.xlsx")
    result = analyse(load_portfolio(source))
    path = write_portfolio_report(result, folder / "report.xlsx")
    return path, source, result


def test_report_sheets_tables_and_cover(report):
    path, source, result = report
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    tables = {name: ws.tables for name, ws in zip(wb.sheetnames, wb.worksheets, strict=True)}
    n = len(result.spvs)
    assert tables["SPVs"]["tblSPVs"].ref == f"A5:S{5 + n}"
    assert tables["Program by year"]["tblYears"].ref == f"A5:I{5 + len(result.years)}"
    assert set(tables["Flags"]) == {"tblFlags"} and set(tables["Sectors"]) == {"tblSectors"}
    cover = {ws_row[0].value: ws_row[1].value for ws_row in wb["Cover"].iter_rows(min_row=4, max_row=9)}
    assert cover["Input file"] == source.name
    assert cover["Input SHA-256"] == sha256_of(source)
    assert cover["Master check"] == "='Checks'!$C$4"
    for name in SHEETS[2:-1]:
        assert wb[name]["B3"].value == "='Checks'!$C$4", name


def test_report_formats_frozen_panes_and_print_setup(report):
    path, _, _ = report
    wb = openpyxl.load_workbook(path)
    spvs = wb["SPVs"]
    assert spvs.freeze_panes == "B6"
    assert [spvs[f"{c}6"].number_format for c in "DEKNQ"] == [
        style.DATE,
        style.MONEY,
        style.MONEY,
        style.PERCENT,
        style.MULTIPLE,
    ]
    assert spvs["Q6"].value == "=IF(F6>0,H6/F6,0)" and spvs["Q7"].value == "=IF(F7>0,H7/F7,0)"
    assert [c.value for c in spvs[4]][4] == "$m"  # units in their own row
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.oddFooter.left.text.startswith("xlspv "), ws.title


def test_report_charts_and_heat_map(report):
    path, _, result = report
    wb = openpyxl.load_workbook(path)
    charts = wb["Charts"]._charts
    assert len(charts) == 2
    assert charts[0].grouping == "stacked" and charts[0].type == "col" and len(charts[0].series) == 2
    rules = [rule for rng in wb["Sensitivity"].conditional_formatting for rule in rng.rules]
    assert len(rules) == 3 and all(rule.type == "colorScale" for rule in rules)
    ws = wb["Sensitivity"]
    assert [ws.cell(6, 3 + j).value for j in range(len(result.sensitivity.rates))] == pytest.approx(
        result.sensitivity.rates.tolist()
    )


def test_input_styling_only_on_the_report_inputs(report):
    path, _, _ = report
    wb = openpyxl.load_workbook(path)
    styled = [
        (ws.title, cell.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.fill.fgColor.rgb == style.INPUT_FILL.fgColor.rgb
        or cell.font.color is not None
        and cell.font.color.rgb == style.INPUT_FONT.color.rgb
    ]
    assert styled == [("Terms", "C5"), ("Terms", "C8")]
    validations = wb["Terms"].data_validations.dataValidation
    assert sorted(str(v.sqref) for v in validations) == ["C5", "C8"]


def test_flag_reasons_are_text_never_formulas(tmp_path):
    spvs = [_spv("=A1", name='=HYPERLINK("x")', sector="=1+1")]
    p = Portfolio.from_tables(spvs, _flows(["=A1"], values=[-1.0]))
    out = write_portfolio_report(analyse(p, TEN, rates=()), tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(out)["Flags"]
    assert ws["C6"].value == "=A1" and ws["C6"].data_type == "s"


def test_report_checks_recalculate_true_and_a_broken_value_turns_the_master_false(report, tmp_path):
    path, _, result = report
    broken = tmp_path / "broken.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["SPVs"]["H6"].value = wb["SPVs"]["H6"].value + 1000.0  # Japan's receipts of the first SPV
    wb.save(broken)
    good, bad = libreoffice.recalculate([path, broken], tmp_path / "lo")
    checks = openpyxl.load_workbook(good, data_only=True)["Checks"]
    results = [row[2] for row in checks.iter_rows(min_row=7, values_only=True) if row[0]]
    assert results and all(r is True for r in results), results
    assert checks["C4"].value is True
    cap = openpyxl.load_workbook(good, data_only=True)["Cap & deadline"]
    assert cap["C8"].value == pytest.approx(PROGRAM_CAP_USD_M - result.cap.committed)
    assert (cap["A10"].value, cap["C10"].value) == (CAP_FLAG_LABEL, True)
    assert openpyxl.load_workbook(bad, data_only=True)["Checks"]["C4"].value is False


def test_over_the_cap_is_a_visible_flag_and_every_check_still_holds(tmp_path):
    """Issue 5: commitments over the cap are a flag the user sees, not a broken model."""
    over = [dict(SPVS[0], committed=600_000), *SPVS[1:]]  # $m: 600,055 committed against 550,000
    result = analyse(Portfolio.from_tables(over, FLOWS), TEN, rates=())
    path = write_portfolio_report(result, tmp_path / "over.xlsx")
    formulas = openpyxl.load_workbook(path)
    labels = [row[0] for row in formulas["Checks"].iter_rows(min_row=7, values_only=True) if row[0]]
    assert labels and not [label for label in labels if "$550bn cap" in label]  # no compliance row
    ws = formulas["Cap & deadline"]
    assert [ws["A10"].value, ws["B10"].value, ws["C10"].value] == [CAP_FLAG_LABEL, "flag", "=C7<=C6"]
    rules = {str(rng.sqref): [rule.formula for rule in rng.rules] for rng in ws.conditional_formatting}
    assert rules == {"C10": [["C7<=C6"], ["NOT(C7<=C6)"]]}  # the condition, not the cell (PDF export)
    (good,) = libreoffice.recalculate([path], tmp_path / "lo")
    values = openpyxl.load_workbook(good, data_only=True)
    checks = values["Checks"]
    results = {row[0]: row[2] for row in checks.iter_rows(min_row=7, values_only=True) if row[0]}
    assert results and all(r is True for r in results.values()), results
    assert checks["C4"].value is True  # the master check: the model is sound
    cap = values["Cap & deadline"]
    assert cap["C8"].value == pytest.approx(-50_055)  # headroom
    assert cap["C10"].value is False  # the compliance flag: over the cap
    flags = [row for row in values["Flags"].iter_rows(min_row=6, values_only=True) if row[0]]
    assert flags[0][1:3] == ("cap", None) and flags[0][7] == (
        "Commitments of 600,055.0 $m exceed the $550bn program cap (550,000.0 $m) by 50,055.0 $m."
    )


# ---- nothing partial -----------------------------------------------------------------------------


def test_existing_output_needs_force_and_is_left_untouched(tmp_path, hand):
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="the file exists; pass --force"):
        write_portfolio_report(hand, out)
    assert out.read_bytes() == b"keep me"
    write_portfolio_report(hand, out, force=True)
    assert openpyxl.load_workbook(out).sheetnames[0] == "Cover"


def test_the_input_is_never_the_output(tmp_path):
    source = write_example_inputs(tmp_path / "in.xlsx")
    result = analyse(load_portfolio(source), rates=())
    with pytest.raises(OutputError, match="the output would overwrite the input"):
        write_portfolio_report(result, source, force=True)
    with pytest.raises(OutputError, match="ending in .xlsx"):
        write_portfolio_report(result, tmp_path / "r.csv")


def test_a_failure_while_building_leaves_no_file(tmp_path, hand, monkeypatch):
    import xlspv.workbooks.portfolio_report as report_module

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(report_module, "_charts_sheet", broken)
    with pytest.raises(RuntimeError, match="boom"):
        write_portfolio_report(hand, tmp_path / "r.xlsx")
    assert os.listdir(tmp_path) == []


def test_a_failure_while_saving_leaves_no_file(tmp_path, hand, monkeypatch):
    from openpyxl.workbook.workbook import Workbook

    def half_then_fail(self, filename):
        Path(filename).write_bytes(b"PK half a zip")
        raise OSError("disk full")

    from xlspv.workbooks.streamed import StreamedWorkbook

    monkeypatch.setattr(Workbook, "save", half_then_fail)
    monkeypatch.setattr(StreamedWorkbook, "save", half_then_fail)  # the report's streamed rows
    with pytest.raises(OSError, match="disk full"):
        write_portfolio_report(hand, tmp_path / "r.xlsx")
    assert os.listdir(tmp_path) == []


def test_save_inputs_round_trips_terms_columns(tmp_path):
    p = Portfolio.from_tables([_spv("A", deemed_rate="6%", compounding="monthly")], _flows(["A"]), terms=TEN)
    loaded = load_portfolio(save_inputs(p, tmp_path / "p.xlsx"))
    assert loaded.spvs[0].terms == (("compounding", "monthly"), ("deemed_rate", 0.06))
    assert loaded.terms_for()[0] == dataclasses.replace(TEN, deemed_rate=0.06, compounding="monthly")


# ---- both readings of the deemed allocation (issue 6) ----------------------------------------------
#
# Hand-worked scheduled values (docs/waterfall.md, "Second reading") for the three SPVs above at
# 10%, A with a useful life of 2 years in the SPV table, B and C with the 20-year default (every
# allocation year below is 365 days, so a year's interest is 10% of the scheduled principal):
# - A: 100 funded on 2025-01-01, installments 50 in years 1 and 2. Year 1 is due 10 + 50 = 60 and has
#   no distribution: 60 carried. Year 2 (from 2026-01-01) is due 5 (on the 50 left) + 50 + 60 = 115;
#   Japan gets 30 of the 60: 85 carried. Year 3 is due 85: Japan gets 85 of the 200 (the row splits at
#   170) + 10% of the other 30 = 88; the US 142. Threshold 2027-01-01; Japan's XIRR exactly 10%
#   (30 / 1.1 + 88 / 1.21 = 100).
# - B: 50 on 2025-07-01, installments 2.5. Year 1 is due 5 + 2.5 = 7.5, carried; year 2 is due 4.75
#   (on 47.5) + 2.5 + 7.5 = 14.75, of which Japan gets 10 of 20: 4.75 + 18 later installments of 2.5
#   = 49.75 unrecovered. Japan's XIRR -80%.
# - C: 10 on 2029-02-01, installments 0.5. Year 1 is due 1 + 0.5 = 1.5, carried; year 2 is due 0.95 +
#   0.5 + 1.5 = 2.95: Japan gets 2.95 of the 30 (split at 5.9) + 10% of 24.1 = 5.36, the US 24.64;
#   18 installments of 0.5 = 9 are still to come: not reached. Japan's XIRR 5.36 / 10 - 1 = -46.4%.

SPVS_LIVES = [dict(SPVS[0], useful_life=2), *SPVS[1:]]


@pytest.fixture(scope="module")
def hand_readings() -> xlspv.portfolio.PortfolioResult:
    return analyse(Portfolio.from_tables(SPVS_LIVES, FLOWS), TEN, rates=(), readings=True)


@pytest.fixture(scope="module")
def example_readings() -> xlspv.portfolio.PortfolioResult:
    return analyse(ep.portfolio(), rates=(), readings=True)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("scheduled_japan_received", [118.0, 10.0, 5.36]),
        ("scheduled_us_received", [142.0, 10.0, 24.64]),
        ("scheduled_unrecovered", [0.0, 49.75, 9.0]),
        ("scheduled_xirr_japan", [0.10, -0.8, -0.464]),
        ("cumulative_japan_received", [120.4, 10, 11.8]),  # the hand-worked cumulative values above
        ("cumulative_unrecovered", [0, 45, 0]),
        ("cumulative_xirr_japan", [_xirr_quadratic(30, 90.4, 100), -0.8, 0.18]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_readings_hand_worked_values(hand_readings, column, expected):
    got = hand_readings.readings.spvs[column].to_numpy(float)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_readings_threshold_dates_and_useful_lives(hand_readings):
    table = hand_readings.readings.spvs
    assert table["scheduled_threshold_date"].tolist() == [D(2027, 1, 1), None, None]
    assert table["cumulative_threshold_date"].tolist() == [D(2027, 1, 1), None, D(2030, 2, 1)]
    assert table["useful_life"].tolist() == [2, 20, 20]
    assert table["useful_life_from"].tolist() == ["SPV table", *["default: the terms give none"] * 2]
    assert table["note"].tolist() == ["", "", ""]


def test_readings_useful_life_from_the_terms_unless_the_spv_table_gives_one():
    p = Portfolio.from_tables(SPVS_LIVES, FLOWS)
    table = analyse(p, Terms(0.10, useful_life=7), rates=(), readings=True).readings.spvs
    assert table["useful_life"].tolist() == [2, 7, 7]
    assert table["useful_life_from"].tolist() == ["SPV table", "terms", "terms"]


def test_readings_program_row_sums_the_spvs_and_its_xirr_zeroes_the_summed_npv(hand_readings):
    program = hand_readings.readings.program
    assert program.index.tolist() == ["cumulative", "scheduled", "pooled"]
    np.testing.assert_allclose(
        program.loc[
            ["cumulative", "scheduled"], ["japan_received", "us_received", "unrecovered", "reached"]
        ].to_numpy(float),
        [[142.2, 167.8, 45.0, 2], [133.36, 176.64, 58.75, 1]],
        rtol=1e-12,
    )
    assert program["threshold_date"].tolist() == [None, None, None]  # some SPV is never past its threshold
    assert program.loc["cumulative", "xirr_japan"] == hand_readings.program.xirr_japan
    # Japan's scheduled flows of every SPV, by date, from the hand-worked values above
    dates = [D(2025, 1, 1), D(2025, 7, 1), D(2026, 1, 1), D(2026, 7, 1), D(2027, 1, 1), D(2029, 2, 1)]
    flows = [-100, -50, 30, 10, 88, -10, 5.36]
    rate = program.loc["scheduled", "xirr_japan"]
    assert xlspv.xnpv(rate, flows, [*dates, D(2030, 2, 1)]) == pytest.approx(0, abs=1e-9)


def test_scheduled_reading_per_spv_equals_compute_with_the_scheduled_terms(example_readings):
    """Each SPV's scheduled figures are xlspv.compute's on the SPV's own rows (terms written out)."""
    table = example_readings.readings.spvs.set_index("id")
    for spv in ep.SPVS:
        rows = ep.flows_of(spv)
        # the example's default terms (5.5%) with the SPV's own columns, on the 20-year default life
        terms = Terms(**{"deemed_rate": 0.055, **spv.terms}, allocation_basis="scheduled", useful_life=20)
        expected = xlspv.compute([v for _, v in rows], [d for d, _ in rows], terms).summary()
        got = table.loc[spv.id]
        assert got["scheduled_threshold_date"] == expected.threshold_date, spv.id
        for name in ("xirr_japan", "japan_received", "us_received", "unrecovered"):
            want = getattr(expected, name)
            assert got[f"scheduled_{name}"] == pytest.approx(want, rel=1e-12, abs=1e-9), (spv.id, name)
        assert got["useful_life"] == 20 and got["useful_life_from"] == "default: the terms give none"


def test_cumulative_reading_is_the_batch_paths(example_readings):
    table, spvs = example_readings.readings.spvs, example_readings.spvs
    for name in ("threshold_date", "xirr_japan", "japan_received", "us_received", "unrecovered"):
        assert table[f"cumulative_{name}"].tolist() == spvs[name].tolist(), name


def test_readings_are_off_the_main_path_unless_asked(monkeypatch):
    import xlspv.portfolio.readings as module

    def no_single_spv_path(*args, **kwargs):
        raise AssertionError("the main path must not compute SPVs one at a time")

    monkeypatch.setattr(module, "compute", no_single_spv_path)
    result = analyse(Portfolio.from_tables(SPVS, FLOWS), TEN)
    assert result.readings is None and result.sensitivity is not None


def test_readings_report_progress():
    said: list[str] = []
    analyse(Portfolio.from_tables(SPVS, FLOWS), TEN, said.append, rates=(), readings=True)
    assert [m for m in said if m.startswith("readings:")] == [
        "readings: the scheduled basis, 3 of 3 SPVs (one at a time: the batch path computes the "
        "cumulative basis only)"
    ]


def test_an_spv_the_scheduled_reading_cannot_compute_gets_a_note_and_no_program_total():
    spvs = [*SPVS[:2], dict(SPVS[2], useful_life=8000)]  # installments would run past the year 9999
    readings = analyse(Portfolio.from_tables(spvs, FLOWS), TEN, rates=(), readings=True).readings
    note = readings.spvs["note"].tolist()[2]
    assert note.startswith("not computed: useful_life: the allocation years from 2029-02-01"), note
    assert np.isnan(readings.spvs["scheduled_japan_received"].to_numpy(float)[2])
    # A and B on the 20-year default: 60.8 (worked in the --readings command test below) and 10 (above)
    assert readings.spvs["scheduled_japan_received"].tolist()[:2] == pytest.approx([60.8, 10.0])
    program = readings.program.loc["scheduled"]
    assert math.isnan(program["japan_received"]) and math.isnan(program["xirr_japan"])


def test_scheduled_terms_point_to_the_readings():
    p = Portfolio.from_tables(SPVS, FLOWS)
    with pytest.raises(
        TermsError, match=r"\(analyse\(\.\.\., readings=True\)\) to see the scheduled basis beside it\.$"
    ):
        analyse(p, Terms(0.05, allocation_basis="scheduled", useful_life=10), readings=True)


def test_useful_life_column_is_checked_on_its_row():
    spvs = [dict(SPVS[0], useful_life=2.5)]
    with pytest.raises(TermsError) as err:
        Portfolio.from_tables(spvs, _flows(["A"]))
    assert str(err.value) == (
        "SPVs, row 1 (SPV 'A'): useful_life: 2.5 is not a whole number of years >= 1; enter e.g. 20."
    )


# ---- the Readings sheet --------------------------------------------------------------------------

READING_HEADERS = [
    "SPV ID",
    "Name",
    "Useful life (scheduled reading)",
    "Useful life from",
    *(
        f"{basis}: {figure}"
        for basis in ("Cumulative (default)", "Scheduled", "Pooled (one program balance)")
        for figure in (
            "threshold date",
            "XIRR Japan",
            "Japan received",
            "US received",
            "unrecovered deemed allocation",
        )
    ),
    "Scheduled less cumulative: Japan received",
    "Scheduled less cumulative: XIRR Japan",
    "Note",
]


@pytest.fixture(scope="module")
def readings_report(tmp_path_factory, example_readings):
    path = tmp_path_factory.mktemp("readings") / "readings.xlsx"
    return write_portfolio_report(example_readings, path), example_readings


def test_readings_sheet_sits_before_sensitivity_with_its_table_units_and_checks(readings_report):
    path, result = readings_report
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*SHEETS[:-3], "Readings", "Program & values", "Checks"]  # no sensitivity
    with_grid = dataclasses.replace(result, sensitivity=sensitivity(result.portfolio, None, [0.05]))
    other = write_portfolio_report(with_grid, path.with_name("with-grid.xlsx"))
    assert openpyxl.load_workbook(other, read_only=True).sheetnames[-4:] == [
        "Readings",
        "Sensitivity",
        "Program & values",
        "Checks",
    ]
    ws = wb["Readings"]
    n = len(result.spvs)
    assert ws["A1"].value == "Readings"
    assert ws["A2"].value.startswith("Readings: the same flows under both readings of the deemed allocation")
    assert ws["B3"].value == "='Checks'!$C$4"  # the master check line
    assert [c.value for c in ws[4]][4:9] == ["date", "%", "$m", "$m", "$m"]
    assert [c.value for c in ws[5]] == READING_HEADERS
    assert ws.tables["tblReadings"].ref == f"A5:V{5 + n}"
    assert ws.freeze_panes == "C6" and ws.print_title_rows == "$4:$5"
    assert ws.page_setup.orientation == "landscape" and ws.oddFooter.left.text.startswith("xlspv ")
    assert [ws[f"{c}6"].number_format for c in "CEFGJKNTU"] == [
        style.INTEGER,
        style.DATE,
        style.PERCENT,
        style.MONEY,
        style.DATE,
        style.PERCENT,
        style.MONEY,
        style.MONEY,
        style.PERCENT,
    ]
    assert ws["T6"].value == '=IF(OR(G6="",L6=""),"",L6-G6)'
    assert ws["U7"].value == '=IF(OR(F7="",K7=""),"",K7-F7)'
    program = 6 + n
    assert ws[f"A{program}"].value == "Program"
    assert ws[f"L{program}"].value == pytest.approx(
        result.readings.program.loc["scheduled", "japan_received"]
    )
    assert ws["C6"].value == 20 and ws["D6"].value == "default: the terms give none"
    checks = [row[0] for row in wb["Checks"].iter_rows(min_row=7, values_only=True) if row[0]]
    assert sum(c.startswith("Readings: ") for c in checks) == 4
    terms = {row[0]: row[2] for row in wb["Terms"].iter_rows(values_only=True) if row[0]}
    assert terms["Default useful life (scheduled reading)"] == 20


def test_readings_checks_recalculate_true_and_a_broken_scheduled_value_turns_the_master_false(
    readings_report, tmp_path
):
    path, _ = readings_report
    broken = tmp_path / "broken-readings.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Readings"]["L6"].value = wb["Readings"]["L6"].value + 1000.0  # Japan's scheduled receipts
    wb.save(broken)
    good, bad = libreoffice.recalculate([path, broken], tmp_path / "lo")
    checks = openpyxl.load_workbook(good, data_only=True)["Checks"]
    results = {row[0]: row[2] for row in checks.iter_rows(min_row=7, values_only=True) if row[0]}
    assert all(r is True for r in results.values()), results
    failed = {
        row[0]
        for row in openpyxl.load_workbook(bad, data_only=True)["Checks"].iter_rows(
            min_row=7, values_only=True
        )
        if row[0] and row[2] is not True
    }
    assert failed == {
        "Readings: under each reading, Japan's and the US's receipts add up to the cash distributed "
        "(SPVs sheet), every SPV",
        "Readings: the Program row equals the sum of the SPV rows (Japan's and the US's receipts, "
        "unrecovered; both readings)",
    }


# ---- the command line: --readings ----------------------------------------------------------------


def _cli(*args: str):
    return run_cli("portfolio", "-q", "--rates", "none", *args)


@pytest.fixture(scope="module")
def hand_input(tmp_path_factory) -> Path:
    return save_inputs(
        Portfolio.from_tables(SPVS, FLOWS, terms=TEN), tmp_path_factory.mktemp("in") / "p.xlsx"
    )


def test_cli_readings_on_for_the_example_and_off_for_an_input_unless_asked(tmp_path, hand_input):
    runs = {
        "example": ([], True),
        "example-off": (["--no-readings"], False),
        "input": ([str(hand_input)], False),
        "input-on": ([str(hand_input), "--readings", "--useful-life", "25"], True),
    }
    for name, (args, has) in runs.items():
        out = tmp_path / f"{name}.xlsx"
        result = _cli(*args, "-o", str(out))
        assert result.exit_code == 0, (name, result.output)
        names = openpyxl.load_workbook(out, read_only=True).sheetnames
        assert ("Readings" in names) is has, name
    ws = openpyxl.load_workbook(tmp_path / "input-on.xlsx")["Readings"]
    assert [ws["C6"].value, ws["D6"].value] == [25, "terms"]


def test_cli_scheduled_basis_without_readings_points_to_readings(tmp_path, hand_input):
    out = tmp_path / "p.xlsx"
    result = _cli(str(hand_input), "--allocation-basis", "scheduled", "--useful-life", "2", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "xlspv: error: allocation_basis: 'scheduled' (--allocation-basis): the portfolio view runs on the "
        "batch path, which computes the cumulative basis only; pass --readings to see the scheduled basis "
        "beside it on the Readings sheet (useful life from --useful-life or the Terms, else 20 years).\n"
    )
    assert not out.exists()


def test_cli_scheduled_terms_sheet_without_readings_names_the_terms(tmp_path):
    scheduled = Terms(0.10, allocation_basis="scheduled", useful_life=2)
    source = save_inputs(Portfolio.from_tables(SPVS, FLOWS, terms=scheduled), tmp_path / "in.xlsx")
    result = _cli(str(source), "-o", str(tmp_path / "p.xlsx"))
    assert result.exit_code == 2
    assert result.stderr.startswith("xlspv: error: allocation_basis: 'scheduled' (the input's Terms): ")


def test_cli_scheduled_basis_with_readings_shows_it_on_readings(tmp_path, hand_input):
    """With --readings the scheduled basis is on Readings; the program view stays cumulative.

    A on the 20-year default (installments 5): year 1 is due 10 + 5 = 15, carried; year 2 is due 9.5 +
    5 + 15 = 29.5: Japan gets 29.5 of the 60 (split at 59) + 10% of 1 = 29.6; year 3 is due 9 + 5 =
    14: Japan gets 14 of the 200 (split at 28) + 10% of 172 = 31.2. Japan 60.8; 17 installments of 5
    = 85 still to come.
    """
    out = tmp_path / "p.xlsx"
    result = _cli(str(hand_input), "--allocation-basis", "scheduled", "--readings", "-o", str(out))
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    terms = {row[0]: row[2] for row in wb["Terms"].iter_rows(values_only=True) if row[0]}
    assert terms["allocation_basis"] == "cumulative"  # the program view's basis
    assert [wb["Readings"]["C6"].value, wb["Readings"]["D6"].value] == [20, "default: the terms give none"]
    assert [wb["Readings"]["L6"].value, wb["Readings"]["N6"].value] == pytest.approx([60.8, 85.0])


def test_useful_life_column_round_trips_through_the_input_workbook(tmp_path):
    p = Portfolio.from_tables(SPVS_LIVES, FLOWS, terms=TEN)
    loaded = load_portfolio(save_inputs(p, tmp_path / "p.xlsx"))
    assert [s.terms for s in loaded.spvs] == [(("useful_life", 2),), (), ()]
    assert loaded.terms_for()[0] == Terms(0.10, useful_life=2)  # kept, and ignored by the cumulative basis


# ---- damaged packages: one line and exit 2, as `xlspv report` ---------------------------------------


def _truncated_flows_sheet(tmp_path: Path) -> Path:
    """The example's input workbook with its Flows sheet's XML cut in half (a truncated download)."""
    import zipfile

    whole = write_example_inputs(tmp_path / "whole.xlsx")
    cut = tmp_path / "truncated.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet2.xml":  # the Flows sheet
                data = data[: len(data) // 2]
            target.writestr(name, data)
    return cut


def test_a_truncated_sheet_is_one_message_naming_the_file(tmp_path):
    with pytest.raises(SpvInputError) as err:
        load_portfolio(_truncated_flows_sheet(tmp_path))
    assert re.fullmatch(
        r"truncated\.xlsx: cannot be read as an \.xlsx workbook \(part xl/worksheets/sheet2\.xml is not "
        r"well-formed XML: [^;]*; damaged or cut short\); open it in Excel or LibreOffice and save it "
        r"again as \.xlsx\.",
        str(err.value),
    ), str(err.value)


def test_cli_portfolio_and_report_on_a_truncated_sheet_print_the_same_one_line_and_exit_2(tmp_path):
    source = _truncated_flows_sheet(tmp_path)
    lines = {}
    for command in ("portfolio", "report"):
        run = run_cli(command, "-q", str(source), "-o", str(tmp_path / f"{command}.xlsx"))
        assert run.exit_code == 2, run.output
        assert run.exception is None or isinstance(run.exception, SystemExit)
        lines[command] = run.output.strip()
        assert len(run.output.strip().splitlines()) == 1
        assert lines[command].startswith(
            "xlspv: error: truncated.xlsx: cannot be read as an .xlsx workbook ("
        )
    assert lines["portfolio"] == lines["report"]


def test_the_default_sensitivity_grid_is_the_templates_rates_to_compare():
    """One grid (``terms.rates_around``): the deemed rate -2 to +2 points in 1-point steps (5.5% here)."""
    from xlspv.portfolio import default_rates
    from xlspv.workbooks.template import rates_to_compare

    expected = [0.035, 0.045, 0.055, 0.065, 0.075]
    assert default_rates(ep.TERMS).tolist() == rates_to_compare() == expected
    assert analyse(ep.portfolio()).sensitivity.rates.tolist() == expected


# ---- the fast paths against the computations they replaced (random programs) -----------------------


def _random_program(seed: int, n_spvs: int, *, own_terms: bool, shuffle: bool) -> Portfolio:
    """SPVs of 3 to 40 monthly rows (fundings first, then distributions, some fundings reopening the
    balance), rows shuffled across SPVs if asked; with ``own_terms`` some SPVs carry their own deemed
    rate and before-share (term columns), so the per-SPV terms differ."""
    rng = np.random.default_rng(seed)
    spvs, ids, dates, values = [], [], [], []
    for i in range(n_spvs):
        spv = {
            "id": f"S{i}",
            "name": f"N{i}",
            "sector": "energy",
            "notice_date": D(2025, 1, 1),
            "committed": 1,
        }
        if own_terms and rng.random() < 0.4:
            spv["deemed_rate"] = float(rng.choice([0.03, 0.08]))
            spv["japan_share_before"] = float(rng.choice([0.5, 0.6]))
        spvs.append(spv)
        n = int(rng.integers(3, 41))
        start = np.datetime64("2025-03-31") + int(rng.integers(0, 400))
        days = start + np.sort(rng.integers(0, 30 * n, size=n))
        v = rng.uniform(0.5, 3.0, size=n).round(2)
        v[: max(1, n // 4)] *= -4  # fundings first
        v[rng.random(n) < 0.05] *= -1  # a few fundings later (reopening the balance)
        ids += [spv["id"]] * n
        dates += [d.item() for d in days]
        values += v.tolist()
    order = rng.permutation(len(ids)) if shuffle else np.arange(len(ids))
    flows = {
        "spv_id": [ids[k] for k in order],
        "date": [dates[k] for k in order],
        "value": [values[k] for k in order],
    }
    return Portfolio.from_tables(spvs, flows, terms=Terms(0.05))


def _old_padded(p: Portfolio) -> tuple[np.ndarray, np.ndarray]:
    """The padded layout as it was built before: a stable sort by SPV, then fancy indexing."""
    idx = p.flow_spv
    order = np.argsort(idx, kind="stable")
    counts = np.bincount(idx, minlength=len(p))
    width = int(counts.max())
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    spv_sorted = idx[order]
    pos = np.arange(idx.size) - np.repeat(starts, counts) + (width - counts)[spv_sorted]
    values = np.zeros((len(p), width))
    values[spv_sorted, pos] = p.flow_values[order]
    days = np.repeat(np.minimum.reduceat(p.flow_days[order], starts)[:, None], width, axis=1)
    days[spv_sorted, pos] = p.flow_days[order]
    return values, days


def _old_sensitivity(p: Portfolio, terms: Terms, rates: list[float], scales: list[float]) -> dict:
    """The grid as it was computed before: one batch of every (SPV, grid point) with a list of terms."""
    from xlspv.dates import distinct_days, to_datetime64, years_of
    from xlspv.xirr import xirr_many

    values, days = _old_padded(p)
    spv_terms = p.terms_for(terms)
    unique, inverse = distinct_days(days)
    out: dict = {"xirr": [], "year": [], "received": [], "program_xirr": []}
    for scale in scales:
        for r in rates:
            vals = np.where(values > 0.0, values * scale, values)
            b = xlspv.waterfall_batch(vals, to_datetime64(days), [t.with_rate(r) for t in spv_terms])
            flows = b.party_flows("japan")
            out["xirr"].append(xirr_many(flows, days))
            thr = b.threshold_days
            year = np.full(thr.shape, np.nan)
            year[thr >= 0] = years_of(thr[thr >= 0])
            out["year"].append(year)
            out["received"].append(b.japan.sum(axis=1))
            sums = np.bincount(inverse.ravel(), weights=flows.ravel(), minlength=unique.size)
            out["program_xirr"].append(xirr_many(sums[None], unique[None])[0])
    shape = (len(scales), len(rates), len(p))
    return {k: np.asarray(v).reshape(shape if k != "program_xirr" else shape[:2]) for k, v in out.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("own_terms", [False, True], ids=["shared-terms", "own-terms"])
def test_the_padded_layout_is_the_sorted_one_for_rows_in_any_order(seed, own_terms):
    for shuffle in (False, True):
        p = _random_program(seed, 30, own_terms=own_terms, shuffle=shuffle)
        values, days = p.padded
        old_values, old_days = _old_padded(p)
        np.testing.assert_array_equal(values, old_values)
        np.testing.assert_array_equal(days, old_days)
        np.testing.assert_array_equal(values.ravel()[p.padded_at], p.flow_values)
        np.testing.assert_array_equal(p.from_padded(days), p.flow_days)


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("own_terms", [False, True], ids=["shared-terms", "own-terms"])
def test_the_sensitivity_by_grid_point_equals_the_one_batch_grid(seed, own_terms):
    """Per SPV the same bits (each scenario's rule and XIRR do not depend on the others); the program's
    XIRR to 1e-12 (its sums by date are added in another order)."""
    p = _random_program(seed, 25, own_terms=own_terms, shuffle=True)
    rates, scales = [0.0, 0.05, 0.09], [0.7, 1.0]
    old = _old_sensitivity(p, Terms(0.05), rates, scales)
    for result in (
        sensitivity(p, Terms(0.05), rates, scales, max_cells=7 * 40),  # blocks of 7 SPVs
        analyse(p, Terms(0.05), rates=rates, scales=scales).sensitivity,  # the analysed point reused
    ):
        assert result is not None
        per_spv = lambda a: np.moveaxis(a, 0, 2)  # noqa: E731  (SPVs, scales, rates) -> (scales, rates, SPVs)
        np.testing.assert_array_equal(per_spv(result.xirr_japan), old["xirr"])
        np.testing.assert_array_equal(per_spv(result.threshold_year), old["year"])
        # receipts: the same bits for SPVs whose rows are in date order; the summary pass adds the others'
        # in date order, so to the last bits there (tests/test_sensitivity_fast.py)
        in_order = (np.diff(p.padded[1], axis=1) >= 0).all(axis=1)
        np.testing.assert_array_equal(
            per_spv(result.japan_received)[..., in_order], old["received"][..., in_order]
        )
        np.testing.assert_allclose(per_spv(result.japan_received), old["received"], rtol=1e-14, atol=0)
        np.testing.assert_allclose(result.program_xirr_japan, old["program_xirr"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", [6, 7])
@pytest.mark.parametrize("pooled", [False, True], ids=["cumulative", "pooled"])
def test_program_values_in_one_pass_equal_group_values(seed, pooled):
    """The compiled pass adds the same products in the same order as group_values' bincounts: the
    same bits, per SPV and for the program (rows shuffled, before-shares per SPV)."""
    from xlspv.value import VALUE_FIGURES, group_values

    p = _random_program(seed, 20, own_terms=not pooled, shuffle=True)
    terms = Terms(0.05, allocation_basis="pooled") if pooled else Terms(0.05)
    result = analyse(p, terms, rates=(), discount_rate=0.07)
    base = dataclasses.replace(terms, allocation_basis="cumulative")
    if pooled:
        japan, us = result.pooled.japan, result.pooled.us
    else:
        b = xlspv.waterfall_batch(p.padded[0], xlspv.dates.to_datetime64(p.padded[1]), p.terms_for(base))
        japan, us = p.from_padded(b.japan), p.from_padded(b.us)
    share = np.array([t.japan_share_before for t in p.terms_for(base)])
    v, days, spv = p.flow_values, p.flow_days, p.flow_spv
    kw = {"rate": 0.07, "day_count": "ACT/365F"}
    per_spv = group_values(v, days, japan, us, spv, len(p), share_before=share, **kw)
    zero = np.zeros(v.size, dtype=np.int64)
    one = group_values(v, days, japan, us, zero, 1, share_before=1.0, **kw)
    scaled = np.where(v > 0.0, v * share[spv], v)
    cf = group_values(scaled, days, japan, us, zero, 1, share_before=1.0, **kw)
    whole = {
        "japan_received": one["japan_received"][0],
        "japan_funded": one["japan_funded"][0],
        "npv_japan": one["npv_japan"][0],
        "us_received": one["us_received"][0],
        "japan_received_no_switch": cf["japan_received_no_switch"][0],
        "us_received_no_switch": one["japan_received_no_switch"][0] - cf["japan_received_no_switch"][0],
    }
    whole["switch_value_japan"] = whole["japan_received_no_switch"] - whole["japan_received"]
    whole["switch_value_us"] = whole["us_received"] - whole["us_received_no_switch"]
    for name in VALUE_FIGURES:
        np.testing.assert_array_equal(result.values.spvs[name].to_numpy(), per_spv[name], err_msg=name)
        assert result.values.program[name] == whole[name], name


def test_the_callers_date_and_value_arrays_are_never_changed() -> None:
    # the readers' own date columns become ordinals in place; a caller's arrays are copied first
    dates = np.array(["2025-01-01", "2026-01-01"], dtype="datetime64[D]")
    values = np.array([-100.0, 130.0])
    spv = {"id": "A", "name": "", "sector": "energy", "notice_date": dt.date(2024, 11, 1), "committed": 100}
    spvs = [spv]
    p = Portfolio.from_tables(spvs, {"spv_id": ["A", "A"], "date": dates, "value": values})
    assert dates.tolist() == [dt.date(2025, 1, 1), dt.date(2026, 1, 1)]
    assert values.tolist() == [-100.0, 130.0]
    assert p.flow_days.tolist() == [dt.date(2025, 1, 1).toordinal(), dt.date(2026, 1, 1).toordinal()]
