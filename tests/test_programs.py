"""Programs as presets: business-day notice, the yearly cap, the recovery review, the declined funding,
the guarantee fee, and the Korean report recalculated by LibreOffice."""

from __future__ import annotations

import dataclasses
import datetime as dt

import libreoffice
import numpy as np
import openpyxl
import pytest
from conftest import run_cli

from xlspv import Terms, compute
from xlspv.examples import korea
from xlspv.portfolio import Portfolio, analyse
from xlspv.portfolio.agreement import business_days_after, get_program
from xlspv.portfolio.declined import declined_funding
from xlspv.workbooks.portfolio_report import write_portfolio_report

D = dt.date
TEN = Terms(0.10)


def _one(spvs, flows, program="korea-2025"):
    return Portfolio.from_tables(spvs, flows, program=program)


@pytest.mark.parametrize(
    ("notice", "funding", "expected"),
    [
        # Thanksgiving 2026 is Thu 26 Nov (fourth Thursday; OPM's 2026 federal holiday table): in
        # (Wed 25, Mon 30] only Fri 27 and Mon 30 are business days
        (D(2026, 11, 25), D(2026, 11, 30), 2),
        # Independence Day 2026 falls on a Saturday, observed Fri 3 Jul: (Thu 2, Tue 7] -> Mon 6, Tue 7
        (D(2026, 7, 2), D(2026, 7, 7), 2),
        # no holiday: Mon 2 Mar 2026 -> Mon 9 Mar: Tue..Fri + Mon = 5
        (D(2026, 3, 2), D(2026, 3, 9), 5),
    ],
    ids=["thanksgiving", "july-4-observed", "plain-week"],
)
def test_business_days_after_notice_skip_weekends_and_federal_holidays(notice, funding, expected):
    got = business_days_after(np.array([notice.toordinal()]), np.array([funding.toordinal()]))
    assert int(got[0]) == expected


def test_a_notice_across_a_federal_holiday_is_flagged_under_business_days_only():
    """45 calendar days from Mon 16 Nov 2026 is Thu 31 Dec 2026. Counted by hand: (16 Nov, 31 Dec] holds
    33 weekdays (4 + 5 x 5 + 4), of which Thanksgiving (26 Nov) and Christmas (25 Dec) are federal
    holidays: 31 business days, short of 45."""
    spvs = [{"id": "A", "name": "", "sector": "energy", "notice_date": D(2026, 11, 16), "committed": 100}]
    flows = {"spv_id": ["A", "A"], "date": [D(2026, 12, 31), D(2027, 12, 31)], "value": [-100, 50]}
    korea_flags = analyse(_one(spvs, flows), TEN, rates=()).flags
    notice = korea_flags[korea_flags["kind"] == "notice"]
    assert len(notice) == 1 and "31 US federal business days" in notice["reason"].iloc[0]
    japan_flags = analyse(_one(spvs, flows, "japan-2025"), TEN, rates=()).flags
    assert "notice" not in set(japan_flags["kind"])  # 45 calendar days: on time


def test_a_year_over_the_20bn_cap_is_flagged_and_the_others_are_not():
    spvs = [
        {"id": "A", "name": "", "sector": "energy", "notice_date": D(2026, 1, 5), "committed": 15_000},
        {"id": "B", "name": "", "sector": "metals", "notice_date": D(2026, 1, 5), "committed": 6_000},
    ]
    flows = {
        "spv_id": ["A", "B", "A", "B"],
        "date": [D(2027, 3, 1), D(2027, 6, 1), D(2030, 1, 1), D(2030, 1, 1)],
        "value": [-15_000, -6_000, 20_000, 9_000],
    }
    result = analyse(_one(spvs, flows), TEN, rates=())
    cap = result.flags[result.flags["kind"] == "annual cap"]
    # 15,000 + 6,000 = 21,000 $m funded in 2027 against 20,000: over by 1,000
    assert cap["amount"].tolist() == [21_000.0] and "by 1,000.0 $m" in cap["reason"].iloc[0]
    by_year = result.cap.by_year.set_index("year")
    assert by_year.loc[2027, "over_annual_cap"] == 1_000.0 and result.cap.years_over_annual_cap == 1


def test_recovery_after_20_years_is_flagged_by_korea_only():
    """At 0%, 100 funded on 1 Jan 2025 and 10 a year: Japan's 5 a year clears 100 on the 20th payment,
    1 Jan 2045 (20 years: not flagged); 9 a year clears it on the 23rd, 1 Jan 2048 (flagged)."""
    spvs = [
        {"id": "OK", "name": "", "sector": "energy", "notice_date": D(2024, 1, 1), "committed": 100},
        {"id": "SLOW", "name": "", "sector": "energy", "notice_date": D(2024, 1, 1), "committed": 100},
    ]
    ids, dates, values = [], [], []
    for spv, cash, years in (("OK", 10.0, 20), ("SLOW", 9.0, 23)):
        ids += [spv] * (years + 1)
        dates += [D(2025, 1, 1)] + [D(2025 + k, 1, 1) for k in range(1, years + 1)]
        values += [-100.0] + [cash] * years
    flows = {"spv_id": ids, "date": dates, "value": values}
    flags = analyse(_one(spvs, flows), Terms(0.0), rates=()).flags
    recovery = flags[flags["kind"] == "recovery"]
    assert recovery["spv_id"].tolist() == ["SLOW"]
    assert "2048-01-01" in recovery["reason"].iloc[0]


def test_declined_funding_redirects_until_covered_beside_the_base_case():
    """Hand-worked at 10% (ACT/365F, annual): declining the 50 of 1 Jul 2025 leaves a balance of 100,
    110 on 1 Jan 2026, when 40 of the 80 is Korea's and all of it goes to the US (10 still due); on
    1 Jan 2027 the balance is 70 x 1.1 = 77, Korea's 40 pays the last 10 to the US and keeps 30."""
    spvs = [{"id": "K", "name": "", "sector": "energy", "notice_date": D(2024, 9, 1), "committed": 150}]
    flows = {
        "spv_id": ["K"] * 4,
        "date": [D(2025, 1, 1), D(2025, 7, 1), D(2026, 1, 1), D(2027, 1, 1)],
        "value": [-100, -50, 80, 80],
    }
    d = declined_funding(_one(spvs, flows), "K", TEN, funding_date=D(2025, 7, 1))
    assert d.rows["redirected"].tolist() == pytest.approx([0, 0, 40, 10])
    assert d.rows["declined_japan"].tolist() == pytest.approx([0, 0, 0, 30])
    assert d.table.loc["declined", "us_received"] == pytest.approx(160 - 30)
    assert d.table.loc["declined", "japan_funded"] == 100 and d.covered_date == D(2027, 1, 1)
    # base case: 150 funded, nothing redirected; cash conserved in both
    assert d.table.loc["base", "redirected"] == 0
    for case in ("base", "declined"):
        row = d.table.loc[case]
        assert row["japan_received"] + row["us_received"] == pytest.approx(160)


def test_guarantee_fee_equals_a_higher_deemed_rate_and_is_shown_apart():
    dates = [D(2025, 1, 1), D(2026, 3, 1), D(2028, 7, 1)]
    with_fee = Terms(0.05, guarantee_fee=0.01)
    a = compute([-100, 40, 200], dates, with_fee)
    b = compute([-100, 40, 200], dates, Terms(0.06))
    assert a.japan.tolist() == pytest.approx(b.japan.tolist(), rel=1e-12)
    assert with_fee.own_rate == 0.05 and with_fee.guarantee_fee == 0.01
    assert dataclasses.replace(with_fee, japan_share_after=0.2).deemed_rate == pytest.approx(0.06)
    assert dict((n, v) for n, v, _ in with_fee.as_range())["deemed_rate"] == 0.05
    assert Terms.from_mapping(with_fee.as_range()) == with_fee
    with pytest.raises(Exception, match="guarantee_fee"):
        Terms(-0.5, guarantee_fee=-0.6)


def test_unknown_program_is_one_clear_error():
    with pytest.raises(Exception, match="'mars-2030' is not a program; use one of japan-2025, korea-2025"):
        get_program("mars-2030")
    result = run_cli("portfolio", "--program", "mars-2030", "-o", "x.xlsx")
    assert result.exit_code == 2


def test_program_named_in_the_terms_sheet_is_read(tmp_path):
    path = tmp_path / "in.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "SPVs"
    wb["SPVs"].append(["id", "name", "sector", "notice_date", "committed"])
    wb["SPVs"].append(["A", "P", "energy", D(2026, 1, 5), 100])
    flows = wb.create_sheet("Flows")
    flows.append(["spv_id", "date", "value"])
    flows.append(["A", D(2026, 6, 1), -100])
    flows.append(["A", D(2027, 6, 1), 60])
    terms = wb.create_sheet("Terms")
    terms.append(["deemed_rate", 0.05])
    terms.append(["program", "korea-2025"])
    wb.save(path)
    from xlspv.workbooks.portfolio_reader import load_portfolio

    p = load_portfolio(path)
    assert p.program.name == "korea-2025" and p.terms == Terms(0.05)
    terms["B2"] = "nowhere"
    wb.save(path)
    with pytest.raises(Exception, match=r"in.xlsx, sheet Terms, row 2: 'nowhere' is not a program"):
        load_portfolio(path)


def test_korean_example_report_states_the_rules_and_every_check_holds(tmp_path):
    result = analyse(korea.portfolio(), rates=(), readings=True, declined=("KR-LNG", None))
    path = write_portfolio_report(result, tmp_path / "korea.xlsx")
    formulas = openpyxl.load_workbook(path)
    cover = [row for row in formulas["Cover"].iter_rows(values_only=True) if row[0]]
    labels = {row[0]: row[1] for row in cover}
    assert "45 US federal business days" in labels["Notice"]
    assert "$20 billion" in labels["Yearly cap"] and "$150 billion" in labels["Outside the waterfall"]
    (good,) = libreoffice.recalculate([path], tmp_path / "lo")
    values = openpyxl.load_workbook(good, data_only=True)
    checks = values["Checks"]
    results = {row[0]: row[2] for row in checks.iter_rows(min_row=7, values_only=True) if row[0]}
    assert results and all(r is True for r in results.values()), results
    assert checks["C4"].value is True
    sheet = values["Program & values"]
    over = [row for row in sheet.iter_rows(values_only=True) if row[4] == "over"]
    assert [int(row[0]) for row in over] == result.cap.by_year.query("over_annual_cap > 0")["year"].tolist()
