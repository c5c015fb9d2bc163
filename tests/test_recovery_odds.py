"""The recovery review's probability side: SPVs whose probability of recovery within 20 years of their
first funding is below a stated level are flagged ("recovery probability"), from Python, on the command
line and in the portfolio report (checks TRUE after a LibreOffice recalculation, with the pooled
program view's report in the same soffice run)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import libreoffice
import numpy as np
import openpyxl
import pytest
from conftest import run_cli

from xlspv import Terms
from xlspv.errors import SpvInputError, TermsError
from xlspv.portfolio import DEFAULT_RECOVERY_LEVEL, Portfolio, RecoveryOdds, analyse
from xlspv.portfolio.odds import check_level
from xlspv.risk import RiskModel, simulate_program

D = dt.date
NOTICE = D(2024, 6, 3)
FUND = D(2025, 1, 1)


def _program(cash: dict[str, list[tuple[dt.date, float]]], program: str = "korea-2025") -> Portfolio:
    """SPVs that each fund 100 on 1 Jan 2025 (notice long before) and get the distributions given."""
    spvs = [
        {"id": k, "name": f"SPV {k}", "sector": "energy", "notice_date": NOTICE, "committed": 100}
        for k in cash
    ]
    ids, dates, values = [], [], []
    for k, rows in cash.items():
        ids += [k] * (len(rows) + 1)
        dates += [FUND] + [d for d, _ in rows]
        values += [-100.0] + [v for _, v in rows]
    return Portfolio.from_tables(spvs, {"spv_id": ids, "date": dates, "value": values}, program=program)


#: Recovered 2 years after its first funding (730 days), 10 years (3,652 days), never (1 of a balance
#: of 100 or more).
CASH = {
    "FAST": [(D(2027, 1, 1), 1_000.0)],
    "SLOW": [(D(2035, 1, 1), 1_000.0)],
    "NEVER": [(D(2026, 1, 1), 1.0)],
}


def _odds(p: Portfolio, model: RiskModel, scenarios: int, seed: int = 7, level=DEFAULT_RECOVERY_LEVEL):
    risk = simulate_program(p, Terms(0.05), model=model, scenarios=scenarios, seed=seed)
    return RecoveryOdds.from_risk(risk, p.ids, level)


def test_a_stop_hazard_alone_gives_exp_minus_hazard_times_years_and_flags_below_the_level():
    """Known answer: with only a stop hazard h (every other source off), an SPV whose one distribution
    comes t years after its first funding recovers iff the project has not stopped by then:
    P = exp(-h t) (issue 17's known answer). h = 0.1: FAST t = 730/365.25, P = 0.8188; SLOW t =
    3652/365.25, P = 0.3679; NEVER P = 0. At the level 0.5: SLOW and NEVER flagged, FAST not."""
    p = _program(CASH)
    n = 8_000
    odds = _odds(p, RiskModel.deterministic().replace(stop_hazard=0.1), n)
    for k, days in (("FAST", 730), ("SLOW", 3652)):
        i = p.ids.index(k)
        expected = math.exp(-0.1 * days / 365.25)
        se = math.sqrt(expected * (1 - expected) / n)
        assert abs(odds.probability[i] - expected) < 4 * se, (k, odds.probability[i], expected)
        assert odds.standard_error[i] == pytest.approx(se, rel=0.05)
    assert odds.probability[p.ids.index("NEVER")] == 0.0
    result = analyse(p, Terms(0.05), rates=(), recovery_odds=odds)
    flagged = result.flags[result.flags["kind"] == "recovery probability"]
    assert flagged["spv_id"].tolist() == ["SLOW", "NEVER"]
    reason = flagged["reason"].iloc[0]
    assert f"is {odds.probability[1]:.1%}" in reason and "below the stated level of 50%" in reason
    assert f"standard error {odds.standard_error[1]:.1%}" in reason and "8,000 scenarios" in reason
    assert flagged["date"].tolist() == [D(2045, 1, 1)] * 2  # 20 years after the first funding
    assert result.spvs["recovered_20y"].tolist() == odds.probability.tolist()


def test_with_no_uncertainty_the_probability_flags_are_the_deterministic_ones():
    """Degenerate model: every scenario is the deterministic schedule, so each probability is exactly
    1 or 0 and the SPVs below any level in (0, 1] are those the deterministic review flags. LATE
    recovers 22 years after its first funding (flagged by both), ON_TIME after 19."""
    cash = {**CASH, "LATE": [(D(2047, 1, 1), 1_000.0)], "ON_TIME": [(D(2044, 1, 1), 1_000.0)]}
    p = _program(cash)
    odds = _odds(p, RiskModel.deterministic(), 50, level=1.0)
    assert odds.probability.tolist() == [1.0, 1.0, 0.0, 0.0, 1.0]
    assert odds.standard_error.tolist() == [0.0] * 5
    flags = analyse(p, Terms(0.05), rates=(), recovery_odds=odds).flags
    by_kind = lambda kind: flags.loc[flags["kind"] == kind, "spv_id"].tolist()  # noqa: E731
    assert by_kind("recovery probability") == by_kind("recovery") == ["NEVER", "LATE"]


@pytest.mark.parametrize(("level", "flagged"), [(0.0, []), (0.3679, ["NEVER"]), (0.82, ["SLOW", "NEVER"])])
def test_the_level_is_a_strict_lower_bound(level, flagged):
    """Hand-set probabilities: a probability equal to the level is not below it."""
    p = _program(CASH)
    odds = RecoveryOdds(tuple(p.ids), [0.82, 0.3679, 0.0], [0.01, 0.01, 0.0], level=level)
    flags = analyse(p, Terms(0.05), rates=(), recovery_odds=odds).flags
    assert flags.loc[flags["kind"] == "recovery probability", "spv_id"].tolist() == flagged


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (1.5, "recovery level: 1.5 is outside 0 to 1; give a probability such as 0.5."),
        ("high", "recovery level: 'high' is not a number; give a probability such as 0.5."),
        (None, "recovery level: None is not a number; give a probability such as 0.5."),
    ],
)
def test_a_bad_level_is_one_clear_error(level, message):
    with pytest.raises(SpvInputError) as err:
        check_level(level)
    assert str(err.value) == message
    assert check_level("25%") == 0.25


def test_odds_the_program_view_cannot_read_are_refused():
    p = _program(CASH)
    odds = RecoveryOdds(tuple(p.ids), [1.0, 0.5, 0.0], [0.0, 0.0, 0.0])
    with pytest.raises(SpvInputError, match="japan-2025 program has no recovery review"):
        analyse(p, Terms(0.05), rates=(), recovery_odds=odds, program="japan-2025")
    with pytest.raises(TermsError, match="'pooled' with recovery probabilities"):
        analyse(p, Terms(0.05, allocation_basis="pooled"), rates=(), recovery_odds=odds)
    with pytest.raises(SpvInputError, match="other SPVs"):
        analyse(p, Terms(0.05), rates=(), recovery_odds=dataclasses.replace(odds, ids=("A", "B", "C")))
    with pytest.raises(SpvInputError, match="3 SPVs but 2 probabilities"):
        RecoveryOdds(tuple(p.ids), [1.0, 0.5], [0.0, 0.0])
    with pytest.raises(SpvInputError, match="from 0 to 1"):
        RecoveryOdds(tuple(p.ids), [1.0, 0.5, np.nan], [0.0, 0.0, 0.0])


# --- the command line and the report --------------------------------------------------------------


def _folder(root: Path, cash: dict[str, list[tuple[dt.date, float]]], name: str) -> Path:
    folder = root / name
    folder.mkdir()
    spvs = "".join(f"{k},SPV {k},energy,{NOTICE},100\n" for k in cash)
    (folder / "spvs.csv").write_text("id,name,sector,notice_date,committed\n" + spvs, encoding="utf-8")
    rows = "".join(f"{k},{FUND},-100\n" + "".join(f"{k},{d},{v}\n" for d, v in r) for k, r in cash.items())
    (folder / "flows.csv").write_text("spv_id,date,value\n" + rows, encoding="utf-8")
    return folder


#: Under the default risk model: SURE pays 50 a month for 20 years from the month after its funding
#: (it recovers unless the project stops or its cash is delayed by years: P about 0.98); NEVER gets 1.
SURE_AND_NEVER = {
    "SURE": [(D(2025 + (m // 12), m % 12 + 1, 1), 50.0) for m in range(1, 241)],
    "NEVER": [(D(2026, 1, 1), 1.0)],
}


def _checks(path: Path) -> dict[str, object]:
    values = openpyxl.load_workbook(path, data_only=True)
    checks = values["Checks"]
    results = {row[0]: row[2] for row in checks.iter_rows(min_row=7, values_only=True) if row[0]}
    results["master"] = checks["C4"].value
    return results


def test_the_cli_flags_and_the_reports_recalculate_with_every_check_true(tmp_path):
    """End to end: `xlspv portfolio DIR --program korea-2025 --risk-scenarios N` flags NEVER only (its
    probability is 0; SURE's is near 1), shows the probabilities on Program & values and the level on
    the Cover; and the pooled program view's report (an input whose SPVs have no own terms). Both
    reports are recalculated in one LibreOffice run: every check TRUE."""
    folder = _folder(tmp_path, SURE_AND_NEVER, "in")
    odds_out, pooled_out = tmp_path / "odds.xlsx", tmp_path / "pooled.xlsx"
    done = run_cli(
        "portfolio", str(folder), "-q", "--deemed-rate", "0.05", "--program", "korea-2025",
        "--risk-scenarios", "400", "--risk-seed", "3", "--rates", "none", "-o", str(odds_out),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(odds_out)
    flags = [row for row in book["Flags"].iter_rows(min_row=1, values_only=True) if row[1]]
    assert [(r[1], r[2]) for r in flags if r[1] == "recovery probability"] == [
        ("recovery probability", "NEVER")
    ]
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}
    rule = cover["Recovery probability review"]
    assert "below 50% (the stated level" in rule and "400 scenarios, seed 3" in rule
    done = run_cli(
        "portfolio", str(_folder(tmp_path, CASH, "plain")), "-q", "--deemed-rate", "0.05",
        "--allocation-basis", "pooled", "--rates", "none", "-o", str(pooled_out),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    odds_good, pooled_good = libreoffice.recalculate([odds_out, pooled_out], tmp_path / "lo")
    for good in (odds_good, pooled_good):
        results = _checks(good)
        assert len(results) > 5 and all(r is True for r in results.values()), (good.name, results)
    values = openpyxl.load_workbook(odds_good, data_only=True)["Program & values"]
    rows: dict[str, tuple] = {}
    for row in values.iter_rows(values_only=True):  # the review block comes before the present values
        if row[0] in ("SURE", "NEVER"):
            rows.setdefault(row[0], row)
    assert rows["NEVER"][5] == 0 and rows["NEVER"][7] == 1 and rows["NEVER"][4] == 1  # both reviews flag
    assert rows["SURE"][5] > 0.9 and rows["SURE"][7] == 0 and rows["SURE"][4] == 0
    assert rows["SURE"][2].date() == D(2045, 1, 1)  # EDATE(first funding, 240) as LibreOffice computes it
    spvs = openpyxl.load_workbook(pooled_good, data_only=True)["SPVs"]
    header = next(r for r in spvs.iter_rows(values_only=True) if r[0] == "SPV ID")
    at = header.index("Threshold date")
    pooled_dates = {r[0]: r[at] for r in spvs.iter_rows(values_only=True) if r[0] in CASH}
    # one balance for the program: FAST's 1,000 of 1 Jan 2027 (500 to Japan) clears the three fundings'
    # 300 plus two years' interest at 5%, so every SPV shows that date (cumulative: NEVER has none)
    assert {k: v.date() for k, v in pooled_dates.items()} == dict.fromkeys(CASH, D(2027, 1, 1))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--risk-seed", "1"],
         "--risk-seed needs --risk-scenarios N (the probability flag is off without it)."),
        (["--risk-scenarios", "10", "--recovery-level", "2"],
         "--recovery-level: '2' is outside 0 to 1; give a probability such as 0.5."),
        (["--risk-scenarios", "0"],
         "--risk-scenarios: 0 is outside 1 to 10,000,000; enter a number in that range."),
        (["--risk-scenarios", "10", "--program", "japan-2025"],
         "the japan-2025 program has no recovery review"),
        (["--risk-scenarios", "10", "--allocation-basis", "pooled"], "'pooled' with recovery probabilities"),
    ],
)  # fmt: skip
def test_cli_option_errors_are_one_line_and_exit_2(tmp_path, args, message):
    folder = _folder(tmp_path, CASH, "in")
    out = tmp_path / "p.xlsx"
    program = [] if "--program" in args else ["--program", "korea-2025"]
    done = run_cli("portfolio", str(folder), "-q", "--deemed-rate", "0.05", *program, *args, "-o", str(out))
    assert done.exit_code == 2, done.output
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
