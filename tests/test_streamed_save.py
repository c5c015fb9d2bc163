"""Saving a streamed workbook with its parts deflated on a second thread (xlspv/workbooks/zipwriter.py).

The reference is the package written the way it was before, one part after the other on the calling
thread, by :class:`zipfile.ZipFile` itself (``write`` 8 KiB at a time, ``writestr``), in the order
openpyxl's package writer gives the parts; and, for a workbook without streamed rows, openpyxl's own
``Workbook.save``. The overlapped package must hold the same parts in the same order, with the same
bytes, deflated the same way (only ``docProps/core.xml`` holds the time of saving). Errors on the
writer thread must reach the caller as the same exception, leave no temporary file, and no thread.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.chart import BarChart, Reference
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet import _writer as openpyxl_sheet_writer
from openpyxl.worksheet.table import Table

from xlspv.errors import OutputError
from xlspv.portfolio import analyse
from xlspv.workbooks import streamed, zipwriter
from xlspv.workbooks.files import save_workbook
from xlspv.workbooks.portfolio_reader import load_portfolio
from xlspv.workbooks.portfolio_report import write_portfolio_report
from xlspv.workbooks.portfolio_writer import write_example_inputs
from xlspv.workbooks.streamed import Column, StreamedWorkbook
from xlspv.workbooks.style import DATE, MONEY, write_text
from xlspv.workbooks.zipwriter import BackgroundArchive

WRITER_THREAD = "xlspv-zip-writer"


class _Sequential:
    """The archive as it was: ``ZipFile`` itself, each part stored when given, on the calling thread."""

    def __init__(self, file: Any, compression: int) -> None:
        level = zipwriter.DEFLATE_LEVEL
        self.zip = zipfile.ZipFile(file, "w", compression, allowZip64=True, compresslevel=level)

    def write(self, filename: str, arcname: str, *, then: Callable[[], None] | None = None) -> None:
        self.zip.write(filename, arcname)
        if then is not None:
            then()

    def writestr(self, arcname: str, data: Any) -> None:
        self.zip.writestr(arcname, data)

    def namelist(self) -> list[str]:
        return self.zip.namelist()

    def close(self) -> None:
        self.zip.close()

    def abort(self) -> None:
        self.zip.close()


def _book(rows: int = 3000) -> StreamedWorkbook:
    """Three sheets with streamed rows of every kind (one large enough for several blocks), a table,
    a chart and a plain sheet."""
    rng = np.random.default_rng(7)
    wb = StreamedWorkbook()
    plain = wb.active
    plain.title = "Plain"
    for r in range(1, 40):
        plain.cell(r, 1, r * 1.5)
        write_text(plain, r, 2, f"row {r} & <text>")
    for title in ("A", "B", "C"):
        ws = wb.create_sheet(title)
        for c, head in enumerate(("x", "when", "name", "twice"), 1):
            write_text(ws, 1, c, head)
        columns = [Column("n", MONEY), Column("d", DATE), Column("s"), Column("f", MONEY)]
        days = np.datetime64("2026-01-01") + np.arange(rows)
        data = [
            rng.normal(size=rows) * 1e6,
            [d.astype(object) for d in days],
            [f"spv {i} {'&' if i % 7 else ' '}" for i in range(rows)],
            "=A{r}*2",
        ]
        wb.stream_columns(ws, 2, rows, columns, data)
        ws.add_table(Table(displayName=f"T{title}", ref=f"A1:D{rows + 1}"))
    chart = BarChart()
    chart.add_data(Reference(plain, min_col=1, min_row=1, max_row=39))
    plain.add_chart(chart, "D2")
    return wb


def _parts(path: Path) -> list[tuple[str, int, int, int, bytes, bytes]]:
    """Each part: name, compression, CRC, uncompressed size, bytes, and the stored (deflated) bytes."""
    out = []
    with zipfile.ZipFile(path) as z, path.open("rb") as raw:
        for info in z.infolist():
            raw.seek(info.header_offset)
            header = raw.read(30)
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            raw.seek(info.header_offset + 30 + name_len + extra_len)
            stored = raw.read(info.compress_size)
            data = z.read(info) if info.filename != "docProps/core.xml" else b""
            crc = info.CRC if info.filename != "docProps/core.xml" else 0
            stored = stored if info.filename != "docProps/core.xml" else b""
            out.append((info.filename, info.compress_type, crc, info.file_size, data, stored))
    return out


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WRITER_THREAD]


def _openpyxl_temporaries() -> list[str]:
    return [p for p in openpyxl_sheet_writer.ALL_TEMP_FILES if os.path.exists(p)]


@pytest.mark.parametrize("block", [5000, 1 << 16])
def test_the_overlapped_package_is_the_sequential_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # block 5000 (not a multiple of zipfile's 8 KiB): deflating in other pieces gives the same bytes
    monkeypatch.setattr(zipwriter, "BLOCK_BYTES", block)
    wb = _book()
    wb.save(tmp_path / "overlap.xlsx")
    with monkeypatch.context() as m:
        m.setattr(streamed, "BackgroundArchive", _Sequential)
        _book().save(tmp_path / "sequential.xlsx")
    ours, reference = _parts(tmp_path / "overlap.xlsx"), _parts(tmp_path / "sequential.xlsx")
    assert [p[0] for p in ours] == [p[0] for p in reference]
    assert max(len(p[4]) for p in ours) > 4 * block  # a sheet stored in several blocks
    for got, expected in zip(ours, reference, strict=True):
        assert got == expected, got[0]
    assert {p[1] for p in ours} == {zipfile.ZIP_DEFLATED}
    assert not _writer_threads()


def test_a_plain_workbook_is_saved_as_openpyxl_saves_it(tmp_path: Path) -> None:
    wb = StreamedWorkbook()
    ws = wb.active
    ws.append(["n", "text", "seventh"])
    for r in range(2, 200):
        ws.append([r, f"t{r}", r / 7])
    ws.add_table(Table(displayName="P", ref="A1:C199"))
    wb.create_sheet("Second")["A1"] = "=1+1"
    wb.save(tmp_path / "ours.xlsx")
    Workbook.save(wb, tmp_path / "openpyxl.xlsx")  # openpyxl's own writer, ZipFile on this thread
    ours, theirs = _parts(tmp_path / "ours.xlsx"), _parts(tmp_path / "openpyxl.xlsx")
    # the same parts, in the same order, with the same bytes; deflated at zlib's fastest level, not 6
    assert [p[:5] for p in ours] == [p[:5] for p in theirs]
    for name, _kind, _crc, _size, data, stored in ours:
        if name != "docProps/core.xml":
            deflate = zlib.compressobj(zipwriter.DEFLATE_LEVEL, zlib.DEFLATED, -15)
            assert stored == deflate.compress(data) + deflate.flush(), name


def test_the_portfolio_report_is_the_sequential_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = analyse(load_portfolio(write_example_inputs(tmp_path / "in.xlsx")))
    write_portfolio_report(result, tmp_path / "overlap.xlsx")
    monkeypatch.setattr(streamed, "BackgroundArchive", _Sequential)
    write_portfolio_report(result, tmp_path / "sequential.xlsx")
    stamp = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")  # the Cover's "Generated"
    ours, reference = _parts(tmp_path / "overlap.xlsx"), _parts(tmp_path / "sequential.xlsx")
    assert [p[0] for p in ours] == [p[0] for p in reference]
    for got, expected in zip(ours, reference, strict=True):
        assert got[:2] == expected[:2]
        assert stamp.sub(b"", got[4]) == stamp.sub(b"", expected[4]), got[0]
        if got[4] == expected[4]:
            assert got == expected, got[0]
    assert not _writer_threads()


class _FullDisk(io.RawIOBase):
    """A file on a disk that fills up after ``room`` bytes: ``write`` then fails with ENOSPC."""

    def __init__(self, file: Any, room: int) -> None:
        self.file, self.room = file, room

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.file.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return int(self.file.write(data))

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self.file.seek(offset, whence))

    def tell(self) -> int:
        return int(self.file.tell())

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        super().close()
        self.file.close()


@pytest.mark.parametrize("room", [100, 60_000, 200_000])
def test_a_full_disk_on_the_writer_thread_reaches_the_caller(tmp_path: Path, room: int) -> None:
    before = set(_openpyxl_temporaries())
    with pytest.raises(OSError) as caught:
        _book().save(_FullDisk(io.BytesIO(), room))
    assert caught.value.errno == errno.ENOSPC
    assert not _writer_threads()
    assert set(_openpyxl_temporaries()) <= before  # every sheet's temporary file removed


def test_a_full_disk_leaves_the_target_untouched_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"the previous report")

    def full(file: Any) -> Any:
        return _FullDisk(open(file, "w+b"), 80_000)  # noqa: SIM115 (closed by the archive)

    monkeypatch.setattr(zipwriter, "_output", full)
    with pytest.raises(OutputError, match=r"report.xlsx: cannot be written \(No space left on device\)"):
        save_workbook(_book(), target, force=True)
    assert sorted(os.listdir(tmp_path)) == ["report.xlsx"]
    assert target.read_bytes() == b"the previous report"
    assert not _writer_threads()


def test_a_part_that_cannot_be_read_raises_on_the_caller_and_still_cleans_up(tmp_path: Path) -> None:
    cleaned: list[str] = []
    archive = BackgroundArchive(tmp_path / "a.zip")
    archive.writestr("first.xml", b"<a/>")
    archive.write(tmp_path / "gone.xml", "gone.xml", then=lambda: cleaned.append("gone"))
    with pytest.raises(FileNotFoundError, match="gone.xml"):
        archive.close()
    assert cleaned == ["gone"]
    assert not archive.running and not _writer_threads()
    with pytest.raises(FileNotFoundError):  # and at every later call: the same error
        archive.writestr("later.xml", b"")


def test_after_an_error_the_writer_stores_nothing_more_but_runs_every_clean_up(tmp_path: Path) -> None:
    gate = threading.Event()
    cleaned: list[int] = []
    part = tmp_path / "p.xml"
    part.write_bytes(b"<p/>" * 1000)
    archive = BackgroundArchive(tmp_path / "a.zip")
    archive.write(tmp_path / "missing.xml", "missing.xml", then=gate.wait)  # fails, then waits
    for i in range(3):  # queued while the writer is held: given before the error is known
        archive.write(part, f"p{i}.xml", then=lambda i=i: cleaned.append(i))
    gate.set()
    with pytest.raises(FileNotFoundError):
        archive.close()
    assert cleaned == [0, 1, 2]
    assert not _writer_threads()


def test_an_error_on_the_callers_side_stops_the_thread_and_removes_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("styles broke")

    monkeypatch.setattr("openpyxl.writer.excel.write_stylesheet", broken)  # after every sheet is queued
    before = set(_openpyxl_temporaries())
    with pytest.raises(RuntimeError, match="styles broke"):
        save_workbook(_book(), tmp_path / "r.xlsx")
    assert os.listdir(tmp_path) == []
    assert not _writer_threads()
    assert set(_openpyxl_temporaries()) <= before


def test_a_sheet_that_fails_while_generated_leaves_no_temporary_file(tmp_path: Path) -> None:
    wb = _book(rows=10)
    wb["A"]["A5"] = "stored where a row is streamed"  # refused while the sheet is written
    before = set(_openpyxl_temporaries())
    with pytest.raises(ValueError, match="both stored and streamed"):
        save_workbook(wb, tmp_path / "r.xlsx")
    assert os.listdir(tmp_path) == []
    assert not _writer_threads()
    assert set(_openpyxl_temporaries()) <= before


def test_the_caller_waits_when_the_queue_is_full(tmp_path: Path) -> None:
    gate = threading.Event()
    archive = BackgroundArchive(tmp_path / "a.zip", queue_parts=2, queue_bytes=1 << 20)
    part = tmp_path / "p.xml"
    part.write_bytes(b"<p/>")
    archive.write(part, "held.xml", then=gate.wait)  # the writer is held on this part
    given: list[str] = []

    def give() -> None:
        for i in range(4):
            archive.writestr(f"d{i}.xml", b"x" * (600 << 10))  # two do not fit the byte budget
            given.append(f"d{i}")

    caller = threading.Thread(target=give)
    caller.start()
    caller.join(timeout=0.5)
    assert caller.is_alive() and given == ["d0"]  # waiting: d1 would pass 1 MiB of queued bytes
    gate.set()
    caller.join(timeout=30)
    archive.close()
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert z.namelist() == ["held.xml", "d0.xml", "d1.xml", "d2.xml", "d3.xml"]
    assert not _writer_threads()


def test_the_package_reads_back(tmp_path: Path) -> None:
    _book(rows=50).save(tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert wb.sheetnames == ["Plain", "A", "B", "C"]
    assert wb["A"]["D51"].value == "=A51*2"
    assert wb["Plain"]["B3"].value == "row 3 & <text>"


# --- the column writers' fast paths against the cell-by-cell rule ----------------------------------

_TEXT = st.text(alphabet=st.sampled_from("ab &<>\r\n\t\x07\uf8ff\ufffe é"), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_TEXT, st.none()), min_size=1, max_size=12), st.sampled_from(["", ' s="3"']))
def test_a_text_chunk_is_written_as_cell_by_cell(texts: list[str | None], style: str) -> None:
    rows = [str(r) for r in range(7, 7 + len(texts))]
    ref = ("C", style, True)
    values = np.array(texts, dtype=object)
    assert streamed._texts(ref, rows, values) == streamed._texts_one_by_one(ref, rows, texts)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=12),
    st.sampled_from(["", ' s="3"']),
    st.booleans(),
)
def test_a_number_chunk_is_written_as_cell_by_cell(values: list[float], style: str, keep: bool) -> None:
    rows = [str(r) for r in range(7, 7 + len(values))]
    ref = ("C", style, keep)
    expected = [
        streamed._blank(ref, row) if (text := streamed._number(v)) is None else f'<c r="C{row}"{style}{text}'
        for row, v in zip(rows, values, strict=True)
    ]
    assert streamed._numbers(ref, rows, np.array(values, dtype=float)) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.dates(), st.none()), min_size=1, max_size=12))
def test_a_date_chunk_is_written_as_cell_by_cell(days: list[dt.date | None]) -> None:
    rows = [str(r) for r in range(7, 7 + len(days))]
    ref = ("C", ' s="4"', True)
    expected = [
        streamed._blank(ref, row)
        if day is None
        else f'<c r="C{row}" s="4" t="n"><v>{to_excel(day)!r}</v></c>'
        for row, day in zip(rows, days, strict=True)
    ]
    assert streamed._dates(ref, rows, np.array(days, dtype=object)) == expected
