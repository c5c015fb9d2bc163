"""The layout keeps its architecture: files only at the edge, arrows one way, errors in one module.

Read from each module's source with :mod:`ast` (nothing is imported), so a test fails the day a
module crosses a line, not the day someone notices.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import xlspv.errors

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "xlspv"
MODULES = sorted(PACKAGE.rglob("*.py"))
#: The file layer: the only modules that read or write files (and the command line, which checks paths).
EDGE = ("workbooks/", "cli.py")
#: Calls that open or write a file.
FILE_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "load_workbook", "mkstemp"}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: Path) -> str:
    name = _name(path)
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or deferred inside a function, as absolute names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(path).split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def file_calls(path: Path) -> set[str]:
    calls = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", "")
            if name in FILE_CALLS:
                calls.add(name)
    return calls


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _starts(names: set[str], *prefixes: str) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


INSIDE = [p for p in MODULES if not _rel(p).startswith(EDGE)]
CORE = [p for p in MODULES if "/" not in _rel(p) and _rel(p) != "cli.py"]


def test_the_layout_is_read_from_real_modules() -> None:
    names = {_rel(p) for p in MODULES}
    assert {"errors.py", "cells.py", "terms.py", "portfolio/model.py", "workbooks/audit.py"} <= names
    assert "portfolio.py" not in names
    assert imports(PACKAGE / "portfolio" / "analyse.py") >= {"xlspv.waterfall", "xlspv.portfolio.model"}


#: The adapters: the command line, and the Excel side (the xlwings Server host, ``xlspv verify``).
ADAPTERS = ("cli.py", "excel/")


@pytest.mark.parametrize("path", INSIDE, ids=_rel)
def test_only_the_file_layer_imports_a_file_library_or_opens_files(path: Path) -> None:
    assert _starts(imports(path), "openpyxl", "csv", "xlsxwriter", "zipfile") == []
    assert file_calls(path) == set()


@pytest.mark.parametrize("path", [p for p in INSIDE if not _rel(p).startswith(ADAPTERS)], ids=_rel)
def test_only_the_file_layer_and_the_adapters_import_the_file_layer(path: Path) -> None:
    # Arrows one way: adapters -> workbooks -> program -> core.
    assert _starts(imports(path), "xlspv.workbooks") == []


@pytest.mark.parametrize("path", CORE, ids=_rel)
def test_the_core_imports_neither_the_program_view_nor_the_examples_nor_the_adapters(path: Path) -> None:
    assert _starts(imports(path), "xlspv.portfolio", "xlspv.examples", "xlspv.cli", "udfs", "click") == []


@pytest.mark.parametrize("path", [p for p in MODULES if _rel(p).startswith("portfolio/")], ids=_rel)
def test_the_program_view_does_not_import_the_examples_or_the_adapters(path: Path) -> None:
    assert _starts(imports(path), "xlspv.examples", "xlspv.cli", "udfs", "click") == []


@pytest.mark.parametrize("path", [p for p in MODULES if not _rel(p).startswith(ADAPTERS)], ids=_rel)
def test_nothing_imports_the_command_line_or_the_excel_adapter(path: Path) -> None:
    assert _starts(imports(path), "xlspv.cli", "udfs", "xlwings") == []


@pytest.mark.parametrize("path", [*MODULES, ROOT / "udfs.py"], ids=lambda p: p.name)
def test_modules_stay_under_about_800_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 800


def _public_raisable(node: ast.ClassDef) -> bool:
    """Whether a public class derives from an exception by name (``ValueError``, ``SpvError``): an error
    class whose own name does not end in Error is still one. A private one (``_Doctype``) is a signal
    caught inside its module, never raised to a caller."""
    names = [
        b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
        for b in node.bases
    ]
    return not node.name.startswith("_") and any(n.endswith(("Error", "Exception", "Warning")) for n in names)


def test_every_error_class_lives_in_errors_py_and_is_an_spv_error() -> None:
    defined = {
        (_rel(path), node.name)
        for path in MODULES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and (node.name.endswith("Error") or _public_raisable(node))
    }
    assert {where for where, _ in defined} == {"errors.py"}
    members = inspect.getmembers(xlspv.errors, inspect.isclass)
    classes = [c for _, c in members if c.__module__ == "xlspv.errors"]
    assert {c.__name__ for c in classes} == {name for _, name in defined}
    assert all(issubclass(c, xlspv.errors.SpvError) for c in classes)
