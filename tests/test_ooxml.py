"""Microsoft's own validator on every workbook xlspv writes: 0 errors, and it does catch a broken file.

The validator is the Open XML SDK (DocumentFormat.OpenXml 3.3.0, ``FileFormatVersions.Microsoft365``),
run by ``tools/ooxml_validate.py`` in its own venv (``.venv/ooxml``, installed by ``make test`` from
hash-pinned wheels). Each test validates all its files in ONE validator process: starting .NET costs
about a second, a workbook a fraction of that. Where the validator cannot run (not linux-x64, or
pytest run without ``make test`` having installed it) the tests skip and say why.

Known values: the SDK's verdict is the reference (it is Microsoft's schema and package checker, the
one behind Excel's repairs); the mutated copies below each break one rule of the dynamic-array parts
that ``xlspv.workbooks.dynamic`` adds after openpyxl saves, so a clean result is not a validator that
says yes to everything.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from openpyxl.styles import Font

from xlspv.cli import main
from xlspv.workbooks import style  # noqa: F401  (sets the font order, as every writer does)
from xlspv.workbooks.ooxml import FONT_CHILD_ORDER

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "ooxml_validate.py"
_spec = importlib.util.spec_from_file_location("ooxml_validate", _TOOL)
assert _spec is not None and _spec.loader is not None
ooxml_validate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ooxml_validate)

#: Every command of `xlspv --help` that writes a workbook -> the arguments of one run of it (the output
#: path is appended), and the commands that write none. A new command must be added to one of them.
WRITERS: dict[str, list[list[str]]] = {
    "template": [["template"]],
    "report": [["report", "-q"], ["report", "-q", "{template}"]],  # the example; a filled template
    "portfolio": [
        ["portfolio", "-q", "--readings"],
        # the Korean example with the recovery probabilities (Program & values' review block, the Cover)
        [
            "portfolio",
            "-q",
            "--program",
            "korea-2025",
            "--no-readings",
            "--rates",
            "none",
            "--risk-scenarios",
            "200",
        ],
    ],
    "risk": [["risk", "-q", "--scenarios", "2000"]],
    "verify": [["verify", "--update", "{template}"]],  # the template given its saved values
}
WRITES_NO_WORKBOOK = {"summary", "serve", "lite"}


def validate(paths: list[Path]) -> dict[str, Any]:
    try:
        return ooxml_validate.validate(paths)
    except ooxml_validate.ValidatorUnavailable as exc:
        pytest.skip(f"Microsoft's Open XML SDK validator cannot run here: {exc}")


def errors_of(result: dict[str, Any], path: Path) -> list[dict[str, str]]:
    return result["files"][str(path)]["errors"]


def xlspv(*args: str) -> None:
    done = CliRunner().invoke(main, list(args))
    assert done.exit_code == 0, done.output


def write_all(folder: Path) -> list[Path]:
    """One file per run in WRITERS, through the command line as a user writes them."""
    template = folder / "template.xlsx"
    written = []
    for command, runs in WRITERS.items():
        for number, args in enumerate(runs):
            out = folder / f"{command}_{number}.xlsx"
            filled = [arg.format(template=template) for arg in args]
            xlspv(*filled, str(out)) if command == "template" else xlspv(*filled, "-o", str(out))
            if command == "template":
                template = out
            written.append(out)
    return written


def test_every_command_that_writes_a_workbook_is_validated() -> None:
    commands = set(main.commands)
    assert commands == set(WRITERS) | WRITES_NO_WORKBOOK, (
        f"xlspv --help lists {sorted(commands)}: add each new command that writes a workbook to "
        "WRITERS (its workbooks are then validated), or to WRITES_NO_WORKBOOK"
    )


def test_every_workbook_xlspv_writes_has_no_validation_errors(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    result = validate(written)
    assert ooxml_validate.error_count(result) == 0, ooxml_validate.format_errors(result)
    assert len(result["files"]) == len(written) == sum(len(runs) for runs in WRITERS.values())


# --- the validator catches what would make Excel repair a file ------------------------------------


def rewrite(source: Path, target: Path, edit: Callable[[dict[str, bytes]], dict[str, bytes]]) -> Path:
    """A copy of the package ``source`` with its parts (name -> bytes) passed through ``edit``."""
    with zipfile.ZipFile(source) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in edit(parts).items():
            out.writestr(name, data)
    return target


def cm_pointing_at_no_block(parts: dict[str, bytes]) -> dict[str, bytes]:
    """Each dynamic-array anchor's ``cm="1"`` -> ``cm="2"``: xl/metadata.xml has one cellMetadata block."""
    changed = {
        name: re.sub(rb'\bcm="1"', b'cm="2"', data)
        for name, data in parts.items()
        if "worksheets/sheet" in name
    }
    assert any(changed[name] != parts[name] for name in changed), "the template has no dynamic array left"
    return {**parts, **changed}


def metadata_part_missing(parts: dict[str, bytes]) -> dict[str, bytes]:
    """xl/metadata.xml dropped; its relationship, content type and the ``cm`` attributes kept."""
    assert "xl/metadata.xml" in parts
    return {name: data for name, data in parts.items() if name != "xl/metadata.xml"}


def metadata_content_type_wrong(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The metadata part's content-type override names the styles type instead of sheetMetadata."""
    types = parts["[Content_Types].xml"]
    wrong = types.replace(b"spreadsheetml.sheetMetadata+xml", b"spreadsheetml.styles+xml")
    assert wrong != types
    return {**parts, "[Content_Types].xml": wrong}


def font_children_reversed(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The first font's children in reverse (openpyxl's own order was as wrong as this)."""
    styles = parts["xl/styles.xml"].decode()
    font = re.search(r"<font>(.*?)</font>", styles)
    assert font is not None
    children = re.findall(r"<[^/>]+/>", font.group(1))
    assert len(children) > 1
    styles = styles[: font.start(1)] + "".join(reversed(children)) + styles[font.end(1) :]
    return {**parts, "xl/styles.xml": styles.encode()}


MUTATIONS = [
    cm_pointing_at_no_block,
    metadata_part_missing,
    metadata_content_type_wrong,
    font_children_reversed,
]


def every_font_child_workbook(path: Path) -> Path:
    """A workbook whose one styled cell's font carries all fifteen of CT_Font's children."""
    wb = Workbook()
    cell = wb.active["A1"]
    cell.value = "every font child"
    cell.font = Font(
        name="Calibri", charset=1, family=2, b=True, i=True, strike=True, outline=True, shadow=True,
        condense=True, extend=True, color="FF0000FF", sz=12, u="double", vertAlign="superscript",
        scheme="minor",
    )  # fmt: skip
    wb.save(path)
    return path


def test_the_validator_reports_each_broken_copy_and_passes_the_original(tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    xlspv("template", str(template))
    every_child = every_font_child_workbook(tmp_path / "every_font_child.xlsx")
    copies = {m.__name__: rewrite(template, tmp_path / f"{m.__name__}.xlsx", m) for m in MUTATIONS}
    result = validate([template, every_child, *copies.values()])

    assert errors_of(result, template) == [], ooxml_validate.format_errors(result)
    assert errors_of(result, every_child) == [], ooxml_validate.format_errors(result)
    for name, copy in copies.items():
        assert len(errors_of(result, copy)) > 0, (
            f"{name}: not reported\n{ooxml_validate.format_errors(result)}"
        )
    # and each for what was broken
    assert {e["id"] for e in errors_of(result, copies["cm_pointing_at_no_block"])} == {
        "Sem_MissingIndexedElement"
    }
    assert [e["type"] for e in errors_of(result, copies["metadata_part_missing"])] == ["Package"]
    (wrong_type,) = errors_of(result, copies["metadata_content_type_wrong"])
    assert (
        "unexpected content type" in wrong_type["description"]
        and "/xl/metadata.xml" in wrong_type["description"]
    )
    reversed_font = errors_of(result, copies["font_children_reversed"])
    assert {(e["part"], e["id"]) for e in reversed_font} == {
        ("/xl/styles.xml", "Sch_UnexpectedElementContentExpectingComplex")
    }


def test_fonts_are_written_in_schema_order() -> None:
    """openpyxl's Font writes its children in CT_Font's order once xlspv's style module is imported."""
    from openpyxl.styles.fonts import Font as OpenpyxlFont

    assert OpenpyxlFont.__elements__ == FONT_CHILD_ORDER
    font = Font(name="Calibri", sz=11, color="FF000000", u="single", b=True, family=2, scheme="minor")
    children = [child.tag for child in font.to_tree()]
    assert children == ["b", "u", "sz", "color", "name", "family", "scheme"]


def test_the_cli_lists_each_error_and_exits_1(tmp_path: Path) -> None:
    """``python tools/ooxml_validate.py FILE...``: one line per file and per error; exit 1 on any error."""
    reason = ooxml_validate.unavailable_reason()
    if reason:
        pytest.skip(f"Microsoft's Open XML SDK validator cannot run here: {reason}")
    template = tmp_path / "template.xlsx"
    xlspv("template", str(template))
    broken = rewrite(template, tmp_path / "broken.xlsx", font_children_reversed)
    done = subprocess.run(
        [sys.executable, str(_TOOL), str(template), str(broken)], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith(f"{template}: 0 error(s) (") for line in lines)
    assert any(line.startswith(f"{broken}: 1 error(s) (") for line in lines)
    assert any(line.startswith("  /xl/styles.xml /x:styleSheet[1]/x:fonts[1]/x:font[1]: ") for line in lines)
