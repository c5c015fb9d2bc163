"""Reading one SPV's inputs: a filled template (xlsx) or a CSV file, with one clear error per problem.

Every error names the file, the sheet and the cell (or the CSV line) and says how to fix it; the input
is never modified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.table import Table

from xlspv import Terms
from xlspv.errors import MacroWorkbookError, SpvInputError, TermsError
from xlspv.workbooks.reader import SpvInput, example_input, read_input

ROWS = [
    (dt.date(2025, 1, 1), -100.0, "Japan funding"),
    (dt.date(2026, 1, 1), 60.0, "First distribution"),
    (dt.date(2027, 1, 1), 200.0, '=HYPERLINK("http://example.com")'),
]


def filled_workbook(
    path: Path,
    rows: list[tuple[object, object, object]] = ROWS,
    *,
    terms: list[tuple[object, ...]] | None = None,
    headers: tuple[str, ...] = ("Date", "Value ($m)", "Note"),
    table: bool = True,
    inputs_sheet: str = "Inputs",
    extra_below: list[tuple[object, object, object]] = (),
) -> Path:
    """A small filled template: the Flows table from row 5 on Inputs and a Terms table."""
    wb = Workbook()
    ws = wb.active
    ws.title = inputs_sheet
    ws["A1"] = "Inputs: the SPV's cash flows"
    for col, header in enumerate(headers, start=1):
        ws.cell(row=5, column=col, value=header)
    for i, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=6 + i, column=col, value=value)
            if headers[col - 1] in ("Note", "Comment") and isinstance(value, str):
                cell.data_type = "s"  # a note that looks like a formula is typed text, as Excel keeps it
    last = 5 + max(len(rows), 1)
    for i, row in enumerate(extra_below):
        for col, value in enumerate(row, start=1):
            ws.cell(row=last + 1 + i, column=col, value=value)
    if table:
        ws.add_table(Table(displayName="Flows", ref=f"A5:{chr(64 + len(headers))}{last}"))
    t = wb.create_sheet("Terms")
    t.append(["Name", "Value", "Effective from", "Explanation"])
    for row in terms if terms is not None else [("deemed_rate", 0.1), ("day_count", "ACT/365F")]:
        t.append(list(row))
    t.add_table(Table(displayName="Terms", ref=f"A1:D{t.max_row}"))
    wb.save(path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- workbooks that read -------------------------------------------------------------------------


def test_reads_the_flows_table_by_header_names(tmp_path: Path) -> None:
    spv = read_input(filled_workbook(tmp_path / "spv.xlsx"))
    assert spv.dates == [d for d, _, _ in ROWS]
    assert spv.values == [-100.0, 60.0, 200.0]
    assert spv.notes == [n for _, _, n in ROWS]
    assert spv.name == "spv"
    assert spv.terms() == Terms(0.1)


def test_columns_in_any_order_and_units_in_headers(tmp_path: Path) -> None:
    rows = [(n, v, d) for d, v, n in ROWS]
    path = filled_workbook(tmp_path / "spv.xlsx", rows, headers=("Comment", "Value, $m", "Date"))
    spv = read_input(path)
    assert spv.values == [-100.0, 60.0, 200.0]
    assert spv.notes[0] == "Japan funding"


def test_rows_typed_just_below_the_table_are_read(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx", extra_below=[(dt.date(2028, 1, 1), 50.0, "late")])
    assert read_input(path).values == [-100.0, 60.0, 200.0, 50.0]


def test_trailing_blank_rows_of_the_table_are_ignored(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx", [*ROWS, (None, None, None), (None, None, "")])
    assert len(read_input(path).values) == 3


def test_without_the_table_the_inputs_sheet_header_is_found(tmp_path: Path) -> None:
    spv = read_input(filled_workbook(tmp_path / "spv.xlsx", table=False))
    assert spv.values == [-100.0, 60.0, 200.0]


def test_excel_serial_dates_are_dates(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx", [(45658, -100.0, ""), (46023, 120.0, "")])
    assert read_input(path).dates == [dt.date(2025, 1, 1), dt.date(2026, 1, 1)]


def test_a_dated_deemed_rate_reads_as_a_schedule(tmp_path: Path) -> None:
    terms = [("deemed_rate", 0.05, dt.date(2025, 1, 1)), ("deemed_rate", 0.06, dt.date(2026, 6, 30))]
    spv = read_input(filled_workbook(tmp_path / "spv.xlsx", terms=terms))
    assert spv.terms().deemed_rate.rates == (0.05, 0.06)


def test_options_replace_the_workbook_terms(tmp_path: Path) -> None:
    spv = read_input(filled_workbook(tmp_path / "spv.xlsx"))
    terms = spv.terms(deemed_rate="5%", compounding="monthly", day_count=None)
    assert (terms.deemed_rate, terms.compounding, terms.day_count) == (0.05, "monthly", "ACT/365F")


def test_reading_leaves_the_input_byte_identical(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx")
    before, stat = sha(path), path.stat().st_mtime_ns
    spv = read_input(path)
    assert sha(path) == before
    assert path.stat().st_mtime_ns == stat
    assert spv.sha256 == before  # taken as read, for the report's Cover


def test_the_committed_template_reads_as_the_example() -> None:
    template = Path(__file__).resolve().parents[1] / "workbooks" / "spv_template.xlsx"
    if not template.exists():
        pytest.skip("workbooks/spv_template.xlsx is not there yet")
    spv, example = read_input(template), example_input()
    assert spv.dates == example.dates
    assert spv.values == example.values
    assert spv.notes == example.notes
    assert spv.terms() == example.terms()


def test_a_freshly_written_template_reads(tmp_path: Path) -> None:
    template = pytest.importorskip("xlspv.workbooks.template")
    path = template.write_template(tmp_path / "t.xlsx")
    assert len(read_input(path).values) == len(example_input().values)


def _template_with_terms(tmp_path: Path, cells: dict[str, object]) -> Path:
    """A fresh template with Terms cells typed over, as a user would."""
    from openpyxl import load_workbook

    from xlspv.workbooks.template import write_template

    path = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(path)
    for ref, value in cells.items():
        wb["Terms"][ref] = value
    wb.save(path)
    return path


def test_a_schedule_typed_in_the_template_reads_back_as_a_schedule(tmp_path: Path) -> None:
    # the template's Terms range is A5:C16: Term | Value | Effective from, with spare rows 13-16;
    # a date typed into an unformatted cell arrives as an Excel serial (46753 = 2028-01-01)
    path = _template_with_terms(
        tmp_path,
        {
            "C5": dt.date(2026, 3, 31),
            "A13": "deemed_rate",
            "B13": 0.07,
            "C13": dt.date(2030, 1, 1),
            "A15": "Deemed rate",
            "B15": "4.5%",
            "C15": 46753,  # row 14 stays blank: skipped
        },
    )
    spv = read_input(path)
    schedule = {dt.date(2026, 3, 31): 0.055, dt.date(2028, 1, 1): 0.045, dt.date(2030, 1, 1): 0.07}
    assert spv.terms() == Terms(schedule)
    assert spv.terms(deemed_rate=0.05).deemed_rate == 0.05  # an option replaces the whole schedule
    assert [row.effective_where for row in spv.term_rows if row.effective is not None] == [
        "sheet Terms, cell C5",
        "sheet Terms, cell C13",
        "sheet Terms, cell C15",
    ]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        pytest.param(
            {"A13": "deemed_rate", "B13": 0.07},
            "t.xlsx, sheet Terms, cell A13: deemed_rate is given twice; keep one row, or give each rate an "
            "effective date in column C to make a schedule.",
            id="deemed-rate-twice-undated",
        ),
        pytest.param(
            {"A13": "deemed_rate", "B13": 0.07, "C13": dt.date(2030, 1, 1)},
            "t.xlsx, sheet Terms, cell C5: deemed_rate: give either one rate or dated rows (rate + effective "
            "date), not both.",
            id="one-rate-dated-one-not",
        ),
        pytest.param(
            {"C5": dt.date(2026, 3, 31), "A13": "deemed_rate", "B13": 0.07, "C13": dt.date(2026, 3, 31)},
            "t.xlsx, sheet Terms, cell B5: deemed_rate: the rate schedule has two rates on 2026-03-31; "
            "keep one.",
            id="two-rates-on-one-date",
        ),
    ],
)
def test_schedule_mistakes_in_the_template_name_the_cell(
    tmp_path: Path, cells: dict[str, object], message: str
) -> None:
    spv = read_input(_template_with_terms(tmp_path, cells))
    with pytest.raises(TermsError) as caught:
        spv.terms()
    assert str(caught.value) == message


def test_another_term_given_twice_keeps_the_short_message(tmp_path: Path) -> None:
    spv = read_input(
        filled_workbook(
            tmp_path / "spv.xlsx",
            terms=[
                ("deemed_rate", 0.1),
                ("day_count", "ACT/360"),
                ("day_count", "ACT/365F"),
            ],
        )
    )
    with pytest.raises(TermsError) as caught:
        spv.terms()
    assert str(caught.value) == "spv.xlsx, sheet Terms, cell A4: day_count is given twice; keep one row."


def test_a_three_column_terms_name_without_headers_reads_the_effective_dates(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.workbook.defined_name import DefinedName

    wb = Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws.append(["Date", "Value"])
    ws.append([dt.date(2025, 1, 1), -100.0])
    ws.append([dt.date(2026, 1, 1), 120.0])
    t = wb.create_sheet("Setup")  # no header row above the named range
    t.append(["deemed_rate", 0.05, dt.date(2025, 1, 1)])
    t.append([None, None, None])
    t.append(["deemed_rate", 0.06, dt.date(2025, 7, 1)])
    wb.defined_names["Terms"] = DefinedName("Terms", attr_text="'Setup'!$A$1:$C$3")
    wb.save(tmp_path / "named.xlsx")
    terms = read_input(tmp_path / "named.xlsx").terms()
    assert terms == Terms({dt.date(2025, 1, 1): 0.05, dt.date(2025, 7, 1): 0.06})


def test_data_typed_below_blank_rows_is_refused_not_dropped(tmp_path: Path) -> None:
    # the spec: a blank in the middle of the data is an error, never a silently shorter schedule
    from openpyxl import load_workbook

    from xlspv.workbooks.template import write_template

    path = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(path)
    table_end = int(wb["Inputs"].tables["Flows"].ref.split(":")[1][1:])
    wb["Inputs"].cell(row=table_end + 7, column=1, value=dt.datetime(2050, 1, 1))
    wb["Inputs"].cell(row=table_end + 7, column=2, value=999.0)
    wb.save(tmp_path / "gap.xlsx")
    with pytest.raises(SpvInputError) as info:
        read_input(tmp_path / "gap.xlsx")
    assert str(info.value) == (
        f"gap.xlsx, sheet Inputs: rows {table_end + 1}-{table_end + 6} are blank inside the data (it goes "
        f"on at row {table_end + 7}); delete the blank rows or fill them in."
    )


# --- workbook errors: one message naming the file, sheet, cell and fix ---------------------------

WORKBOOK_ERRORS = [
    pytest.param(
        {"rows": [(dt.date(2025, 1, 1), -100.0, ""), (dt.date(2026, 1, 1), "abc", "")]},
        "spv.xlsx, sheet Inputs, cell B7: 'abc' is text, not a number; enter a number "
        "(fundings negative, distributions positive).",
        id="text-in-value-cell",
    ),
    pytest.param(
        {
            "rows": [
                (dt.date(2025, 1, 1), -100.0, ""),
                (dt.date(2026, 1, 1), None, ""),
                (dt.date(2027, 1, 1), 9, ""),
            ]
        },
        "spv.xlsx, sheet Inputs, cell B7: the value is blank inside the data; enter 0 or delete the row.",
        id="blank-value-in-the-middle",
    ),
    pytest.param(
        {"rows": [(dt.date(2025, 1, 1), -100.0, ""), (None, 5.0, ""), (dt.date(2027, 1, 1), 9, "")]},
        "spv.xlsx, sheet Inputs, cell A7: the date is blank inside the data; enter the date or "
        "delete the row.",
        id="blank-date-in-the-middle",
    ),
    pytest.param(
        {"rows": [("31/03/2026", -100.0, "")]},
        "spv.xlsx, sheet Inputs, cell A6: '31/03/2026' is text, not a date; enter a real date (type it as "
        "2026-03-31 in a date-formatted cell).",
        id="text-date",
    ),
    pytest.param(
        {"rows": [(dt.date(2025, 1, 1), "#N/A", "")]},
        "spv.xlsx, sheet Inputs, cell B6: holds the error #N/A; fix its formula or enter a number.",
        id="error-value",
    ),
    pytest.param(
        {"rows": [(dt.date(2025, 1, 1), True, "")]},
        "spv.xlsx, sheet Inputs, cell B6: True is not a number; enter a number (fundings negative, "
        "distributions positive).",
        id="boolean-value",
    ),
    pytest.param(
        {"headers": ("Date", "Amount", "Note")},
        "spv.xlsx, sheet Inputs, table Flows: no 'Value' column in the header (row 5); add a column headed "
        "Value (fundings negative, distributions positive).",
        id="missing-value-column",
    ),
    pytest.param(
        {"headers": ("When", "Value", "Note"), "table": False},
        "spv.xlsx, sheet Inputs: no 'Date' column in the header (row 5); add a column headed Date (the date "
        "of each cash flow).",
        id="missing-date-column-no-table",
    ),
    pytest.param(
        {"inputs_sheet": "Flows data", "table": False},
        "spv.xlsx: no sheet 'Inputs' and no table 'Flows'; use the template (xlspv template) or add a sheet "
        "named Inputs with Date and Value columns.",
        id="missing-sheet",
    ),
    pytest.param(
        {"rows": []},
        "spv.xlsx, sheet Inputs, table Flows: no cash flows below the header (row 5); enter at least "
        "one date "
        "and value.",
        id="no-rows",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), WORKBOOK_ERRORS)
def test_workbook_errors_name_the_cell_and_the_fix(tmp_path: Path, kwargs: dict, message: str) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx", **kwargs)
    before = sha(path)
    with pytest.raises(SpvInputError) as caught:
        read_input(path)
    assert str(caught.value) == message
    assert sha(path) == before


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        pytest.param(
            [("deemed_rate", 0.1), ("japan_share_before", 1.5)],
            "spv.xlsx, sheet Terms, cell B3: japan_share_before: 1.5 is outside [0, 1]; enter a "
            "share such as "
            "0.5 (= 50%).",
            id="share-out-of-range",
        ),
        pytest.param(
            [("deemed_rate", 0.1), ("project", "Fab")],
            "spv.xlsx, sheet Terms, cell A3: 'project' is not a term; use one of allocation_basis, "
            "compounding, day_count, deemed_rate, guarantee_fee, japan_share_after, japan_share_before, "
            "partner_share, "
            "useful_life.",
            id="unknown-term",
        ),
        pytest.param(
            [("deemed_rate", None), ("day_count", "ACT/360")],
            "spv.xlsx, sheet Terms, cell B2: deemed_rate: required (no default); add a deemed_rate "
            "row, e.g. 0.05.",
            id="deemed-rate-blank",
        ),
        pytest.param(
            [("deemed_rate", 0.1), ("day_count", "ACT/999")],
            "spv.xlsx, sheet Terms, cell B3: day_count: 'ACT/999' is not a day count; use one of ACT/365F, "
            "ACT/360, 30/360.",
            id="bad-day-count",
        ),
    ],
)
def test_terms_errors_name_the_cell(tmp_path: Path, terms: list, message: str) -> None:
    spv = read_input(filled_workbook(tmp_path / "spv.xlsx", terms=terms))
    with pytest.raises(TermsError) as caught:
        spv.terms()
    assert str(caught.value) == message


def test_a_bad_option_is_named_as_the_option_not_a_cell(tmp_path: Path) -> None:
    spv = read_input(filled_workbook(tmp_path / "spv.xlsx"))
    with pytest.raises(TermsError) as caught:
        spv.terms(day_count="ACT/999")
    assert str(caught.value) == (
        "day_count: 'ACT/999' is not a day count; use one of ACT/365F, ACT/360, 30/360."
    )


def test_a_workbook_without_terms_needs_the_deemed_rate_option(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    del wb["Terms"]
    wb.save(path)
    spv = read_input(path)
    with pytest.raises(TermsError, match=r"^spv.xlsx: no Terms table or sheet; add the Terms sheet"):
        spv.terms()
    assert spv.terms(deemed_rate=0.07).deemed_rate == 0.07


def test_a_formula_without_a_saved_result_is_named(tmp_path: Path) -> None:
    rows = [
        (dt.date(2025, 1, 1), -100.0, ""),
        (dt.date(2026, 1, 1), "=B6*-2", ""),
        (dt.date(2027, 1, 1), 1, ""),
    ]
    path = filled_workbook(tmp_path / "spv.xlsx", rows)
    with pytest.raises(SpvInputError) as caught:
        read_input(path)
    assert str(caught.value) == (
        "spv.xlsx, sheet Inputs, cell B7: holds a formula whose result was never saved; open and save the "
        "file in Excel or LibreOffice, or type the value."
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "spv.xlsx",
            b"date,value\n2025-01-01,-100\n",
            "spv.xlsx: cannot be read as an .xlsx workbook (it is not an Office Open XML file); open "
            "it in Excel "
            "or LibreOffice and save it as .xlsx.",
            id="text-renamed-xlsx",
        ),
        pytest.param(
            "spv.txt",
            b"hello",
            "spv.txt: not an .xlsx workbook or a .csv file; give the filled template (.xlsx) or a "
            "CSV file with "
            "a date,value[,note] header.",
            id="unknown-suffix",
        ),
        pytest.param(
            "spv.xls",
            b"\xd0\xcf\x11\xe0",
            "spv.xls: an Excel 97-2003 workbook (.xls) cannot be read; save it as .xlsx.",
            id="xls",
        ),
    ],
)
def test_files_that_are_not_workbooks(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SpvInputError) as caught:
        read_input(path)
    assert str(caught.value) == message


def test_a_damaged_package_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "spv.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("xl/workbook.xml", "<not-xml")
    with pytest.raises(SpvInputError, match=r"^spv.xlsx: cannot be read as an .xlsx workbook \("):
        read_input(path)


def test_macro_enabled_workbooks_are_refused_by_suffix(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx").rename(tmp_path / "spv.xlsm")
    with pytest.raises(MacroWorkbookError) as caught:
        read_input(path)
    assert str(caught.value) == (
        "spv.xlsm: macro-enabled workbooks (.xlsm) are refused; save a copy as .xlsx (Excel Workbook) and "
        "give that."
    )


def test_a_package_carrying_vba_is_refused_whatever_its_name(tmp_path: Path) -> None:
    path = filled_workbook(tmp_path / "spv.xlsx")
    with zipfile.ZipFile(path, "a") as package:
        package.writestr("xl/vbaProject.bin", b"\x00VBA")
    before = sha(path)
    with pytest.raises(MacroWorkbookError) as caught:
        read_input(path)
    assert str(caught.value) == (
        "spv.xlsx: the workbook contains macros (vbaProject.bin) and is refused; save a copy as .xlsx "
        "(Excel Workbook, no macros) and give that."
    )
    assert sha(path) == before


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpvInputError, match=r"nope.xlsx: no such file; check the path.$"):
        read_input(tmp_path / "nope.xlsx")


# --- CSV -----------------------------------------------------------------------------------------


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_reads_a_csv_with_a_bom_and_notes(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "f.csv", "Date,Value,Note\n2025-01-01,-100,fund\n2026-01-01,60,\n\n", "utf-8-sig"
    )
    spv = read_input(path)
    assert (spv.dates, spv.values, spv.notes) == (
        [dt.date(2025, 1, 1), dt.date(2026, 1, 1)],
        [-100.0, 60.0],
        ["fund", ""],
    )
    assert spv.terms(deemed_rate="0.1") == Terms(0.1)


def test_a_csv_without_the_deemed_rate_says_which_option(tmp_path: Path) -> None:
    spv = read_input(write_csv(tmp_path / "f.csv", "date,value\n2025-01-01,-100\n"))
    with pytest.raises(TermsError) as caught:
        spv.terms()
    assert str(caught.value) == (
        "f.csv: a CSV file carries no terms; pass --deemed-rate (e.g. --deemed-rate 0.055) and any "
        "other term "
        "as options."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "date,value\n2025-01-01,-100\n2026-01-01,abc\n",
            "f.csv, line 3, column value: 'abc' is not a number; write a plain number such as -1500 or 200.5 "
            "(no thousands separators or currency signs).",
            id="text-value",
        ),
        pytest.param(
            "date,value\n2025-01-01,-100\n2026-01-01,\n2027-01-01,5\n",
            "f.csv, line 3, column value: blank inside the data; enter 0 or delete the line.",
            id="blank-in-the-middle",
        ),
        pytest.param(
            "date,value\n01/02/2025,-100\n",
            "f.csv, line 2, column date: '01/02/2025' is not a date; write dates as YYYY-MM-DD, e.g. "
            "2026-03-31.",
            id="bad-date",
        ),
        pytest.param(
            "when,amount\n2025-01-01,-100\n",
            "f.csv, line 1: the header must name the columns date,value[,note] (found "
            "'when,amount'); put that "
            "header on the first line.",
            id="bad-header",
        ),
        pytest.param(
            "date,value\n",
            "f.csv: no cash flows below the header; add one date,value line per cash flow.",
            id="no-rows",
        ),
        pytest.param(
            "date,value\n2025-01-01,nan\n",
            "f.csv, line 2, column value: 'nan' is not a finite number; enter a number.",
            id="nan",
        ),
    ],
)
def test_csv_errors_name_the_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = write_csv(tmp_path / "f.csv", text)
    with pytest.raises(SpvInputError) as caught:
        read_input(path)
    assert str(caught.value) == message


def test_a_binary_csv_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82")
    with pytest.raises(SpvInputError, match=r"^f.csv: not a UTF-8 text file; save the CSV as UTF-8 text.$"):
        read_input(path)


def test_the_example_input_is_the_built_in_example() -> None:
    from xlspv.examples import spv as example

    spv = example_input()
    assert isinstance(spv, SpvInput)
    assert spv.source is None
    assert spv.values == example.values()
    assert spv.terms() == example.TERMS


def test_a_renamed_macro_workbook_is_refused_by_its_content_types(tmp_path: Path) -> None:
    # an .xlsm saved under .xlsx without its VBA part still declares itself macro-enabled
    plain = filled_workbook(tmp_path / "plain.xlsx")
    renamed = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(renamed, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
            dst.writestr(item, data)
    with pytest.raises(MacroWorkbookError) as info:
        read_input(renamed)
    assert str(info.value) == (
        "renamed.xlsx: the workbook is macro-enabled ([Content_Types].xml declares macro content) and is "
        "refused; save a copy as .xlsx (Excel Workbook, no macros) and give that."
    )
