"""Recalculate xlsx workbooks headless with LibreOffice, so tests can read every formula's result.

LibreOffice keeps the cached values a file carries unless told otherwise, so each run uses a throwaway
user profile whose ``registrymodifications.xcu`` sets ``/org.openoffice.Office.Calc/Formula/Load``
``OOXMLRecalcMode`` to 0 ("always recalculate"). One ``soffice`` call converts several files, which is
how the tests keep to a handful of LibreOffice runs: start-up dominates (about 2 s a run here, measured
with :func:`recalculate`'s ``last_seconds``).

Without ``soffice`` on the PATH every caller is skipped with the reason (``make test`` runs
``tools/ensure_libreoffice.sh`` first, which installs it where it can).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

#: Seconds the last :func:`recalculate` call took (one soffice run), for the tests' timing report.
last_seconds: float | None = None

_TIMEOUT = 180
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <item oor:path="/org.openoffice.Office.Calc/Formula/Load">
    <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
  </item>
  <item oor:path="/org.openoffice.Office.Calc/Formula/Load">
    <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop>
  </item>
</oor:items>
"""


def soffice() -> str:
    """Path of ``soffice``; skips the calling test (with the reason) when LibreOffice is absent."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        pytest.skip("LibreOffice (soffice) is not installed: run tools/ensure_libreoffice.sh to install it")
    return path


def _profile(root: Path) -> Path:
    """A fresh LibreOffice user profile that recalculates every formula of an xlsx on load."""
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
    return root


def recalculate(paths: Sequence[str | os.PathLike[str]], outdir: str | os.PathLike[str]) -> list[Path]:
    """Recalculate each workbook with LibreOffice; return the recalculated copies (same names, ``outdir``).

    The inputs are not touched. All files go through one ``soffice`` run. Raises ``RuntimeError`` with
    LibreOffice's output when a copy is missing.
    """
    global last_seconds
    exe = soffice()
    sources = [Path(p).resolve() for p in paths]
    names = [p.name for p in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"recalculate: file names must differ (outputs share {outdir}): {names}")
    target = Path(outdir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlspv-lo-profile-") as tmp:
        profile = _profile(Path(tmp))
        command = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(target),
            *map(str, sources),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
        last_seconds = time.perf_counter() - started
    outputs = [target / name for name in names]
    missing = [p for p in outputs if not p.exists()]
    if done.returncode != 0 or missing:
        raise RuntimeError(
            f"LibreOffice did not recalculate {[p.name for p in missing]} (exit {done.returncode}):\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return outputs


def recalculate_one(path: str | os.PathLike[str], outdir: str | os.PathLike[str]) -> Path:
    """Recalculate one workbook (see :func:`recalculate`)."""
    return recalculate([path], outdir)[0]


def to_pdf(paths: Sequence[str | os.PathLike[str]], outdir: str | os.PathLike[str]) -> list[Path]:
    """Export each workbook to PDF with LibreOffice (one run, a fresh default profile); return the PDFs.

    The profile is LibreOffice's default (no forced recalculation), as a committee member's would be:
    the portfolio report's export failed only so.

    Raises ``RuntimeError`` with LibreOffice's output when a PDF is missing or empty (LibreOffice 7.4
    says "Error: Please verify input parameters... (SfxBaseModel::impl_store ... Unspecified
    Application Error)" and exits 0 when a workbook cannot be exported).
    """
    exe = soffice()
    sources = [Path(p).resolve() for p in paths]
    target = Path(outdir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlspv-lo-profile-") as tmp:
        command = [
            exe,
            f"-env:UserInstallation={Path(tmp).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(target),
            *map(str, sources),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    outputs = [target / (p.stem + ".pdf") for p in sources]
    bad = [p for p in outputs if not p.exists() or p.stat().st_size == 0]
    if done.returncode != 0 or bad or "Error" in done.stderr:
        raise RuntimeError(
            f"LibreOffice did not export {[p.name for p in bad]} to PDF (exit {done.returncode}):\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return outputs
