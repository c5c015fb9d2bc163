"""Rules found by the independent review, pinned at the command line (exit 2, one exact line).

Each test names the rule: one rate rule for every option, comma lists that are never guessed, one
column per name, totals that never print ``inf``, text that a workbook can hold, a program folder as
the risk view's input.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

FLOWS = "date,value\n2025-01-01,-100\n2026-01-01,60\n2027-01-01,200\n"


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "a.csv"
    path.write_text(FLOWS, encoding="utf-8")
    return path


def _refused(result, line: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [f"xlspv: error: {line}"]


def test_discount_rate_follows_the_rate_rule(flows: Path) -> None:
    _refused(
        run_cli("summary", str(flows), "--deemed-rate", "0.05", "--discount-rate", "5"),
        "--discount-rate: 5 would be 500% a year; write the rate as a decimal (0.05) or with a per-cent "
        "sign (5%).",
    )
    done = run_cli("summary", str(flows), "--deemed-rate", "0.05", "--discount-rate", "5%")
    assert done.exit_code == 0 and "Present values at 5.0000% a year" in done.stdout


@pytest.mark.parametrize(
    ("option", "text", "line"),
    [
        (
            "--scales",
            "0,5",
            "--scales: '0,5' is ambiguous: the comma separates values here; write decimals with a point "
            "(e.g. 0.055, or 5.5% for a rate) and separate values with commas.",
        ),
        ("--rates", "0.05,,0.06", "--rates: '0.05,,0.06' has an empty value; give e.g. 0.04,0.05,0.06."),
    ],
    ids=["decimal-comma-scales", "empty-item-rates"],
)
def test_comma_lists_are_never_guessed(tmp_path: Path, option: str, text: str, line: str) -> None:
    _refused(run_cli("portfolio", option, text, "-q", "-o", str(tmp_path / "p.xlsx")), line)
    assert list(tmp_path.iterdir()) == []


def test_a_csv_column_named_twice_is_refused_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("date,value,Value\n2025-01-01,-100,-999\n2026-01-01,60,999\n", encoding="utf-8")
    _refused(
        run_cli("summary", str(path), "--deemed-rate", "0.05"),
        "d.csv, line 1: column 'value' appears twice; keep one.",
    )


def test_totals_that_overflow_are_refused_never_printed_as_inf(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("date,value\n2025-01-01,-1e308\n2026-01-01,1e308\n2027-01-01,1e308\n", encoding="utf-8")
    _refused(
        run_cli("summary", str(path), "--deemed-rate", "0.1"),
        "values: the fundings or the distributions add up to more than a float can hold; enter the "
        "amounts in a larger unit (e.g. $bn instead of $m).",
    )


def test_control_characters_in_written_text_are_shown_as_control_pictures(
    flows: Path, tmp_path: Path
) -> None:
    named = tmp_path / "ctl\x07name.csv"
    named.write_text(FLOWS, encoding="utf-8")
    out = tmp_path / "r.xlsx"
    done = run_cli("report", str(named), "--deemed-rate", "0.1", "--unit", "\x1bm", "-q", "-o", str(out))
    assert done.exit_code == 0, done.output
    texts = [
        c.value
        for ws in openpyxl.load_workbook(out).worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    assert any("ctl\u2407name.csv" in t for t in texts)  # BEL shown as its control picture
    assert "\u241bm" in texts  # the unit, ESC shown so
    assert not any(ch in t for t in texts for ch in "\x07\x1b")


def test_the_risk_view_reads_a_program_folder(tmp_path: Path) -> None:
    folder = tmp_path / "program"
    folder.mkdir()
    (folder / "spvs.csv").write_text(
        "id,name,sector,notice_date,committed\nA,Plant,energy,2024-11-01,100\n", encoding="utf-8"
    )
    (folder / "flows.csv").write_text(
        "spv_id,date,value\nA,2025-01-01,-100\nA,2026-01-01,60\nA,2027-01-01,200\n", encoding="utf-8"
    )
    (folder / "terms.csv").write_text("term,value\ndeemed_rate,0.1\n", encoding="utf-8")
    done = run_cli("risk", str(folder), "--scenarios", "100", "-q")
    assert done.exit_code == 0, done.output
    assert "recovery_probability" in done.stdout


@pytest.mark.parametrize("command", ["report", "summary"])
def test_a_folder_as_input_is_one_line_from_the_reader(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    args = [command, str(folder), "--deemed-rate", "0.05"]
    if command == "report":
        args += ["-q", "-o", str(tmp_path / "r.xlsx")]
    _refused(run_cli(*args), f"{folder}: is a folder; give an .xlsx or .csv file.")


def test_verify_refuses_a_device_before_reading_it() -> None:
    _refused(
        run_cli("verify", "/dev/zero"),
        "/dev/zero: is not a regular file (a device, pipe or socket) and is not read; give an .xlsx or "
        ".csv file.",
    )
