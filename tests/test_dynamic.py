"""Dynamic-array marking (xlspv.workbooks.dynamic): the parts Excel 365 needs to spill an array formula.

The reference is XlsxWriter's ``write_dynamic_array_formula``, which emits the parts Excel writes: the
anchor cell's ``cm="1"``, ``xl/metadata.xml`` (XLDAPR cell metadata, ``fDynamic="1"``), its
content-type override and its workbook relationship. Each test generates the XlsxWriter file afresh
and compares parts, so a change on either side shows.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import libreoffice
import openpyxl
import pytest
import xlsxwriter
from openpyxl.worksheet.formula import ArrayFormula

from xlspv.workbooks.dynamic import (
    METADATA_CONTENT_TYPE,
    METADATA_REL_TYPE,
    DynamicArrayError,
    mark_dynamic_arrays,
)
from xlspv.workbooks.files import save_workbook

UDF_FORMULA = "=SPV_WATERFALL(Inputs!B2:B4,Inputs!A2:A4,Terms,TRUE)"
UDF_REF = "B6:I9"
OTHER_SHEET = "Other sheet's"  # a title that needs quoting and XML escaping
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def _sheet_xml(path: Path, index: int) -> str:
    return _parts(path)[f"xl/worksheets/sheet{index}.xml"].decode()


def _cell_tag(sheet_xml: str, cell: str) -> dict[str, str]:
    """Attributes of the ``<c>`` start tag of ``cell`` and of its ``<f>``, prefixed ``c.`` / ``f.``."""
    match = re.search(rf'<c\b([^>]*\br="{cell}"[^>]*)>\s*(?:<f\b([^>]*)>)?', sheet_xml)
    assert match, f"no cell {cell}"
    c_attrs = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
    f_attrs = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
    return {**{f"c.{k}": v for k, v in c_attrs.items()}, **{f"f.{k}": v for k, v in f_attrs.items()}}


def _cells_with_cm(sheet_xml: str) -> list[str]:
    tags = re.findall(r"<c\b[^>]*>", sheet_xml)
    return [re.search(r'\br="([^"]+)"', tag).group(1) for tag in tags if re.search(r"\bcm=", tag)]


def _formula_text(sheet_xml: str, cell: str) -> str:
    match = re.search(rf'<c\b[^>]*\br="{cell}"[^>]*>\s*<f\b[^>]*>([^<]*)</f>', sheet_xml)
    assert match, f"no formula in {cell}"
    return match.group(1)


def _canonical(xml: bytes) -> str:
    return ElementTree.canonicalize(xml_data=xml.decode(), strip_text=True)


def _overrides(parts: dict[str, bytes]) -> dict[str, str]:
    root = ElementTree.fromstring(parts["[Content_Types].xml"])
    return {o.get("PartName"): o.get("ContentType") for o in root.iter(f"{CT_NS}Override")}


def _relationships(parts: dict[str, bytes]) -> list[dict[str, str]]:
    root = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    return [dict(rel.attrib) for rel in root.iter(f"{REL_NS}Relationship")]


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    """XlsxWriter's own dynamic array formula, the same formula and range as ours."""
    path = tmp_path / "xlsxwriter.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Results")
    ws.write_dynamic_array_formula(UDF_REF, UDF_FORMULA)
    wb.close()
    return path


def _openpyxl_book() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Results"
    ws["B6"] = ArrayFormula(UDF_REF, UDF_FORMULA)
    ws["K6"] = ArrayFormula("K6:K8", "=LEN(A1:A3)")  # a legacy array left as it is
    ws["M6"] = "=SUM(A1:A3)"
    ws["C7"].number_format = "0.00"  # a styled cell inside the spill range
    other = wb.create_sheet(OTHER_SHEET)
    other["A1"] = ArrayFormula("A1:A3", '=SPV_PAYOUT(B1:B3,C1:C3,"Japan",0.05)')
    return wb


@pytest.fixture
def marked(tmp_path: Path) -> Path:
    path = tmp_path / "marked.xlsx"
    save_workbook(_openpyxl_book(), path, dynamic_arrays={"Results": ["B6"], OTHER_SHEET: ["$A$1"]})
    return path


@pytest.fixture
def unmarked(tmp_path: Path) -> Path:
    path = tmp_path / "unmarked.xlsx"
    save_workbook(_openpyxl_book(), path)
    return path


def test_anchor_cells_carry_cm_1_and_no_other_cell_does(marked: Path) -> None:
    results, other = _sheet_xml(marked, 1), _sheet_xml(marked, 2)
    assert _cell_tag(results, "B6")["c.cm"] == "1"
    assert _cell_tag(other, "A1")["c.cm"] == "1"
    assert _cells_with_cm(results) == ["B6"]  # the listed anchors only: not K6's legacy array
    assert _cells_with_cm(other) == ["A1"]


def test_anchor_cell_matches_xlsxwriter(marked: Path, reference: Path) -> None:
    ours, theirs = _cell_tag(_sheet_xml(marked, 1), "B6"), _cell_tag(_sheet_xml(reference, 1), "B6")
    keys = {"c.r", "c.cm", "f.t", "f.ref"}
    assert (
        {k: ours[k] for k in keys}
        == {k: theirs[k] for k in keys}
        == {
            "c.r": "B6",
            "c.cm": "1",
            "f.t": "array",
            "f.ref": UDF_REF,
        }
    )


def test_udf_names_are_written_plain_as_xlsxwriter_and_excel_write_them(
    marked: Path, reference: Path
) -> None:
    """No ``_xlfn.`` (Excel's own newer built-ins) nor ``_xludf.`` (a name Excel could not resolve)."""
    ours = _formula_text(_sheet_xml(marked, 1), "B6")
    assert ours == _formula_text(_sheet_xml(reference, 1), "B6") == UDF_FORMULA.lstrip("=")
    assert "_xl" not in ours


def test_metadata_part_matches_xlsxwriter(marked: Path, reference: Path) -> None:
    ours, theirs = _parts(marked)["xl/metadata.xml"], _parts(reference)["xl/metadata.xml"]
    assert _canonical(ours) == _canonical(theirs)
    assert b'<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/>' in ours


def test_content_type_override_matches_xlsxwriter(marked: Path, reference: Path) -> None:
    ours, theirs = _overrides(_parts(marked)), _overrides(_parts(reference))
    assert ours["/xl/metadata.xml"] == theirs["/xl/metadata.xml"] == METADATA_CONTENT_TYPE


def test_workbook_relationship_matches_xlsxwriter(marked: Path, reference: Path) -> None:
    def metadata_rels(path: Path) -> list[tuple[str, str]]:
        return [
            (r["Type"], r["Target"]) for r in _relationships(_parts(path)) if r["Type"] == METADATA_REL_TYPE
        ]

    assert metadata_rels(marked) == metadata_rels(reference) == [(METADATA_REL_TYPE, "metadata.xml")]
    ids = [r["Id"] for r in _relationships(_parts(marked))]
    assert len(ids) == len(set(ids))


def test_other_parts_are_copied_byte_for_byte(tmp_path: Path, unmarked: Path) -> None:
    copy = tmp_path / "copy.xlsx"
    shutil.copy(unmarked, copy)
    mark_dynamic_arrays(copy, {"Results": ["B6"]})
    before, after = _parts(unmarked), _parts(copy)
    changed = {"xl/worksheets/sheet1.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"}
    assert set(after) == set(before) | {"xl/metadata.xml"}
    assert {name for name in before if before[name] != after[name]} == changed
    with zipfile.ZipFile(unmarked) as a, zipfile.ZipFile(copy) as b:
        assert [(i.filename, i.date_time) for i in a.infolist()] == [
            (i.filename, i.date_time) for i in b.infolist() if i.filename != "xl/metadata.xml"
        ]


def test_the_only_sheet_change_is_the_cm_attribute(tmp_path: Path, unmarked: Path) -> None:
    copy = tmp_path / "copy.xlsx"
    shutil.copy(unmarked, copy)
    mark_dynamic_arrays(copy, {"Results": ["B6"]})
    assert _sheet_xml(copy, 1).replace(' cm="1"', "") == _sheet_xml(unmarked, 1)


def test_the_file_keeps_its_permissions(tmp_path: Path, unmarked: Path) -> None:
    copy = tmp_path / "copy.xlsx"
    shutil.copy(unmarked, copy)
    copy.chmod(0o640)
    mark_dynamic_arrays(copy, {"Results": ["B6"]})
    assert copy.stat().st_mode & 0o777 == 0o640


def test_marking_twice_changes_nothing(tmp_path: Path, marked: Path) -> None:
    again = tmp_path / "again.xlsx"
    shutil.copy(marked, again)
    mark_dynamic_arrays(again, {"Results": ["B6"], OTHER_SHEET: ["A1"]})
    assert _parts(again) == _parts(marked)


def test_openpyxl_still_reads_the_array_formulas(marked: Path) -> None:
    wb = openpyxl.load_workbook(marked)
    assert wb["Results"]["B6"].value.ref == UDF_REF
    assert wb[OTHER_SHEET]["A1"].value.text.startswith("=SPV_PAYOUT(")


@pytest.mark.parametrize(
    ("anchors", "message"),
    [
        ({"Nope": ["B6"]}, "no sheet named 'Nope'"),
        ({"Results": ["M6"]}, "Results!M6: no array formula anchored here"),
        ({"Results": ["C7"]}, "Results!C7: the cell is empty"),
        ({"Results": ["Z99"]}, "Results!Z99: the cell is empty"),
        ({"Results": ["not a cell"]}, "is not a cell reference"),
    ],
    ids=["unknown-sheet", "plain-formula", "styled-empty-cell", "absent-cell", "bad-reference"],
)
def test_a_bad_anchor_is_refused_and_the_file_left_as_it_was(
    tmp_path: Path, unmarked: Path, anchors: dict[str, list[str]], message: str
) -> None:
    copy = tmp_path / "copy.xlsx"
    shutil.copy(unmarked, copy)
    with pytest.raises(DynamicArrayError, match=re.escape(message)):
        mark_dynamic_arrays(copy, anchors)
    assert copy.read_bytes() == unmarked.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_anchor_that_is_not_the_top_left_cell_is_refused(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    wb.active["B2"] = ArrayFormula("A1:C3", "=LEN(D1:F3)")  # malformed: ref does not start at B2
    path = tmp_path / "odd.xlsx"
    wb.save(path)
    with pytest.raises(
        DynamicArrayError, match=r"S!B2: the array formula's range A1:C3 does not start at this cell"
    ):
        mark_dynamic_arrays(path, {"S": ["B2"]})


def test_foreign_cell_metadata_is_not_overwritten(tmp_path: Path, unmarked: Path) -> None:
    path = tmp_path / "foreign.xlsx"
    with zipfile.ZipFile(unmarked) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/metadata.xml", "<metadata/>")
    with pytest.raises(DynamicArrayError, match="merging cell metadata is not supported"):
        mark_dynamic_arrays(path, {"Results": ["B6"]})


def test_libreoffice_opens_the_marked_file_and_shows_the_whole_array(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for row, text in enumerate(["a", "bb", "ccc"], start=1):
        ws.cell(row=row, column=1, value=text)
    ws["B1"] = ArrayFormula("B1:B3", "=LEN(A1:A3)")
    path = tmp_path / "lo.xlsx"
    save_workbook(wb, path, dynamic_arrays={"S": ["B1"]})
    recalculated = libreoffice.recalculate_one(path, tmp_path / "out")
    values = openpyxl.load_workbook(recalculated, data_only=True)["S"]
    assert [values[f"B{row}"].value for row in (1, 2, 3)] == [1, 2, 3]
