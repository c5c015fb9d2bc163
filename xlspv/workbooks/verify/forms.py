"""How each Excel runtime stores a call of xlspv's functions in a workbook's XML, and which runtime binds it.

- ``SPV_IRR(...)``: classic (the VBA add-in's plain name);
- ``_xludf.SPV_IRR(...)``: classic (Excel's mark of a function it could not resolve when saving);
- ``_xldudf_XLWINGS_SPV_IRR(...)``: server (an Office.js custom function: ``_xldudf_`` + namespace);
- ``XLWINGS.SPV_IRR(...)``: server, typed while the add-in was not loaded (Excel keeps ``#NAME?``);
- ``_xldudf_SPV_IRR(...)``: lite (Office.js, no namespace; inferred, see ``docs/verify.md``).

The namespace is the xlwings Server manifest's (``XLWINGS``, ``XLWINGS_DEV`` in development, or the
deployment's own). Function names are matched without regard to case, as Excel does.
"""

from __future__ import annotations

import re

#: The functions xlspv puts into Excel: ``udfs.__all__``, written out because the file layer does not
#: import the Excel adapter (``tests/test_verify.py`` keeps the two equal).
FUNCTIONS: tuple[str, ...] = (
    "SPV_IRR",
    "SPV_PAYOUT",
    "SPV_RATE_GRID",
    "SPV_RISK",
    "SPV_VERSION",
    "SPV_WATERFALL",
    "THRESHOLD_DATE",
)
RUNTIMES = ("any", "classic", "server", "lite")

#: A call of one of the functions, in any stored form; group ``name`` is the function's name.
CALL = re.compile(
    r"(?<![\w.])(?P<prefix>_xludf\.|_xldudf_(?:(?P<udf_ns>\w+?)_)?|(?P<dot_ns>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.)?"
    rf"(?P<name>{'|'.join(sorted(FUNCTIONS, key=len, reverse=True))})\s*\(",
    re.IGNORECASE,
)


def runtime_of(match: re.Match[str]) -> str:
    """The runtime that binds a call stored as ``match`` shows (``classic``, ``server`` or ``lite``)."""
    prefix = (match.group("prefix") or "").lower()
    if not prefix or prefix == "_xludf.":
        return "classic"
    if prefix.startswith("_xldudf_"):
        return "server" if match.group("udf_ns") else "lite"
    return "server"


def form_note(match: re.Match[str]) -> str:
    """What a reader should know about a stored form; empty for the forms each runtime writes itself."""
    prefix = match.group("prefix") or ""
    if prefix.lower() == "_xludf.":
        return "stored as _xludf.: Excel saved it while the add-in was not loaded"
    if match.group("dot_ns"):
        return (
            f"stored as {match.group('dot_ns')}.{match.group('name')}: typed while the add-in was not "
            "loaded, so Excel keeps #NAME? even once it loads; enter the formula again with the add-in loaded"
        )
    return ""


def counts(runtime: str, form_runtime: str) -> bool:
    """Whether a call stored for ``form_runtime`` is checked under ``--runtime runtime``."""
    return runtime == "any" or runtime == form_runtime
