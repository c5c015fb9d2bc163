"""xlwings Lite: the files ``xlspv lite`` writes, and the offline lane closest to Pyodide.

Pyodide cannot run here (its numpy comes from a CDN when it starts), so ``make test`` also runs the
core, udfs and workbook tests in ``.venv-lite``: no numba (as on Pyodide, where ``pyproject.toml`` asks
for none) and the numpy and pandas versions Pyodide 0.27 ships (``Makefile``: ``LITE_NUMPY``,
``LITE_PANDAS``). The lane tests below run only there (``XLSPV_LITE_LANE=1``).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from xlspv.cli import main
from xlspv.workbooks.files import OutputError
from xlspv.workbooks.lite import MAIN_PY, PYODIDE_PACKAGES, XLWINGS_PIN, requirements, write_lite

ROOT = Path(__file__).resolve().parents[1]
IN_LANE = os.environ.get("XLSPV_LITE_LANE") == "1"
URL = "https://example.org/dist/xlspv-0.1.0-py3-none-any.whl"
#: Pyodide's marker environment: what micropip evaluates xlspv's requirements against.
PYODIDE = {"sys_platform": "emscripten", "platform_system": "Emscripten", "extra": ""}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


# --- the files --------------------------------------------------------------------------------------


def test_lite_writes_main_and_requirements(tmp_path):
    written = write_lite(tmp_path / "lite", wheel_url=URL)
    assert [p.name for p in written] == ["main.py", "requirements.txt"]
    assert (tmp_path / "lite" / "requirements.txt").read_text().splitlines() == [
        XLWINGS_PIN,
        "numpy",
        "pandas",
        URL,
    ]
    assert (tmp_path / "lite" / "main.py").read_text() == MAIN_PY


def test_main_imports_exactly_the_six_functions():
    import udfs

    tree = ast.parse(MAIN_PY)
    imports = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert [(i.module, sorted(a.name for a in i.names)) for i in imports] == [("udfs", sorted(udfs.__all__))]
    namespace: dict = {}
    exec(compile(tree, "main.py", "exec"), namespace)  # runs as Lite runs it (udfs from the wheel)
    assert all(namespace[name] is getattr(udfs, name) for name in udfs.__all__)


def test_lite_refuses_to_overwrite_and_a_bad_url(tmp_path):
    write_lite(tmp_path)
    with pytest.raises(OutputError, match="main.py: the file exists; pass --force"):
        write_lite(tmp_path)
    assert len(write_lite(tmp_path, force=True)) == 2
    with pytest.raises(OutputError, match="is not an https URL of a .whl file"):
        requirements("http://example.org/xlspv.whl")


def test_without_a_url_the_wheel_line_is_a_comment_to_replace():
    last = requirements().splitlines()[-1]
    assert last.startswith("# https://") and "xlspv" in last


def test_cli_lite(tmp_path):
    result = CliRunner().invoke(main, ["lite", str(tmp_path / "x"), "--wheel-url", URL])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [
        str(tmp_path / "x" / "main.py"),
        str(tmp_path / "x" / "requirements.txt"),
    ]
    again = CliRunner().invoke(main, ["lite", str(tmp_path / "x")])
    assert again.exit_code == 2 and "the file exists; pass --force" in again.output


def test_lite_installs_only_what_it_can():
    """micropip installs numpy/pandas from Pyodide, other packages only as pure-Python wheels."""
    needed = [Requirement(r) for r in _project()["dependencies"]]
    on_pyodide = [r for r in needed if r.marker is None or r.marker.evaluate(PYODIDE)]
    assert "numba" not in {r.name for r in on_pyodide}  # skipped on Pyodide by its marker
    for req in on_pyodide:
        if req.name in PYODIDE_PACKAGES or req.name == "xlwings":  # Pyodide's builds; Lite's own xlwings
            continue
        files = importlib.metadata.distribution(req.name).files or []
        compiled = [str(f) for f in files if str(f).endswith((".so", ".pyd", ".dylib"))]
        assert not compiled, f"{req.name} is not pure Python: xlwings Lite cannot install it"


def test_xlwings_pin_is_the_tested_version():
    import udfs

    assert f"xlwings=={udfs.PYODIDE_PROBE_XLWINGS[-1]}" == XLWINGS_PIN


def test_lane_packages_are_pyprojects_without_numba():
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"LITE_PACKAGES := ((?:.*\\\n)*.*)\n", makefile).group(1)  # with its continuations
    names = {re.split(r"[=<>]", word)[0].lower() for word in listed.replace("\\", " ").split()}
    project = _project()
    needed = [Requirement(r) for r in project["dependencies"]]
    wanted = {r.name.lower() for r in needed if r.marker is None or r.marker.evaluate(PYODIDE)}
    wanted |= {Requirement(r).name.lower() for r in project["optional-dependencies"]["test"]}
    # ruff and mypy lint and run no test; Pyodide has no dask.distributed (risk runs in-process there)
    assert names == wanted - {"ruff", "mypy", "dask"}


# --- the lane itself ------------------------------------------------------------------------------


@pytest.mark.skipif(not IN_LANE, reason="runs in the Lite lane only (make lite-lane)")
def test_lane_has_no_numba_and_pyodides_numpy_and_pandas():
    import numpy
    import pandas

    from xlspv import _jit

    assert importlib.util.find_spec("numba") is None
    assert (numpy.__version__, pandas.__version__) == (os.environ["LITE_NUMPY"], os.environ["LITE_PANDAS"])
    assert _jit.HAVE_NUMBA is False  # the kernels run as plain Python, as on Pyodide
