"""The ``xlspv`` command: exit codes, the exact one-line errors, files left as they were, help texts."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import run_cli as run
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.table import Table

from xlspv import __version__
from xlspv.cli import main
from xlspv.examples import spv as example


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def workbook(path: Path, values: list[object] | None = None, *, value_header: str = "Value") -> Path:
    """A filled template in miniature: the Flows table on Inputs, the Terms table on Terms."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws.append(["Date", value_header, "Note"])
    dates = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
    for day, value in zip(dates, values or [-100.0, 60.0, 200.0], strict=True):
        ws.append([day, value, ""])
    ws.add_table(Table(displayName="Flows", ref="A1:C4"))
    terms = wb.create_sheet("Terms")
    terms.append(["Name", "Value"])
    terms.append(["deemed_rate", 0.1])
    terms.add_table(Table(displayName="Terms", ref="A1:B2"))
    wb.save(path)
    return path


def assert_one_line_error(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr == f"xlspv: error: {message}\n"
    assert "Traceback" not in result.output


# --- help and version ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "example_line"),
    [
        ((), "xlspv report my_spv.xlsx -o my_spv_report.xlsx"),
        (("report",), "xlspv report flows.csv --deemed-rate 0.055 --day-count ACT/360 -o out/report.xlsx"),
        (("template",), "xlspv template my_spv.xlsx"),
        (("summary",), "xlspv summary flows.csv --deemed-rate 0.055"),
        (("portfolio",), "xlspv portfolio program.xlsx -o program_report.xlsx"),
    ],
)
def test_every_command_has_help_with_a_verbatim_example(command: tuple[str, ...], example_line: str) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example:\n" in result.output
    assert f"\n      {example_line}\n" in result.output


def test_report_help_lists_every_option() -> None:
    text = run("report", "--help").output
    for option in (
        "--output",
        "--force",
        "--deemed-rate",
        "--day-count",
        "--compounding",
        "--japan-share-before",
        "--japan-share-after",
        "--partner-share",
        "--allocation-basis",
        "--useful-life",
        "--unit",
    ):
        assert option in text


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"xlspv, version {__version__}\n"


# --- xlspv report --------------------------------------------------------------------------------


def test_report_without_input_writes_the_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("report")
    assert result.exit_code == 0, result.output
    assert result.stdout == "xlspv_report.xlsx\n"
    assert "xlspv: using the built-in example" in result.stderr  # progress, on stderr
    assert "xlspv: wrote xlspv_report.xlsx" in result.stderr
    wb = load_workbook(tmp_path / "xlspv_report.xlsx")
    assert wb.sheetnames[:4] == ["Cover", "Inputs", "Terms", "Audit"]
    assert listing(tmp_path) == ["xlspv_report.xlsx"]


def test_report_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"earlier report")
    result = run("report", "-o", str(out), "-q")
    assert_one_line_error(
        result, f"{out}: the file exists; pass --force to replace it, or choose another output path."
    )
    assert out.read_bytes() == b"earlier report"
    assert run("report", "-o", str(out), "--force", "-q").exit_code == 0
    assert zipfile.is_zipfile(out)
    assert listing(tmp_path) == ["r.xlsx"]


def test_report_from_a_workbook_leaves_it_byte_identical(tmp_path: Path) -> None:
    src = workbook(tmp_path / "spv.xlsx")
    before = sha(src)
    result = run("report", str(src), "-o", str(tmp_path / "out.xlsx"), "--compounding", "monthly")
    assert result.exit_code == 0, result.output
    assert sha(src) == before
    cover = {
        r[0].value: r[1].value for r in load_workbook(tmp_path / "out.xlsx")["Cover"].iter_rows(max_col=2)
    }
    assert cover["Input SHA-256"] == before
    assert cover["Input file"] == "spv.xlsx"
    terms = {
        r[0].value: r[1].value for r in load_workbook(tmp_path / "out.xlsx")["Terms"].iter_rows(min_row=6)
    }
    assert terms["compounding"] == "monthly"  # the option replaced the workbook's term


def test_report_from_a_csv_with_terms_as_options(tmp_path: Path) -> None:
    src = tmp_path / "flows.csv"
    src.write_text(
        "date,value,note\n2025-01-01,-100,fund\n2026-01-01,60,\n2027-01-01,200,\n", encoding="utf-8"
    )
    before = sha(src)
    out = tmp_path / "out" / "report.xlsx"
    result = run("report", str(src), "-o", str(out), "--deemed-rate", "10%", "--day-count", "30/360")
    assert result.exit_code == 0, result.output
    assert out.exists() and sha(src) == before
    summary = load_workbook(out)["Summary"]
    assert summary["C6"].value.date() == dt.date(2027, 1, 1)


def test_report_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    src = workbook(tmp_path / "spv.xlsx")
    before = sha(src)
    result = run("report", str(src), "-o", str(src), "--force")
    assert_one_line_error(result, f"{src}: the output would overwrite the input; choose another output path.")
    assert sha(src) == before


def _bad_inputs(tmp: Path) -> list[tuple[Path, str]]:
    text_value = workbook(tmp / "text.xlsx", [-100.0, "sixty", 200.0])
    blank = workbook(tmp / "blank.xlsx", [-100.0, None, 200.0])
    no_column = workbook(tmp / "column.xlsx", value_header="Amount")
    no_sheet = workbook(tmp / "sheet.xlsx")
    wb = load_workbook(no_sheet)
    wb["Inputs"].title = "Data"
    for ws in wb.worksheets:
        for name in list(ws.tables):
            del ws.tables[name]
    wb.save(no_sheet)
    not_xlsx = tmp / "notes.xlsx"
    not_xlsx.write_text("this is not a workbook")
    macro = workbook(tmp / "macro.xlsm")
    return [
        (
            text_value,
            "text.xlsx, sheet Inputs, cell B3: 'sixty' is text, not a number; enter a number "
            "(fundings negative, distributions positive).",
        ),
        (
            blank,
            "blank.xlsx, sheet Inputs, cell B3: the value is blank inside the data; enter 0 or "
            "delete the row.",
        ),
        (
            no_column,
            "column.xlsx, sheet Inputs, table Flows: no 'Value' column in the header (row 1); add a column "
            "headed Value (fundings negative, distributions positive).",
        ),
        (
            no_sheet,
            "sheet.xlsx: no sheet 'Inputs' and no table 'Flows'; use the template (xlspv template) or add a "
            "sheet named Inputs with Date and Value columns.",
        ),
        (
            not_xlsx,
            "notes.xlsx: cannot be read as an .xlsx workbook (it is not an Office Open XML file); open it in "
            "Excel or LibreOffice and save it as .xlsx.",
        ),
        (
            macro,
            "macro.xlsm: macro-enabled workbooks (.xlsm) are refused; save a copy as .xlsx (Excel Workbook) "
            "and give that.",
        ),
    ]


@pytest.mark.parametrize(
    "case", range(6), ids=["text-value", "blank", "no-column", "no-sheet", "not-xlsx", "xlsm"]
)
def test_bad_inputs_get_one_line_exit_2_and_no_output(tmp_path: Path, case: int) -> None:
    src, message = _bad_inputs(tmp_path)[case]
    before = {p.name: sha(p) for p in tmp_path.iterdir()}
    out = tmp_path / "report.xlsx"
    result = run("report", str(src), "-o", str(out), "-q")
    assert_one_line_error(result, message)
    assert {p.name: sha(p) for p in tmp_path.iterdir()} == before  # no output, inputs untouched


def test_a_csv_needs_the_deemed_rate(tmp_path: Path) -> None:
    src = tmp_path / "f.csv"
    src.write_text("date,value\n2025-01-01,-100\n")
    result = run("report", str(src), "-o", str(tmp_path / "r.xlsx"), "-q")
    assert_one_line_error(
        result,
        "f.csv: a CSV file carries no terms; pass --deemed-rate (e.g. --deemed-rate 0.055) and any "
        "other term "
        "as options.",
    )


def test_a_bad_term_option_is_one_line(tmp_path: Path) -> None:
    result = run("report", "-o", str(tmp_path / "r.xlsx"), "--day-count", "ACT/999", "-q")
    assert_one_line_error(
        result, "day_count: 'ACT/999' is not a day count; use one of ACT/365F, ACT/360, 30/360."
    )
    assert listing(tmp_path) == []


def test_a_missing_input_file(tmp_path: Path) -> None:
    result = run("report", str(tmp_path / "nope.csv"), "-q")
    assert_one_line_error(result, f"{tmp_path / 'nope.csv'}: no such file; check the path.")


def test_a_failure_while_saving_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_written(self: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    from xlspv.workbooks.streamed import StreamedWorkbook

    monkeypatch.setattr(Workbook, "save", half_written)
    monkeypatch.setattr(StreamedWorkbook, "save", half_written)  # the report's streamed rows
    out = tmp_path / "r.xlsx"
    result = run("report", "-o", str(out), "-q")
    assert_one_line_error(
        result,
        f"{out}: cannot be written (No space left on device); free space on its disk (or raise the "
        "file-size limit) and run again, or choose another folder.",
    )
    assert listing(tmp_path) == []


# --- xlspv summary and xlspv template ------------------------------------------------------------


def test_summary_of_the_example() -> None:
    result = run("summary")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == example.NAME
    assert "  threshold_date       2041-06-30" in result.output
    # money with its unit, rates in per cent, multiples in x, missing figures as n/a
    assert "  japan_funded         17,000.00 $m" in result.output
    assert "  unrecovered          0.00 $m" in result.output
    assert "  xirr_us              n/a" in result.output
    assert re.search(r"^  xirr_japan +\d+\.\d{4}%$", result.output, re.M)
    assert re.search(r"^  multiple_japan +\d+\.\d\dx$", result.output, re.M)


def test_a_deemed_rate_above_100_percent_without_a_sign_is_refused() -> None:
    result = run("summary", "--deemed-rate", "5")
    assert_one_line_error(
        result,
        "--deemed-rate: 5 would be 500% a year; write the rate as a decimal (0.05) or with a per-cent "
        "sign (5%).",
    )
    assert run("summary", "--deemed-rate", "5%").exit_code == 0


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("r.csv", "the output is an Excel workbook; give a file name ending in .xlsx."),
        (
            "/proc/nope/r.xlsx",
            "cannot create the folder /proc/nope (No such file or directory); choose another output path.",
        ),
    ],
    ids=["not_xlsx", "folder_cannot_be_made"],
)
def test_an_output_that_cannot_be_written_is_said_before_any_work(out: str, message: str) -> None:
    result = run("report", "-q", "-o", out)
    assert_one_line_error(result, f"{out}: {message}")


def test_summary_of_a_csv(tmp_path: Path) -> None:
    src = tmp_path / "f.csv"
    src.write_text("date,value\n2025-01-01,-100\n2026-01-01,60\n2027-01-01,200\n")
    result = run("summary", str(src), "--deemed-rate", "0.1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "f"
    assert "  threshold_date       2027-01-01" in result.output


def test_template_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    result = run("template", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == f"{path}\n"
    before = sha(path)
    assert_one_line_error(
        run("template", str(path)),
        f"{path}: the file exists; pass --force to replace it, or choose another output path.",
    )
    assert sha(path) == before
    assert run("template", str(path), "--force").exit_code == 0
    assert run("report", str(path), "-o", str(tmp_path / "r.xlsx"), "-q").exit_code == 0


# --- portfolio -----------------------------------------------------------------------------------


def test_portfolio_of_the_example_writes_the_program_report(tmp_path: Path) -> None:
    out = tmp_path / "program.xlsx"
    result = CliRunner().invoke(main, ["portfolio", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    names = load_workbook(out, read_only=True).sheetnames
    assert names[0] == "Cover" and names[-1] == "Checks"
    assert {"SPVs", "Program by year", "Cap & deadline", "Flags", "Sectors", "Sensitivity"} <= set(names)


def test_portfolio_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "program.xlsx"
    out.write_bytes(b"keep me")
    result = CliRunner().invoke(main, ["portfolio", "-q", "-o", str(out)])
    assert_one_line_error(
        result, f"{out}: the file exists; pass --force to replace it, or choose another output path."
    )
    assert out.read_bytes() == b"keep me"


def test_portfolio_bad_rates_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["portfolio", "-q", "--rates", "abc", "-o", str(tmp_path / "p.xlsx")])
    assert_one_line_error(result, "--rates: 'abc' is not a list of decimals; give e.g. 0.04,0.05,0.06.")
    assert not (tmp_path / "p.xlsx").exists()


def test_portfolio_csv_folder_needs_a_deemed_rate(tmp_path: Path) -> None:
    (tmp_path / "spvs.csv").write_text(
        "id,name,sector,notice_date,committed\nA,Plant,energy,2026-01-02,100\n", encoding="utf-8"
    )
    (tmp_path / "flows.csv").write_text(
        "spv_id,date,value\nA,2026-03-01,-100\nA,2027-03-01,150\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["portfolio", str(tmp_path), "-q", "-o", str(tmp_path / "p.xlsx")])
    assert_one_line_error(
        result,
        "deemed_rate: required (no default); pass --deemed-rate (e.g. 0.055) or add a Terms sheet "
        "(terms.csv beside spvs.csv) to the input.",
    )
    ok = CliRunner().invoke(
        main, ["portfolio", str(tmp_path), "-q", "--deemed-rate", "0.05", "-o", str(tmp_path / "p.xlsx")]
    )
    assert ok.exit_code == 0, ok.output
