"""One template per Excel runtime: the formulas stored as each runtime binds them (``docs/excel.md``).

The stored forms come from an Excel-saved workbook (see ``docs/excel.md``): a call of the Office.js
custom function ``CONTOSO.ADD`` entered with its add-in loaded is stored as
``<c r="A1" cm="1"><f t="array" ref="A1">_xldudf_CONTOSO_ADD(1,2)</f>``; typed before the add-in loaded
it is stored as ``CONTOSO.ADD(1,2)`` and stays ``#NAME?``. These tests read the file's XML directly.
"""

from __future__ import annotations

import re
import zipfile

import pytest
from click.testing import CliRunner

from xlspv.cli import main
from xlspv.workbooks.runtimes import FUNCTIONS, RUNTIMES, function_name, rename_calls
from xlspv.workbooks.template import write_template

CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")
CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*)>(?:<f([^>]*)>([^<]*)</f>)?')


def test_functions_are_the_ones_udfs_defines():
    import udfs

    assert sorted(FUNCTIONS) == sorted(udfs.__all__)


@pytest.mark.parametrize(
    ("runtime", "namespace", "stored"),
    [
        ("classic", "XLWINGS", "SPV_IRR"),
        ("server", "XLWINGS", "_xldudf_XLWINGS_SPV_IRR"),  # shown as XLWINGS.SPV_IRR
        ("server", "XLWINGS_DEV", "_xldudf_XLWINGS_DEV_SPV_IRR"),  # shown as XLWINGS_DEV.SPV_IRR
        ("lite", "XLWINGS", "_xldudf_SPV_IRR"),  # no namespace in xlwings Lite
    ],
)
def test_stored_name_per_runtime(runtime, namespace, stored):
    assert function_name("SPV_IRR", runtime, namespace) == stored


def test_unknown_runtime_is_refused():
    with pytest.raises(ValueError, match="runtime: 'web' is not one of classic, server, lite"):
        function_name("SPV_IRR", "web")


def test_only_function_tokens_are_renamed():
    formula = '=IF(\'SPV_IRR data\'!A1="SPV_IRR(",SUM(SPV_PAYOUT(A:A,B:B,"US",C1)),SPV_VERSION())'
    renamed, found = rename_calls(formula, "server")
    assert found
    assert renamed == (
        '=IF(\'SPV_IRR data\'!A1="SPV_IRR(",SUM(_xldudf_XLWINGS_SPV_PAYOUT(A:A,B:B,"US",C1)),'
        "_xldudf_XLWINGS_SPV_VERSION())"
    )
    assert rename_calls("=SUM(A1:A3)", "lite") == ("=SUM(A1:A3)", False)


def _cells(path, sheet_part):
    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_part).decode()
        has_metadata = "xl/metadata.xml" in z.namelist()
    return [m.groups() for m in CELL.finditer(xml)], has_metadata


def _addin_cells(path):
    """(cell, its attributes, <f> attributes, formula) of every formula calling an xlspv function."""
    found = []
    for part in ("xl/worksheets/sheet4.xml", "xl/worksheets/sheet5.xml", "xl/worksheets/sheet6.xml"):
        cells, _ = _cells(path, part)
        for ref, attrs, f_attrs, formula in cells:
            if formula and any(name in formula for name in FUNCTIONS):
                found.append((part, ref, attrs, f_attrs or "", formula))
    return found


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runtimes")
    return {r: write_template(folder / f"{r}.xlsx", runtime=r) for r in RUNTIMES}


def test_sheet_parts_are_results_sensitivity_checks(templates):
    with zipfile.ZipFile(templates["classic"]) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]+)"', workbook)[3:6] == ["Results", "Sensitivity", "Checks"]


@pytest.mark.parametrize("runtime", ["server", "lite"])
def test_every_call_is_stored_as_excel_stores_an_office_js_function(templates, runtime):
    cells = _addin_cells(templates[runtime])
    assert len(cells) == 8  # SPV_WATERFALL, SPV_VERSION, THRESHOLD_DATE, SPV_IRR x4, SPV_RATE_GRID
    for part, ref, attrs, f_attrs, formula in cells:
        names = [n for n in CALL.findall(formula) if n.upper() not in ("SUM", "IF")]
        assert names and all(n.startswith(function_name("", runtime)) for n in names), (ref, formula)
        assert all(n.removeprefix(function_name("", runtime)) in FUNCTIONS for n in names)
        assert "." not in formula.split("(")[0], "never the dotted form: it stays #NAME? (office-js #6611)"
        assert 't="array"' in f_attrs and 'cm="1"' in attrs, (
            part,
            ref,
        )  # a dynamic array, as Excel writes it
        if "WATERFALL" not in formula and "RATE_GRID" not in formula:
            assert f'ref="{ref}"' in f_attrs  # one cell


def test_classic_template_is_unchanged(templates, tmp_path):
    classic = _addin_cells(templates["classic"])
    assert {f for *_, f in classic} >= {"SPV_VERSION()"}
    assert sum('cm="1"' in attrs for _, _, attrs, _, _ in classic) == 2  # the two spills only
    assert all(not f.startswith("_xldudf_") for *_, f in classic)


def test_cli_writes_the_server_template(tmp_path):
    out = tmp_path / "server.xlsx"
    result = CliRunner().invoke(main, ["template", str(out), "--runtime", "server"])
    assert result.exit_code == 0, result.output
    assert any("_xldudf_XLWINGS_SPV_IRR(" in f for *_, f in _addin_cells(out))
    bad = CliRunner().invoke(main, ["template", str(tmp_path / "x.xlsx"), "--runtime", "web"])
    assert bad.exit_code == 2 and "'web' is not one of 'classic', 'server', 'lite'" in bad.output
