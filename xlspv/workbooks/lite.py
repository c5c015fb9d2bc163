"""``xlspv lite``: the two files an xlwings Lite user pastes, ``main.py`` and ``requirements.txt``.

xlwings Lite runs Python in Excel's browser runtime (Pyodide) and installs what its
``requirements.txt`` names with micropip: numpy and pandas from Pyodide's own repository (compiled for
WebAssembly), other packages only as pure-Python wheels, and wheels by HTTPS URL. xlspv is not on PyPI,
so its wheel (``pip wheel --no-deps -w dist .``) must be served over HTTPS with CORS; micropip then
installs its pure-Python dependencies and skips numba (``sys_platform != 'emscripten'``).

``main.py`` imports the six functions from ``udfs`` (shipped in the xlspv wheel); xlwings Lite registers
every ``@func`` it finds in ``main.py``, with no namespace: ``=SPV_IRR(...)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .files import OutputError, write_atomically

#: What Lite installs, and from where. numpy and pandas come from Pyodide's repository (its own builds,
#: whatever version the Pyodide release ships); xlwings is pinned to the version xlspv is tested with.
PYODIDE_PACKAGES = ("numpy", "pandas")
XLWINGS_PIN = "xlwings==0.37.8"
WHEEL_PLACEHOLDER = "# https://<your host>/xlspv-0.1.0-py3-none-any.whl  <- the URL of the xlspv wheel"

MAIN_PY = '''"""xlspv's Excel functions in xlwings Lite: =SPV_IRR(...), =SPV_PAYOUT(...),
=THRESHOLD_DATE(...), =SPV_WATERFALL(...), =SPV_RATE_GRID(...), =SPV_RISK(...) and =SPV_VERSION().

Written by `xlspv lite`. The functions live in udfs.py, installed with the xlspv wheel named in
requirements.txt; xlwings Lite registers the functions imported here.
"""

from udfs import (  # noqa: F401
    SPV_IRR,
    SPV_PAYOUT,
    SPV_RATE_GRID,
    SPV_RISK,
    SPV_VERSION,
    SPV_WATERFALL,
    THRESHOLD_DATE,
)
'''


def requirements(wheel_url: str | None = None) -> str:
    """``requirements.txt`` for xlwings Lite: xlwings, Pyodide's numpy and pandas, the xlspv wheel.

    >>> print(requirements("https://example.org/xlspv-0.1.0-py3-none-any.whl"))
    xlwings==0.37.8
    numpy
    pandas
    https://example.org/xlspv-0.1.0-py3-none-any.whl
    <BLANKLINE>
    """
    if wheel_url is not None and not (wheel_url.startswith("https://") and wheel_url.endswith(".whl")):
        raise OutputError(
            f"--wheel-url: {wheel_url!r} is not an https URL of a .whl file; serve the xlspv wheel over "
            "HTTPS (xlwings Lite refuses http) and give its URL."
        )
    lines = [XLWINGS_PIN, *PYODIDE_PACKAGES, wheel_url or WHEEL_PLACEHOLDER]
    return "\n".join(lines) + "\n"


def write_lite(
    folder: str | os.PathLike[str], *, force: bool = False, wheel_url: str | None = None
) -> list[Path]:
    """Write ``main.py`` and ``requirements.txt`` into ``folder`` (created if missing), each atomically.

    Refuses to replace either file without ``force``; returns the two paths.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: is a file; give a folder for main.py and requirements.txt.")
    files = {target / "main.py": MAIN_PY, target / "requirements.txt": requirements(wheel_url)}
    for path in files:
        if path.exists() and not force:
            raise OutputError(
                f"{path}: the file exists; pass --force to replace it, or choose another folder."
            )
    for path, text in files.items():
        write_atomically(path, _text_writer(text), force=force)
    return list(files)


def _text_writer(text: str) -> Callable[[Path], None]:
    """A ``write(tmp)`` for :func:`write_atomically` that writes ``text`` as UTF-8."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return write
