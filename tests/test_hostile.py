"""Hostile and careless input at the file boundary (issue 13): one clear line, nothing left behind.

Each CLI case asserts: exit status 2, the exact first line on stderr, nothing on stdout, no output and
no temporary file in the output folder, the input folder byte for byte as it was, and a time bound.
The zip bombs run in a child process under a 1 GiB address-space limit (``resource.setrlimit``), so a
regression fails the test instead of exhausting the machine. Fixtures are built here, never stored.

The cell rules (``xlspv.cells``, ``xlspv.terms.parse_rate``: one number rule, one rate rule, one date
rule, no control characters) are pinned on every surface by the same kind of table: the command line
(CSV files, filled templates, portfolio folders and workbooks, options), the Python API (error class
and message) and the Excel functions through xlwings's own call path (the ``#VALUE!`` text)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import test_udfs
from click.testing import CliRunner

import xlspv
from xlspv.cli import main
from xlspv.errors import GridLimitError, InputLimitError, SpvInputError, TermsError
from xlspv.workbooks import files, package
from xlspv.workbooks.files import OutputError, save_workbook, write_atomically
from xlspv.workbooks.package import PackageLimits, check_grid, check_package_sizes
from xlspv.workbooks.reader import read_input, read_workbook

GiB = 1 << 30
MiB = 1 << 20
ROOT = Path(__file__).resolve().parents[1]

# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A filled template and a portfolio workbook, both valid, to mutate."""
    from xlspv.examples import portfolio as example_portfolio
    from xlspv.workbooks.portfolio_writer import save_inputs
    from xlspv.workbooks.template import write_template

    folder = tmp_path_factory.mktemp("bases")
    write_template(folder / "template.xlsx")
    save_inputs(example_portfolio.portfolio(), folder / "portfolio.xlsx")
    return {"template": folder / "template.xlsx", "portfolio": folder / "portfolio.xlsx"}


def rezip(src: Path, dst: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """Copy a package part by part, passing each part's bytes through ``change``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)))
    return dst


def _body(data: bytes) -> bytes:
    return data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def hostile_xml(kind: str) -> Callable[[str, bytes], bytes]:
    """A part mutation: the first sheet cut in half, or a DTD put before a part's root element."""

    def change(name: str, data: bytes) -> bytes:
        if kind == "truncated" and name == "xl/worksheets/sheet1.xml":
            return data[: len(data) // 2]
        if kind == "laughs" and name == "xl/worksheets/sheet1.xml":
            return LAUGHS + _body(data).replace(
                b"</sheetData>",
                b"<row r='999'><c r='A999' t='inlineStr'><is><t>&lol9;</t></is></c></row></sheetData>",
                1,
            )
        if kind == "external-entity" and name == "xl/workbook.xml":
            return XXE + _body(data)
        if kind == "laughs-workbook" and name == "xl/workbook.xml":
            return LAUGHS + _body(data)
        return data

    return change


SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'  # noqa: E501
ROW = b'<row><c t="n"><v>0</v></c><c t="n"><v>0</v></c></row>'


CONTENT_TYPES = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
WORKBOOK = b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'


class _Precompressed:
    """Stands in for zipfile's compressor: emits a deflate stream prepared once, whatever it is given.

    Deflating 4 GB takes a minute; a block of 16 MiB of rows deflated once with a full flush is
    byte-aligned and self-contained, so repeating its compressed bytes inflates to the rows repeated.
    """

    def __init__(self, segment: bytes, tail: bytes) -> None:
        self.segment, self.tail = segment, tail

    def compress(self, data: bytes) -> bytes:
        return self.segment

    def flush(self) -> bytes:
        return self.tail


def bomb(path: Path, *, inflated: int, declared_only: int | None = None, base: Path | None = None) -> Path:
    """A workbook package whose first sheet inflates to ``inflated`` bytes (about 900 to 1).

    The CRC and sizes written are those of the real inflated bytes, so the package is valid: read to
    the end, it really is ``inflated`` bytes. With ``declared_only``, the zip directory declares only
    that many bytes (the first block's worth) while the stream still inflates to ``inflated``. With
    ``base``, every other part is copied from that valid workbook, so only the sheet's size is wrong.
    """
    block = SHEET_HEAD + b" " * (16 * MiB - len(SHEET_HEAD))
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    filler_block = (ROW + b" " * (16 * 1024 - len(ROW))) * 1024  # 16 MiB: a row every 16 KiB
    filler = zlib.compressobj(9, zlib.DEFLATED, -15)
    filler_segment = filler.compress(filler_block) + filler.flush(zlib.Z_FULL_FLUSH)
    end = b"</sheetData></worksheet>"
    tail_c = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail_c.compress(end) + tail_c.flush()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if base is None:
            z.writestr("[Content_Types].xml", CONTENT_TYPES)
            z.writestr("xl/workbook.xml", WORKBOOK)
        else:
            with zipfile.ZipFile(base) as valid:
                for name in valid.namelist():
                    if name != "xl/worksheets/sheet1.xml":
                        z.writestr(name, valid.read(name))
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as part:
            part._compressor = _Precompressed(segment, b"")  # type: ignore[attr-defined]
            part.write(block)
            if declared_only is None:
                part._compressor = _Precompressed(filler_segment, tail)  # type: ignore[attr-defined]
                for _ in range(inflated // (16 * MiB) - 1):
                    part.write(filler_block)
                part._compressor = _Precompressed(b"", tail)  # type: ignore[attr-defined]
                part.write(end)
            else:  # declare one block; the stream goes on for `inflated` bytes
                part._compressor = _Precompressed(filler_segment * (inflated // (16 * MiB)), tail)  # type: ignore[attr-defined]  # noqa: E501
                part.write(b"")
    return path


# --- the CLI cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile input: ``make(folder, bases)`` builds it and returns the command's arguments."""

    id: str
    make: Callable[[Path, dict[str, Path]], list[str]]
    line: str  # the exact first line on stderr; "{in}" is the input folder, "<n>" any number


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def _sparse(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


def _many_parts(folder: Path, _: dict[str, Path]) -> list[str]:
    path = folder / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(10_001):
            z.writestr(f"xl/p{i}.xml", "")
    return ["report", str(path)]


def _ratio(folder: Path, _: dict[str, Path]) -> list[str]:
    path = folder / "ratio.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + b" " * (40 * MiB) + b"</sheetData></worksheet>")
    return ["report", str(path)]


def _last_row(folder: Path, _: dict[str, Path]) -> list[str]:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws.append(["Date", "Value"])
    ws.append([dt.date(2025, 1, 1), -100])
    ws.append([dt.date(2026, 1, 1), 220])
    ws.cell(row=1_048_576, column=1, value=dt.date(2027, 1, 1))
    ws.cell(row=1_048_576, column=2, value=5)
    wb.save(folder / "last.xlsx")
    return ["summary", str(folder / "last.xlsx"), "--deemed-rate", "0.05"]


def _portfolio_folder_fifo(folder: Path, _: dict[str, Path]) -> list[str]:
    (folder / "spvs.csv").write_text("spv_id,name,sector,committed\nA,a,Energy,10\n")
    _fifo(folder, "flows.csv")
    return ["portfolio", str(folder)]


def _mutated(command: str, base: str, kind: str) -> Callable[[Path, dict[str, Path]], list[str]]:
    return lambda d, b: [command, str(rezip(b[base], d / f"{kind}.xlsx", hostile_xml(kind)))]


NOT_REGULAR = "is not a regular file (a device, pipe or socket) and is not read; give an .xlsx or .csv file."
XML_FIX = "open it in Excel or LibreOffice and save it again as .xlsx."
DTD = "declares a DTD, entity definitions, which Office Open XML forbids); open it in Excel and save a copy as .xlsx."  # noqa: E501

CASES = [
    Case("report-dev-zero", lambda d, b: ["report", "/dev/zero"], f"/dev/zero: {NOT_REGULAR}"),
    Case("summary-dev-zero", lambda d, b: ["summary", "/dev/zero"], f"/dev/zero: {NOT_REGULAR}"),
    Case("portfolio-dev-zero", lambda d, b: ["portfolio", "/dev/zero"], f"/dev/zero: {NOT_REGULAR}"),
    Case(
        "summary-fifo-csv", lambda d, b: ["summary", str(_fifo(d, "f.csv"))], f"{{in}}/f.csv: {NOT_REGULAR}"
    ),
    Case(
        "report-fifo-xlsx", lambda d, b: ["report", str(_fifo(d, "f.xlsx"))], f"{{in}}/f.xlsx: {NOT_REGULAR}"
    ),
    Case(
        "report-symlink-to-dev-zero",
        lambda d, b: (os.symlink("/dev/zero", d / "z.xlsx"), ["report", str(d / "z.xlsx")])[1],
        f"{{in}}/z.xlsx: {NOT_REGULAR}",
    ),
    Case(
        "portfolio-fifo-xlsx",
        lambda d, b: ["portfolio", str(_fifo(d, "p.xlsx"))],
        f"{{in}}/p.xlsx: {NOT_REGULAR}",
    ),
    Case("portfolio-folder-fifo-flows", _portfolio_folder_fifo, f"{{in}}/flows.csv: {NOT_REGULAR}"),
    Case(
        "report-oversized-csv",
        lambda d, b: ["report", str(_sparse(d, "big.csv", 300 * MiB))],
        "big.csv: is 300 MiB, over xlspv's limit of 256 MiB for an input file; split the data or remove what "
        "the model does not read.",
    ),
    Case(
        "portfolio-oversized-xlsx",
        lambda d, b: ["portfolio", str(_sparse(d, "big.xlsx", 257 * MiB))],
        "big.xlsx: is 257 MiB, over xlspv's limit of 256 MiB for an input file; split the data or remove what "  # noqa: E501
        "the model does not read.",
    ),
    Case(
        "report-10001-parts",
        _many_parts,
        "parts.xlsx: the package holds 10,002 parts, over xlspv's limit of 10,000; the file is not a workbook "  # noqa: E501
        "xlspv can read; open it in Excel and save a copy as .xlsx.",
    ),
    Case(
        "report-compressed-1000-to-1",
        _ratio,
        "ratio.xlsx: part xl/worksheets/sheet1.xml would inflate <n> times (to 40.0 MiB), over xlspv's limit of "  # noqa: E501
        "100 times for a part over 16 MiB; the file is not a workbook xlspv can read; open it in Excel and save "  # noqa: E501
        "a copy as .xlsx.",
    ),
    *[
        Case(
            f"{command}-{kind}",
            _mutated(command, base, kind),
            line,
        )
        for command, base in (("report", "template"), ("portfolio", "portfolio"))
        for kind, line in (
            (
                "truncated",
                "truncated.xlsx: cannot be read as an .xlsx workbook (part xl/worksheets/sheet1.xml is not "
                "well-formed XML: <w> at line 1, column <n>; damaged or cut short); " + XML_FIX,
            ),
            (
                "laughs",
                "laughs.xlsx: cannot be read as an .xlsx workbook (part xl/worksheets/sheet1.xml " + DTD,
            ),
            (
                "external-entity",
                "external-entity.xlsx: cannot be read as an .xlsx workbook (part xl/workbook.xml " + DTD,
            ),
            (
                "laughs-workbook",
                "laughs-workbook.xlsx: cannot be read as an .xlsx workbook (part xl/workbook.xml " + DTD,
            ),
        )
    ],
    Case(
        "summary-value-at-last-row",
        _last_row,
        "last.xlsx, sheet Inputs, cell A4: the date is blank inside the data; enter the date or delete the row.",  # noqa: E501
    ),
    Case(
        "portfolio-rates-past-column-XFD",
        lambda d, b: ["portfolio", "--rates", ",".join(f"{0.0001 * i:.4f}" for i in range(16_500))],
        "--rates: the sheet would need 16,502 columns, over Excel's 16,384 (column XFD); give fewer values.",
    ),
    Case(
        "template-exists-without-force",
        lambda d, b: ["template", str(b["template"])],
        "<path>: the file exists; pass --force to replace it, or choose another output path.",
    ),
]


# --- the cell rules on the command line (one number, one rate, one date, no control characters) --------


def _csv(name: str, text: str, *args: str) -> Callable[[Path, dict[str, Path]], list[str]]:
    """A CSV input written as ``text``, given to ``args[0]`` with the rest of ``args`` after it."""

    def make(folder: Path, _: dict[str, Path]) -> list[str]:
        (folder / name).write_text(text, newline="")
        return [args[0], str(folder / name), *args[1:]]

    return make


def _cell(base: str, sheet: str, cell: str, value: object, *args: str) -> Callable[..., list[str]]:
    """A valid workbook (``base``) with one cell replaced, given to ``args[0]`` with ``args[1:]``."""

    def make(folder: Path, bases: dict[str, Path]) -> list[str]:
        import openpyxl

        wb = openpyxl.load_workbook(bases[base])
        wb[sheet][cell].value = value  # the cell keeps its number format (a date cell stays a date)
        wb.save(folder / f"{base}.xlsx")
        return [args[0], str(folder / f"{base}.xlsx"), *args[1:]]

    return make


def _portfolio_csv(spvs: str, flows: str, *args: str) -> Callable[[Path, dict[str, Path]], list[str]]:
    """A portfolio folder: spvs.csv and flows.csv after their headers."""

    def make(folder: Path, _: dict[str, Path]) -> list[str]:
        (folder / "spvs.csv").write_text(
            "spv_id,name,sector,notice_date,committed,deemed_rate\n" + spvs, newline=""
        )
        (folder / "flows.csv").write_text("spv_id,date,value\n" + flows, newline="")
        return ["portfolio", str(folder), "--deemed-rate", "0.05", *args]

    return make


RATE_5 = "5 would be 500% a year; write the rate as a decimal (0.05) or with a per-cent sign (5%)."
DATE_RANGE = "is outside Excel's date range (1 March 1900 to 31 December 9999); enter a real date."
FLOWS = "2025-01-01,-100\n2026-01-01,220\n"
SPV_A = "A,Alpha,Energy,2025-01-01,100,0.05\n"
FLOWS_A = "A,2025-03-01,-100\nA,2026-03-01,220\n"

CELL_CASES = [
    Case(
        "summary-deemed-rate-decimal-comma",
        lambda d, b: ["summary", "--deemed-rate", "0,055"],
        "--deemed-rate: '0,055' is ambiguous: write 0.055 or 5.5%.",
    ),
    Case(
        "report-deemed-rate-decimal-comma",
        lambda d, b: ["report", "--deemed-rate", "0,055"],
        "--deemed-rate: '0,055' is ambiguous: write 0.055 or 5.5%.",
    ),
    Case(
        "summary-deemed-rate-bare-5",
        lambda d, b: ["summary", "--deemed-rate", "5"],
        f"--deemed-rate: {RATE_5}",
    ),
    Case(
        "summary-deemed-rate-per-cent-with-comma",
        lambda d, b: ["summary", "--deemed-rate", "5,5%"],
        "--deemed-rate: '5,5%' is ambiguous: write 5.5% or 0.055.",
    ),
    Case(
        "portfolio-rates-0,1",  # one number with a decimal comma, or the two rates 0 and 1? refused
        lambda d, b: ["portfolio", "--rates", "0,1"],
        "--rates: '0,1' is ambiguous: the comma separates values here; write decimals with a point (e.g. "
        "0.055, or 5.5% for a rate) and separate values with commas.",
    ),
    Case(
        "summary-csv-value-grouped-with-decimal-comma",
        _csv(
            "g.csv", 'date,value\n2025-01-01,-100\n2026-01-01,"1.234,5"\n', "summary", "--deemed-rate", "0.05"
        ),
        "g.csv, line 3, column value: '1.234,5' is ambiguous: write 1234.5.",
    ),
    Case(
        "report-csv-value-decimal-comma",
        _csv("c.csv", 'date,value\n2025-01-01,-100\n2026-01-01,"1,5"\n', "report", "--deemed-rate", "0.05"),
        "c.csv, line 3, column value: '1,5' is ambiguous: write 1.5.",
    ),
    Case(
        "summary-csv-value-comma-thousands-or-decimal",
        _csv(
            "t.csv", 'date,value\n2025-01-01,-100\n2026-01-01,"1,234"\n', "summary", "--deemed-rate", "0.05"
        ),
        "t.csv, line 3, column value: '1,234' is ambiguous: write 1234 or 1.234.",
    ),
    Case(
        "summary-csv-row-with-more-fields-than-header",
        _csv("x.csv", "date,value\n2025-01-01,-100,5\n2026-01-01,220\n", "summary", "--deemed-rate", "0.05"),
        "x.csv, line 2: column 3 holds '5' but has no column name (the header, line 1, has 2); name the "
        "column or clear it.",
    ),
    Case(
        "report-csv-row-with-more-fields-than-header",
        _csv("x.csv", "date,value\n2025-01-01,-100\n2026-01-01,220,,7\n", "report", "--deemed-rate", "0.05"),
        "x.csv, line 3: column 4 holds '7' but has no column name (the header, line 1, has 2); name the "
        "column or clear it.",
    ),
    Case(
        "summary-csv-date-1899-12-31",
        _csv("d.csv", "date,value\n1899-12-31,-100\n2026-01-01,220\n", "summary", "--deemed-rate", "0.05"),
        f"d.csv, line 2, column date: '1899-12-31' {DATE_RANGE}",
    ),
    Case(
        "report-csv-date-29-february-1900",
        _csv("d.csv", "date,value\n1900-02-29,-100\n2026-01-01,220\n", "report", "--deemed-rate", "0.05"),
        "d.csv, line 2, column date: '1900-02-29' is not a date; write dates as YYYY-MM-DD, e.g. 2026-03-31.",
    ),
    Case(
        "report-csv-note-bell-character",
        _csv(
            "n.csv",
            "date,value,note\n2025-01-01,-100,fund\x07ing\n2026-01-01,220,ok\n",
            "report",
            "--deemed-rate",
            "0.05",
        ),
        "n.csv, line 2, column note: remove the control character U+0007 from the text 'fund\\x07ing'.",
    ),
    Case(
        "report-template-terms-deemed-rate-text-0,055",
        _cell("template", "Terms", "B5", "0,055", "report"),
        "template.xlsx, sheet Terms, cell B5: deemed_rate: '0,055' is ambiguous: write 0.055 or 5.5%.",
    ),
    Case(
        "summary-template-terms-deemed-rate-number-5",
        _cell("template", "Terms", "B5", 5, "summary"),
        f"template.xlsx, sheet Terms, cell B5: deemed_rate: {RATE_5}",
    ),
    Case(
        "report-template-date-cell-serial-59",
        _cell("template", "Inputs", "A6", 59, "report"),
        f"template.xlsx, sheet Inputs, cell A6: 1900-02-28 {DATE_RANGE}",
    ),
    Case(
        "report-template-value-text-with-decimal-comma",
        _cell("template", "Inputs", "B6", "-1.500,0", "report"),
        "template.xlsx, sheet Inputs, cell B6: '-1.500,0' is text, not a number; enter a number (fundings "
        "negative, distributions positive).",
    ),
    Case(
        "report-template-note-escaped-bell",  # how Excel stores U+0007 in a cell's XML
        _cell("template", "Inputs", "C6", "fund_x0007_ing", "report"),
        "template.xlsx, sheet Inputs, cell C6: remove the control character U+0007 from the text "
        "'fund_x0007_ing'.",
    ),
    Case(
        "portfolio-csv-spv-deemed-rate-bare-5",
        _portfolio_csv(SPV_A.replace("0.05", "5"), FLOWS_A),
        f"spvs.csv, line 2 (SPV 'A'): deemed_rate: {RATE_5}",
    ),
    Case(
        "portfolio-csv-spv-deemed-rate-decimal-comma",
        _portfolio_csv(SPV_A.replace("0.05", '"0,05"'), FLOWS_A),
        "spvs.csv, line 2 (SPV 'A'): deemed_rate: '0,05' is ambiguous: write 0.05 or 5%.",
    ),
    Case(
        "portfolio-csv-spv-name-escape-character",
        _portfolio_csv(SPV_A.replace("Alpha", "Al\x1bpha"), FLOWS_A),
        "spvs.csv, line 2, column name: remove the control character U+001B from the text 'Al\\x1bpha'.",
    ),
    Case(
        "portfolio-csv-flows-row-with-more-fields-than-header",
        _portfolio_csv(SPV_A, "A,2025-03-01,-100,7\nA,2026-03-01,220\n"),
        "flows.csv, line 2: column 4 holds '7' but has no column name; name the column or clear it.",
    ),
    Case(
        "portfolio-csv-flows-date-1899-12-31",
        _portfolio_csv(SPV_A, "A,2025-03-01,-100\nA,1899-12-31,220\n"),
        f"flows.csv, line 3, column date: '1899-12-31' {DATE_RANGE}",
    ),
    Case(
        "portfolio-csv-flows-value-decimal-comma",
        _portfolio_csv(SPV_A, 'A,2025-03-01,-100\nA,2026-03-01,"2,20"\n'),
        "flows.csv, line 3, column value: '2,20' is ambiguous: write 2.2.",
    ),
    Case(
        "portfolio-xlsx-terms-deemed-rate-number-5",
        _cell("portfolio", "Terms", "B2", 5, "portfolio"),
        f"portfolio.xlsx, sheet Terms: deemed_rate: {RATE_5}",
    ),
    Case(
        "portfolio-xlsx-spv-deemed-rate-text-0,055",
        _cell("portfolio", "SPVs", "F2", "0,055", "portfolio"),
        "portfolio.xlsx, sheet SPVs, row 2 (SPV 'OH-GAS'): deemed_rate: '0,055' is ambiguous: write 0.055 "
        "or 5.5%.",
    ),
    Case(
        "portfolio-xlsx-flows-date-cell-serial-59",
        _cell("portfolio", "Flows", "B2", 59, "portfolio"),
        f"portfolio.xlsx, sheet Flows, row 2, column date: 1900-02-28 {DATE_RANGE}",
    ),
    Case(
        "portfolio-xlsx-spv-name-escaped-escape",
        _cell("portfolio", "SPVs", "B2", "Ohio_x001B_", "portfolio"),
        "portfolio.xlsx, sheet SPVs, row 2, column name: remove the control character U+001B from the text "
        "'Ohio\\x1b'.",
    ),
]


CASES += CELL_CASES


def _snapshot(folder: Path) -> dict[str, str]:
    """Every entry of a folder: a regular file's hash, else its kind (FIFOs are never opened)."""
    seen = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or not entry.is_file():
            seen[entry.name] = "other"
        elif entry.stat().st_size > 64 * MiB:  # the sparse oversized inputs: not worth reading
            seen[entry.name] = f"{entry.stat().st_size} {entry.stat().st_mtime_ns}"
        else:
            seen[entry.name] = hashlib.sha256(entry.read_bytes()).hexdigest()
    return seen


def _pattern(line: str, folder: Path) -> str:
    text = re.escape(line.replace("{in}", str(folder)))
    return text.replace("<n>", r"[0-9,.]+").replace("<w>", r"[a-z ]+").replace("<path>", r"\S+")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_gets_one_line_and_leaves_nothing(
    case: Case, bases: dict[str, Path], tmp_path: Path
) -> None:
    given, out = tmp_path / "in", tmp_path / "out"
    given.mkdir()
    out.mkdir()
    args = case.make(given, bases)
    if args[0] in ("report", "portfolio"):
        args += ["-o", str(out / "result.xlsx"), "-q"]
    before, base_before = _snapshot(given), _snapshot(bases["template"].parent)
    started = time.perf_counter()
    result = CliRunner().invoke(main, args)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 2, (result.output, result.exception)
    first = result.stderr.splitlines()[0]
    assert re.fullmatch("xlspv: error: " + _pattern(case.line, given), first), first
    assert result.stdout == ""
    assert list(out.iterdir()) == []  # no output, no temporary file
    assert _snapshot(given) == before
    assert _snapshot(bases["template"].parent) == base_before
    assert elapsed < 60


# --- zip bombs, in a child process under a memory limit -----------------------------------------------


def _run_limited(
    args: list[str], cwd: Path, limit: int = GiB, timeout: float = 120
) -> tuple[int, str, float, int]:
    """Run the CLI in a child limited to ``limit`` bytes of address space: (status, stderr, seconds, peak KiB)."""  # noqa: E501

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.perf_counter()
    with open(cwd / "stderr.txt", "wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "xlspv.cli", *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=limit_memory,
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, (cwd / "stderr.txt").read_text(), time.perf_counter() - started, usage.ru_maxrss


@pytest.fixture(scope="module")
def bomb_4gb(tmp_path_factory: pytest.TempPathFactory, bases: dict[str, Path]) -> Path:
    """The portfolio workbook with its first sheet (SPVs) inflating to 4 GB: valid but for the size."""
    folder = tmp_path_factory.mktemp("bomb")
    path = bomb(folder / "bomb.xlsx", inflated=4 * GiB, base=bases["portfolio"])
    assert path.stat().st_size < 6 * 10**6  # a 5 MB file ...
    with zipfile.ZipFile(path) as z:  # ... whose sheet inflates to 4 GB
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 4 * 10**9
    return path


@pytest.mark.parametrize("command", ["report", "portfolio"])
def test_zip_bomb_is_refused_within_seconds_in_bounded_memory(
    command: str, bomb_4gb: Path, tmp_path: Path
) -> None:
    before = _snapshot(bomb_4gb.parent)
    status, err, seconds, peak_kib = _run_limited(
        [command, str(bomb_4gb), "-o", str(tmp_path / "out.xlsx"), "-q"], tmp_path
    )
    assert status == 2, err
    assert err.splitlines()[0] == (
        "xlspv: error: bomb.xlsx: part xl/worksheets/sheet1.xml would inflate to 4.0 GiB, over xlspv's limit "
        "of 512 MiB a part; the file is not a workbook xlspv can read; open it in Excel and save a copy as .xlsx."  # noqa: E501
    )
    assert seconds < 30 and peak_kib < GiB // 1024
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stderr.txt"]
    assert _snapshot(bomb_4gb.parent) == before


def test_a_package_whose_stream_outgrows_its_declared_size_is_refused_as_damaged(tmp_path: Path) -> None:
    """zipfile stops a part at its declared size, so the sheet reads cut short: refused, memory flat."""
    path = bomb(tmp_path / "liar.xlsx", inflated=4 * GiB, declared_only=16 * MiB)
    status, err, seconds, peak_kib = _run_limited(["summary", str(path), "--deemed-rate", "0.05"], tmp_path)
    assert status == 2, err
    assert re.fullmatch(
        r"xlspv: error: liar.xlsx: cannot be read as an .xlsx workbook \(part xl/worksheets/sheet1.xml is not "  # noqa: E501
        r"well-formed XML: no element found at line 1, column \d+; damaged or cut short\); "
        + re.escape(XML_FIX),
        err.splitlines()[0],
    )
    assert seconds < 30 and peak_kib < GiB // 1024


# --- the Python API -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (
            PackageLimits(part_inflated=1000),
            r"^p.xlsx: part xl/big.xml would inflate to 2.0 KiB, over xlspv's limit of 1000 bytes a part; ",
        ),
        (
            PackageLimits(total_inflated=3000),
            r"^p.xlsx: the package would inflate to 3.8 KiB, over xlspv's limit of 2.9 KiB; ",
        ),
        (PackageLimits(parts=2), r"^p.xlsx: the package holds 3 parts, over xlspv's limit of 2; "),
        (
            PackageLimits(ratio=10, ratio_from=1000),
            r"^p.xlsx: part xl/big.xml would inflate [0-9]+ times \(to 2.0 KiB\), over xlspv's limit of 10 times for a part over 1000 bytes; ",  # noqa: E501
        ),
    ],
    ids=["part", "total", "parts", "ratio"],
)
def test_each_package_limit_names_itself(
    limits: PackageLimits, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "LIMITS", limits)
    path = tmp_path / "p.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/big.xml", " " * 2000)
        z.writestr("xl/mid.xml", " " * 1900)
    with zipfile.ZipFile(path) as z, pytest.raises(InputLimitError, match=expected):
        check_package_sizes(z, "p.xlsx")


def test_limits_a_real_sheet_never_meets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet of numbers written by openpyxl compresses about 15 to 1, far from the 100 to 1 limit.

    (Measured on 200,000 rows x 5 columns: 36.7 MB of XML in 2.4 MB, 15.1 to 1; here 20,000 rows with
    the ratio rule applied from 1 MiB, to keep the test fast.)
    """
    import openpyxl

    monkeypatch.setattr(package, "LIMITS", PackageLimits(ratio_from=MiB))
    wb = openpyxl.Workbook()
    for _ in range(20_000):
        wb.active.append([0, 0, 0, 0, 0])
    wb.save(tmp_path / "big.xlsx")
    with zipfile.ZipFile(tmp_path / "big.xlsx") as z:
        check_package_sizes(z, "big.xlsx")
        info = z.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size > MiB  # the ratio rule applies to it, and passes
        assert info.file_size / info.compress_size < package.LIMITS.ratio / 4


def test_read_input_refuses_a_pipe_before_opening_it(tmp_path: Path) -> None:
    with pytest.raises(InputLimitError, match=r"f.csv: is not a regular file"):
        read_input(_fifo(tmp_path, "f.csv"))


def test_read_input_says_a_folder_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SpvInputError, match=r"is a folder; give an .xlsx or .csv file.$"):
        read_input(tmp_path)


def test_load_portfolio_refuses_a_pipe(tmp_path: Path) -> None:
    from xlspv.workbooks.portfolio_reader import load_portfolio

    with pytest.raises(InputLimitError, match=r"p.xlsx: is not a regular file"):
        load_portfolio(_fifo(tmp_path, "p.xlsx"))


@pytest.mark.parametrize("kind", ["truncated", "laughs", "external-entity", "laughs-workbook"])
def test_read_workbook_refuses_hostile_xml(kind: str, bases: dict[str, Path], tmp_path: Path) -> None:
    path = rezip(bases["template"], tmp_path / "h.xlsx", hostile_xml(kind))
    with pytest.raises(SpvInputError, match=r"^h.xlsx: cannot be read as an .xlsx workbook \(part xl/"):
        read_workbook(path)


def test_a_table_to_the_last_row_reads_correctly(tmp_path: Path) -> None:
    """The Flows table may reach row 1,048,576 (pre-sized): its blank rows are not data."""
    import datetime as dt

    import openpyxl
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws.append(["Date", "Value"])
    ws.append([dt.date(2025, 1, 1), -100])
    ws.append([dt.date(2026, 1, 1), 220])
    ws.add_table(Table(displayName="Flows", ref="A1:B1048576"))
    wb.save(tmp_path / "t.xlsx")
    spv = read_input(tmp_path / "t.xlsx")
    assert spv.values == [-100.0, 220.0]


# --- the cell rules in the Python API and the Excel functions -------------------------------------

V2, D2 = [-100.0, 220.0], [dt.date(2025, 1, 1), dt.date(2026, 1, 1)]
AMBIGUOUS_RATE = "deemed_rate: '0,055' is ambiguous: write 0.055 or 5.5%."
SERIAL_RANGE = "is outside Excel's date range (serial 61 = 1 March 1900 to 2958465 = 31 December 9999); enter a real date."  # noqa: E501

API_CASES = [
    pytest.param(lambda: xlspv.Terms("0,055"), TermsError, AMBIGUOUS_RATE, id="Terms-0,055"),
    pytest.param(
        lambda: xlspv.Terms(deemed_rate="5,5%"),
        TermsError,
        "deemed_rate: '5,5%' is ambiguous: write 5.5% or 0.055.",
        id="Terms-5,5%",
    ),
    pytest.param(
        lambda: xlspv.Terms(deemed_rate="5"), TermsError, f"deemed_rate: {RATE_5}", id="Terms-text-5"
    ),
    pytest.param(
        lambda: xlspv.compute(V2, D2, {"deemed_rate": 5}),  # a mapping holds cells: a bare 5 is refused
        TermsError,
        f"deemed_rate: {RATE_5}",
        id="compute-mapping-deemed-rate-5",
    ),
    pytest.param(
        lambda: xlspv.compute(V2, D2, {"deemed_rate": "0,055"}),
        TermsError,
        AMBIGUOUS_RATE,
        id="compute-mapping-deemed-rate-0,055",
    ),
    pytest.param(
        lambda: xlspv.summary(V2, D2, "0,05"),  # terms are a number, a Terms or a table: never a text
        TermsError,
        "terms: '0,05' is not a deemed rate or a terms table.",
        id="summary-terms-text",
    ),
    pytest.param(
        lambda: xlspv.summary([-100, "1,5"], D2, 0.05),
        SpvInputError,
        "values row 2: '1,5' is not a number; enter a number.",
        id="summary-value-text-1,5",
    ),
    pytest.param(
        lambda: xlspv.summary(V2, [59, 46023], 0.05),
        SpvInputError,
        f"dates row 1: 59.0 {SERIAL_RANGE}",
        id="summary-date-serial-59",
    ),
    pytest.param(
        lambda: xlspv.summary(V2, [dt.date(1899, 12, 31), dt.date(2026, 1, 1)], 0.05),
        SpvInputError,
        f"dates row 1: 1899-12-31 {DATE_RANGE}",
        id="summary-date-1899-12-31",
    ),
    # an integer past a float's range: Python's float() raises OverflowError, never a traceback here
    pytest.param(
        lambda: xlspv.Terms(10**400),
        TermsError,
        "deemed_rate: the number is beyond a float's range (about ±1.8e308); enter a smaller number.",
        id="Terms-10**400",
    ),
    pytest.param(
        lambda: xlspv.xirr(V2, D2, guess=10**400),
        SpvInputError,
        "guess: the number is beyond a float's range (about ±1.8e308); enter a smaller number.",
        id="xirr-guess-10**400",
    ),
    pytest.param(
        lambda: xlspv.summary(V2, [-(10**400), 46023], 0.05),
        SpvInputError,
        f"dates row 1: the serial {SERIAL_RANGE}",
        id="summary-date-serial-minus-10**400",
    ),
    pytest.param(
        lambda: xlspv.compute([-(10**400), 220.0], D2, 0.05),
        SpvInputError,
        "values row 1: the number is beyond a float's range (about ±1.8e308); enter a smaller number.",
        id="compute-value-minus-10**400",
    ),
    pytest.param(  # np.asarray(..., dtype=float) once read the text "110" as 110 here
        lambda: xlspv.waterfall_batch([[-100, "110"]], D2, xlspv.Terms(0.05)),
        SpvInputError,
        "values: give numbers, one row of cash flows per scenario (scenarios x rows) or one row shared "
        "by all.",
        id="waterfall_batch-value-text-110",
    ),
    pytest.param(
        lambda: xlspv.waterfall_summary([-100.0, 220.0], D2, xlspv.Terms(0.05), deemed_rates=[10**400]),
        TermsError,
        "deemed_rates: give numbers (decimals such as 0.05), one per scenario or a path each.",
        id="waterfall_summary-deemed-rate-10**400",
    ),
    pytest.param(
        lambda: xlspv.npv(0.1, [-100, "60"]),  # the values rule of every input: a text is not a number
        SpvInputError,
        "values row 2: '60' is not a number; enter a number.",
        id="npv-value-text-60",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), API_CASES)
def test_python_api_refuses_by_the_cell_rules(call: Callable[[], object], error: type, message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert str(info.value).splitlines()[0] == message


#: udfs.py loaded as xlwings Server and Lite load it (the fixture of tests/test_udfs.py, shared).
excel = test_udfs.excel
VS, DS = test_udfs.small()
UDF_CASES = [
    pytest.param("THRESHOLD_DATE", (VS, DS, "0,055"), f"#VALUE! {AMBIGUOUS_RATE}", id="terms-0,055"),
    pytest.param("THRESHOLD_DATE", (VS, DS, 5), f"#VALUE! deemed_rate: {RATE_5}", id="terms-5"),
    pytest.param(
        "THRESHOLD_DATE",
        (VS, DS, [["deemed_rate", "0,055"]]),
        f"#VALUE! {AMBIGUOUS_RATE}",
        id="terms-range-0,055",
    ),
    pytest.param(
        "SPV_WATERFALL",
        (VS, DS, [["deemed_rate", 5]], None),
        f"#VALUE! deemed_rate: {RATE_5}",
        id="terms-range-5",
    ),
    pytest.param(
        "SPV_PAYOUT",
        (test_udfs.column([-100, "1,5", 200]), DS, "Japan", 0.1),
        "#VALUE! values row 2: '1,5' is not a number; enter a number.",
        id="values-text-1,5",
    ),
    pytest.param(
        "SPV_PAYOUT",
        (VS, test_udfs.column([59, *test_udfs.SERIALS[1:]]), "Japan", 0.1),
        f"#VALUE! dates row 1: 59.0 {SERIAL_RANGE}",
        id="dates-serial-59",
    ),
    pytest.param(
        "SPV_RATE_GRID",
        (VS, DS, 0.1, [[0.05], ["0,1"]], None),
        "#VALUE! rates row 2: '0,1' is ambiguous: write 0.1 or 10%.",
        id="rate-grid-text-0,1",
    ),
    pytest.param(
        "SPV_RATE_GRID",
        (VS, DS, 0.1, [[0.05], [5]], None),
        "#VALUE! rates row 2: 5 would be 500% a year; write the rate as a decimal (0.05) or with a per-cent "
        "sign (5%).",
        id="rate-grid-cell-5",
    ),
]


@pytest.mark.parametrize(("func", "args", "message"), UDF_CASES)
def test_excel_functions_refuse_by_the_cell_rules(excel, func: str, args: tuple, message: str) -> None:
    assert excel.error(func, *args) == message


# --- text is text: a hostile --unit succeeds, written as text wherever it appears ------------------

HYPERLINK = '=HYPERLINK("http://x","y")'


def _flows_csv(folder: Path) -> Path:
    (folder / "f.csv").write_text("date,value\n" + FLOWS)
    return folder / "f.csv"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda d: [], id="report-built-in-example"),
        pytest.param(lambda d: [str(_flows_csv(d)), "--deemed-rate", "0.05"], id="report-csv"),
    ],
)
def test_a_formula_as_unit_is_written_as_text(make: Callable[[Path], list[str]], tmp_path: Path) -> None:
    import openpyxl

    given, out = tmp_path / "in", tmp_path / "out"
    given.mkdir()
    out.mkdir()
    args = ["report", *make(given), "--unit", HYPERLINK, "-o", str(out / "r.xlsx"), "-q"]
    before = _snapshot(given)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert [p.name for p in out.iterdir()] == ["r.xlsx"]  # the output, no temporary file
    assert _snapshot(given) == before
    cells = [
        cell
        for ws in openpyxl.load_workbook(out / "r.xlsx").worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert [c.coordinate for c in cells if c.data_type != "s"] == []  # no formula, wherever it is
    assert sum(c.value == HYPERLINK for c in cells) > 10  # the unit cells, as typed


# --- writing: Excel's grid, no clobber, atomic, interrupted ---------------------------------------


def test_check_grid_allows_the_last_cell_and_refuses_one_past() -> None:
    check_grid(rows=1_048_576, columns=16_384, what="sheet S")
    with pytest.raises(
        GridLimitError, match=r"^sheet S: the sheet would need 1,048,577 rows, over Excel's 1,048,576;"
    ):
        check_grid(rows=1_048_577, what="sheet S")


def test_save_workbook_refuses_a_sheet_past_column_XFD(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "S"
    wb.active.cell(row=1, column=16_385, value=1)
    with pytest.raises(
        GridLimitError, match=r"^sheet S: the sheet would need 16,385 columns, over Excel's 16,384"
    ):
        save_workbook(wb, tmp_path / "w.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_a_note_over_32767_characters_is_cut_and_says_so(tmp_path: Path) -> None:
    """openpyxl cuts a long text silently; xlspv's text writer cuts it first and says so in the cell."""
    import openpyxl

    from xlspv.workbooks.style import write_text

    wb = openpyxl.Workbook()
    write_text(wb.active, 1, 1, "n" * 40_000)
    save_workbook(wb, tmp_path / "w.xlsx")
    text = openpyxl.load_workbook(tmp_path / "w.xlsx").active["A1"].value
    assert len(text) == 32_767
    assert text.endswith("n [cut here: Excel holds 32,767 characters a cell; the input had 40,000]")


def test_two_writers_to_one_new_output_exactly_one_wins(tmp_path: Path) -> None:
    """Both finish writing before either publishes (a barrier): the link lets exactly one create it."""
    target = tmp_path / "r.xlsx"
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(tmp: Path) -> None:
        tmp.write_text(threading.current_thread().name)
        barrier.wait(timeout=10)

    def run() -> None:
        try:
            write_atomically(target, write)
            outcomes.append("won")
        except OutputError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run, name=f"w{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [
        f"{target}: the file exists; pass --force to replace it, or choose another output path.",
        "won",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def test_force_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "r.xlsx"
    target.write_text("old")
    with pytest.raises(OutputError):
        write_atomically(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "old"
    write_atomically(target, lambda tmp: tmp.write_text("new"), force=True)
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def test_two_cli_runs_started_together_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "xlspv.cli", "template", str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    assert sorted(status for status, _ in results) == [0, 2]
    loser = next(err for status, err in results if status == 2)
    assert loser.splitlines()[0] == (
        f"xlspv: error: {target}: the file exists; pass --force to replace it, or choose another output path."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from xlspv.workbooks.files import write_atomically

    def write(tmp):
        with open(tmp, "w") as handle:
            handle.write("partial")
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)

    write_atomically(sys.argv[1], write)
    """
)


def _start_slow_writer(target: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "writing\n"
    return child


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupted_save_leaves_no_temporary_file(signum: int, tmp_path: Path) -> None:
    target = tmp_path / "r.xlsx"
    child = _start_slow_writer(target)
    assert [p.name for p in tmp_path.iterdir()] == [f".r.xlsx.xlspv-{child.pid}-1.tmp"]
    child.send_signal(signum)
    status = child.wait(timeout=30)
    assert status != 0
    assert list(tmp_path.iterdir()) == []


def test_a_killed_save_is_cleaned_up_by_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "r.xlsx"
    child = _start_slow_writer(target)
    child.kill()
    child.wait(timeout=30)
    assert [p.name for p in tmp_path.iterdir()] == [f".r.xlsx.xlspv-{child.pid}-1.tmp"]
    (tmp_path / ".other.xlsx.xlspv-1-1.tmp").write_text("not this output's")
    write_atomically(target, lambda tmp: tmp.write_text("done"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.xlsx.xlspv-1-1.tmp", "r.xlsx"]


def test_a_temporary_file_of_a_running_process_is_kept(tmp_path: Path) -> None:
    alive = tmp_path / f".r.xlsx.xlspv-{os.getppid()}-1.tmp"
    alive.write_text("someone is writing")
    files.remove_stale_temporaries(tmp_path / "r.xlsx")
    assert alive.exists()


# --- a shared, read-only install ------------------------------------------------------------------


def test_version_runs_where_no_numba_cache_is_writable(tmp_path: Path) -> None:
    """The package folder and the home cache read-only (a mount namespace): --version still runs."""
    home = tmp_path / "home"
    home.mkdir()
    script = (
        f"mount --bind -o ro {ROOT / 'xlspv'} {ROOT / 'xlspv'} && mount --bind -o ro {home} {home} && "
        f"HOME={home} NUMBA_CACHE_DIR= {sys.executable} -m xlspv.cli --version"
    )
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount --bind -o ro {home} {home}"], capture_output=True
    )
    if probe.returncode != 0:
        pytest.skip("no unprivileged mount namespace here to make the install read-only")
    run = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("xlspv, version ")
