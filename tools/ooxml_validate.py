#!/usr/bin/env python3
"""Validate xlsx workbooks with Microsoft's Open XML SDK, the checker behind Excel's "repair" offers.

A test-only tool. The SDK (DocumentFormat.OpenXml 3.3.0) is .NET code; ``pythonnet`` hosts it in
Python on the .NET 8 runtime, and both come from PyPI wheels pinned by sha256 in
``tools/ooxml-requirements.txt`` (no dotnet SDK, no download at run time):

- the runtime: the self-contained app inside ``python-redlines-ooxmlpowertools`` ships the whole
  Microsoft.NETCore.App 8.0.32 for linux-x64. Its ``deps.json`` names which files are the runtime;
  :func:`prepare` copies exactly those into a dotnet root (``host/fxr/`` and
  ``shared/Microsoft.NETCore.App/``), leaving the app and its old DocumentFormat.OpenXml 2.8.1 out;
- the SDK: the DLLs inside ``powerpoint-commenter`` (DocumentFormat.OpenXml(.Framework) 3.3.0 and
  System.IO.Packaging 8.0.1), loaded by path.

Each workbook is opened read-only (``SpreadsheetDocument.Open(path, False)``) and checked with
``OpenXmlValidator(FileFormatVersions.Microsoft365)``: the schemas, the semantic constraints and the
package (parts, relationships, content types). A package the SDK cannot open counts as one error.

Usage::

    python tools/ooxml_validate.py FILE...          # errors listed; exit 1 if any, 2 if unusable
    python tools/ooxml_validate.py --json FILE...   # one JSON object: errors and timings per file
    python tools/ooxml_validate.py --install [VENV] # `make test`: the tool venv (default .venv/ooxml)

Run from any Python: when this interpreter lacks pythonnet, the validation runs in the tool venv's
Python (one process for all the files: starting .NET costs about a second).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOL_VENV = REPO / ".venv" / "ooxml"
REQUIREMENTS = Path(__file__).resolve().parent / "ooxml-requirements.txt"
#: The runtime pack shipped inside python-redlines-ooxmlpowertools 2.0.0.
RUNTIME_VERSION = "8.0.32"
RUNTIME_TARGET = ".NETCoreApp,Version=v8.0/linux-x64"
RUNTIME_PACK = f"runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/{RUNTIME_VERSION}"
#: Loaded in this order: each needs the one before.
SDK_DLLS = ("System.IO.Packaging.dll", "DocumentFormat.OpenXml.Framework.dll", "DocumentFormat.OpenXml.dll")
SDK_MAJOR = 3
#: Globalization-invariant mode: the validator needs no culture data, so no libicu is needed.
RUNTIME_CONFIG = {
    "runtimeOptions": {
        "tfm": "net8.0",
        "framework": {"name": "Microsoft.NETCore.App", "version": "8.0.0"},
        "configProperties": {"System.Globalization.Invariant": True},
    }
}


class ValidatorUnavailable(RuntimeError):
    """The validator cannot run here; the message says why and what to do."""


def unsupported_reason() -> str | None:
    """Why this platform cannot run the validator (the runtime wheel is linux-x64 only), else None."""
    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return (
            f"the .NET runtime wheel (python-redlines-ooxmlpowertools) is for linux-x64 only; "
            f"this is {sys.platform}-{platform.machine()}"
        )
    return None


# --- installing (run by `make test` from any Python) ----------------------------------------------


def install(venv: Path = TOOL_VENV) -> int:
    """Create ``venv``, install the hash-pinned wheels, lay out the runtime; 0 on success or skip."""
    reason = unsupported_reason()
    if reason:
        print(f"ooxml_validate: not installed: {reason}; the validator tests will skip.", file=sys.stderr)
        return 0
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "--require-hashes", "--no-deps", "--only-binary", ":all:", "-r", str(REQUIREMENTS)], check=True
    )
    subprocess.run([str(python), str(Path(__file__).resolve()), "--prepare"], check=True)
    (venv / ".installed").write_text(REQUIREMENTS.read_text())
    return 0


def _package_dir(name: str) -> Path:
    """The folder of an installed package, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ValidatorUnavailable(
            f"the package {name} is not installed in {sys.prefix}; run `make test` (it installs "
            f"{REQUIREMENTS.relative_to(REPO)} into {TOOL_VENV.relative_to(REPO)})."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def prepare(root: Path | None = None) -> Path:
    """The dotnet root holding the .NET 8 runtime from the redlines wheel, laid out once (atomically).

    Returns the root: ``host/fxr/<v>/libhostfxr.so``, ``shared/Microsoft.NETCore.App/<v>/`` with the
    runtime pack's files and its ``deps.json`` (the host needs one per framework), and
    ``ooxml.runtimeconfig.json``.
    """
    root = root or Path(sys.prefix) / "dotnet"
    if (root / ".complete").exists():
        return root
    archive = _package_dir("python_redlines_ooxmlpowertools") / "_binaries" / "linux-x64.tar.gz"
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dotnet.", dir=root.parent))
    try:
        with tarfile.open(archive) as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            deps = json.load(tar.extractfile(members["redlines.deps.json"]))  # type: ignore[arg-type]
            pack = deps["targets"][RUNTIME_TARGET][RUNTIME_PACK]
            framework = staging / "shared" / "Microsoft.NETCore.App" / RUNTIME_VERSION
            framework.mkdir(parents=True)
            for name in [*pack["runtime"], *pack["native"]]:
                source = tar.extractfile(members[Path(name).name])
                target = framework / Path(name).name
                with source as src, open(target, "wb") as dst:  # type: ignore[union-attr]
                    shutil.copyfileobj(src, dst)
                target.chmod(0o755 if name.endswith(".so") or "." not in name else 0o644)
        framework_deps = {
            "runtimeTarget": deps["runtimeTarget"],
            "compilationOptions": {},
            "targets": {RUNTIME_TARGET: {RUNTIME_PACK: pack}},
            "libraries": {RUNTIME_PACK: deps["libraries"][RUNTIME_PACK]},
        }
        (framework / "Microsoft.NETCore.App.deps.json").write_text(json.dumps(framework_deps, indent=1))
        fxr = staging / "host" / "fxr" / RUNTIME_VERSION
        fxr.mkdir(parents=True)
        shutil.copy2(framework / "libhostfxr.so", fxr / "libhostfxr.so")
        (staging / "ooxml.runtimeconfig.json").write_text(json.dumps(RUNTIME_CONFIG, indent=1))
        (staging / ".complete").write_text(RUNTIME_VERSION)
        try:
            staging.rename(root)
        except OSError:  # another process laid it out first
            if not (root / ".complete").exists():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return root


# --- validating (in the tool venv's Python) -------------------------------------------------------

_SDK: dict[str, Any] = {}


def _load_sdk() -> dict[str, Any]:
    """Start .NET once per process and load the SDK; the types needed, by name."""
    if _SDK:
        return _SDK
    reason = unsupported_reason()
    if reason:
        raise ValidatorUnavailable(reason)
    try:
        import pythonnet
    except ImportError:
        raise ValidatorUnavailable(
            f"pythonnet is not installed in {sys.prefix}; run `make test` or "
            f"`python tools/ooxml_validate.py --install`."
        ) from None
    root = prepare()
    started = time.perf_counter()
    pythonnet.load("coreclr", runtime_config=str(root / "ooxml.runtimeconfig.json"), dotnet_root=str(root))
    import clr  # pythonnet's import hook for .NET namespaces
    from System.Reflection import Assembly  # type: ignore[import-not-found]

    bin_dir = _package_dir("powerpoint_commenter") / "bin"
    for dll in SDK_DLLS:
        Assembly.LoadFrom(str(bin_dir / dll))
    from DocumentFormat.OpenXml import FileFormatVersions  # type: ignore[import-not-found]
    from DocumentFormat.OpenXml.Packaging import SpreadsheetDocument  # type: ignore[import-not-found]
    from DocumentFormat.OpenXml.Validation import OpenXmlValidator  # type: ignore[import-not-found]

    version = clr.GetClrType(OpenXmlValidator).Assembly.GetName().Version
    if version.Major != SDK_MAJOR:
        raise ValidatorUnavailable(f"expected Open XML SDK {SDK_MAJOR}.x, loaded {version}")
    _SDK.update(
        SpreadsheetDocument=SpreadsheetDocument,
        validator=OpenXmlValidator(FileFormatVersions.Microsoft365),
        sdk_version=str(version),
        runtime_version=RUNTIME_VERSION,
        startup_s=time.perf_counter() - started,
    )
    return _SDK


def _error(item: Any) -> dict[str, str]:
    """One ValidationErrorInfo as plain text (read while the package is still open)."""
    part = item.Part.Uri.ToString() if item.Part is not None else ""
    path = item.Path.XPath if item.Path is not None else ""
    return {
        "part": part,
        "path": path,
        "id": str(item.Id),
        "type": str(item.ErrorType),
        "description": str(item.Description),
    }


def _package_error(exc: BaseException) -> dict[str, str]:
    """A package the SDK cannot open or walk (missing part, wrong content type, not a zip): one error."""
    message = getattr(exc, "Message", None) or str(exc).split("\n   at ")[0]
    return {
        "part": "",
        "path": "",
        "id": type(exc).__name__,
        "type": "Package",
        "description": " ".join(str(message).split()),
    }


def validate_here(paths: Sequence[str | os.PathLike[str]]) -> dict[str, Any]:
    """Validate ``paths`` in this process: ``{"files": {path: {"errors": [...], "seconds": s}}, ...}``."""
    sdk = _load_sdk()
    files: dict[str, Any] = {}
    for path in dict.fromkeys(map(str, paths)):  # each file once, in the order given
        started = time.perf_counter()
        errors: list[dict[str, str]] = []
        document = None
        try:
            document = sdk["SpreadsheetDocument"].Open(str(path), False)
            for item in sdk["validator"].Validate(document):
                errors.append(_error(item))
        except Exception as exc:  # noqa: BLE001  (a .NET exception: the SDK cannot read the package)
            errors.append(_package_error(exc))
        finally:
            if document is not None:
                document.Dispose()
        files[str(path)] = {"errors": errors, "seconds": time.perf_counter() - started}
    return {
        "validator": f"DocumentFormat.OpenXml {sdk['sdk_version']}, FileFormatVersions.Microsoft365",
        "runtime": f".NET {sdk['runtime_version']}",
        "startup_s": sdk["startup_s"],
        "files": files,
    }


def unavailable_reason(venv: Path = TOOL_VENV) -> str | None:
    """Why :func:`validate` cannot run from this Python (with the message's fix), else None."""
    import importlib.util

    reason = unsupported_reason()
    if reason or importlib.util.find_spec("pythonnet") is not None:
        return reason
    if not (venv / ".installed").exists():
        return (
            f"the validator is not installed ({venv} is missing); run `make test` or "
            f"`python tools/ooxml_validate.py --install`."
        )
    return None


def validate(paths: Sequence[str | os.PathLike[str]], venv: Path = TOOL_VENV) -> dict[str, Any]:
    """Validate ``paths`` here when pythonnet is importable, else in one run of the tool venv's Python.

    Returns
    -------
    dict
        ``{"validator": ..., "runtime": ..., "startup_s": s, "files": {path: {"errors": [...],
        "seconds": s}}}``; each error has ``part``, ``path`` (XPath), ``id``, ``type``, ``description``.

    Raises
    ------
    ValidatorUnavailable
        The platform cannot run it, or the tool venv is not installed (the message says how).
    """
    import importlib.util

    reason = unavailable_reason(venv)
    if reason:
        raise ValidatorUnavailable(reason)
    if importlib.util.find_spec("pythonnet") is not None:
        return validate_here(paths)
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(Path(__file__).resolve()), "--json", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"ooxml_validate failed (exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def error_count(result: dict[str, Any]) -> int:
    """All the errors of a :func:`validate` result."""
    return sum(len(entry["errors"]) for entry in result["files"].values())


def format_errors(result: dict[str, Any]) -> str:
    """One line per file (its error count) and one per error: part, path, description, id."""
    lines = []
    for path, entry in result["files"].items():
        lines.append(f"{path}: {len(entry['errors'])} error(s) ({entry['seconds']:.2f} s)")
        lines.extend(
            f"  {e['part'] or '(package)'} {e['path']}".rstrip()
            + f": {e['description']} [{e['type']} {e['id']}]"
            for e in entry["errors"]
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", metavar="FILE", help="xlsx workbooks to validate")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--install",
        nargs="?",
        const=str(TOOL_VENV),
        metavar="VENV",
        help=f"create the tool venv (default {TOOL_VENV.relative_to(REPO)}) and exit",
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.install:
        return install(Path(args.install))
    if args.prepare:
        print(prepare())
        return 0
    if not args.files:
        parser.error("give at least one FILE")
    try:
        result = validate(args.files)
    except ValidatorUnavailable as exc:
        print(f"ooxml_validate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(format_errors(result))
        print(
            f"{result['validator']} on {result['runtime']}: {error_count(result)} error(s) "
            f"in {len(result['files'])} file(s); start-up {result['startup_s']:.2f} s"
        )
    status = 1 if error_count(result) else 0
    if _SDK:  # .NET was started here: skip pythonnet's shutdown at exit (1-2 s; nothing is left open)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
