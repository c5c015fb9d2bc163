"""The README's examples run: its Python example, its commands, and the error line it shows."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_python_example_runs_and_gives_what_its_comments_say() -> None:
    (block,) = _blocks("python")
    names: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), names)  # noqa: S102 - the README's own example
    import xlspv

    # by hand, at 10%: 100 funded grows to 110 by 2026-01-01, Japan gets 30 of 60 (80 left), which grows
    # to 88 by 2027-01-01, cleared inside the 200 distributed then: the threshold is the last row.
    assert names["facts"].threshold_date == dt.date(2027, 1, 1)
    assert list(names["table"]["japan"].round(9)) == [0.0, 30.0, 88.0 + 0.1 * (200.0 - 2 * 88.0)]
    # "0.1 (Excel's XIRR)": 1,100 a year after 1,000 is 10% a year
    one_year = [dt.date(2025, 1, 1), dt.date(2026, 1, 1)]
    assert xlspv.xirr([-1000, 1100], one_year) == pytest.approx(0.1, abs=1e-12)


def _synopsis() -> list[str]:
    block = _blocks("sh")[1]  # the first is `make demo` / `make test`
    assert block in _section("The command line")
    return [line.split("#")[0].split() for line in block.strip().splitlines()]


#: Each command of the README's synopsis in its simplest runnable form (no INPUT: the built-in example).
SIMPLEST = {
    "report": ["-q", "-o", "{tmp}/report.xlsx"],
    "template": ["{tmp}/template.xlsx"],
    "portfolio": ["-q", "--no-readings", "-o", "{tmp}/portfolio.xlsx"],
    "summary": [],
    "risk": ["--scenarios", "200", "-q"],
}


def test_every_command_of_the_synopsis_runs_in_its_simplest_form(tmp_path: Path) -> None:
    commands = [words[1] for words in _synopsis()]
    assert all(words[0] == "xlspv" for words in _synopsis())
    assert sorted(commands) == sorted(SIMPLEST)
    for command in commands:
        args = [a.replace("{tmp}", str(tmp_path)) for a in SIMPLEST[command]]
        result = run_cli(command, *args)
        assert result.exit_code == 0, (command, result.output)
    assert {p.name for p in tmp_path.iterdir()} == {"report.xlsx", "template.xlsx", "portfolio.xlsx"}


def test_the_error_line_the_readme_shows_is_the_one_the_command_prints(tmp_path: Path) -> None:
    (shown,) = re.findall(r"```\n(xlspv: error: .*?)\n```", README)
    template = tmp_path / "template.xlsx"
    assert run_cli("template", str(template)).exit_code == 0
    wb = openpyxl.load_workbook(template)
    wb["Inputs"]["B8"] = "abc"  # a value typed as text, as the README's example has it
    wb.save(tmp_path / "spv.xlsx")
    result = run_cli("report", str(tmp_path / "spv.xlsx"), "-q", "-o", str(tmp_path / "out.xlsx"))
    assert result.exit_code == 2
    assert result.stderr == shown + "\n"
