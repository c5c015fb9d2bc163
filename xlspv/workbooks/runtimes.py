"""How each Excel runtime stores a call to xlspv's functions in a workbook file.

- ``classic`` (the Windows xlwings add-in, functions imported as VBA): the plain name, ``SPV_IRR(...)``.
- ``server`` (xlwings Server, Office.js): shown as ``XLWINGS.SPV_IRR(...)`` (the manifest's namespace;
  ``XLWINGS_DEV`` etc. outside production), stored as ``_xldudf_XLWINGS_SPV_IRR(...)``.
- ``lite`` (xlwings Lite, Office.js without a namespace): shown as ``SPV_IRR(...)``, stored as
  ``_xldudf_SPV_IRR(...)``.

Excel stores an Office.js custom function as ``_xldudf_`` followed by its shown name with each dot
turned into an underscore, in a dynamic-array formula even when it fills one cell; a call typed as
``XLWINGS.SPV_IRR`` before the add-in loaded is stored as typed and stays ``#NAME?`` after it loads.
The evidence, and what is not verified, is in ``docs/excel.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula

RUNTIMES = ("classic", "server", "lite")
#: The functions ``udfs.py`` defines (``udfs.__all__``; ``tests/test_runtimes.py`` keeps them equal).
FUNCTIONS = (
    "SPV_IRR", "SPV_PAYOUT", "SPV_RATE_GRID", "SPV_RISK", "SPV_VERSION", "SPV_WATERFALL", "THRESHOLD_DATE",
)  # fmt: skip
#: xlwings Server's default namespace (``XLWINGS_FUNCTIONS_NAMESPACE``) in production.
SERVER_NAMESPACE = "XLWINGS"
UDF_PREFIX = "_xldudf_"


def function_name(name: str, runtime: str, namespace: str = SERVER_NAMESPACE) -> str:
    """The name of an xlspv function as the workbook file stores it for ``runtime``.

    Parameters
    ----------
    name : str
        The function, e.g. ``"SPV_IRR"``.
    runtime : {"classic", "server", "lite"}
        The Excel runtime the workbook is made for.
    namespace : str
        xlwings Server's namespace as Excel shows it (``"XLWINGS"``; ``"XLWINGS_DEV"`` for a dev
        server); ignored by the other runtimes.

    Examples
    --------
    >>> [function_name("SPV_IRR", r) for r in RUNTIMES]
    ['SPV_IRR', '_xldudf_XLWINGS_SPV_IRR', '_xldudf_SPV_IRR']
    >>> function_name("SPV_IRR", "server", "XLWINGS_DEV")
    '_xldudf_XLWINGS_DEV_SPV_IRR'
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime: {runtime!r} is not one of {', '.join(RUNTIMES)}")
    if runtime == "classic":
        return name
    shown = f"{namespace}.{name}" if runtime == "server" and namespace else name
    return UDF_PREFIX + shown.replace(".", "_")


def rename_calls(formula: str, runtime: str, namespace: str = SERVER_NAMESPACE) -> tuple[str, bool]:
    """``formula`` with each call of an xlspv function renamed for ``runtime``; and whether it had one.

    Only function tokens are renamed (never text in quotes or a sheet name), found by openpyxl's
    formula tokenizer.

    >>> rename_calls('=IF(A1="SPV_IRR",SPV_IRR(B:B,C:C,"Japan",0.05),0)', "lite")
    ('=IF(A1="SPV_IRR",_xldudf_SPV_IRR(B:B,C:C,"Japan",0.05),0)', True)
    """
    tokens = Tokenizer(formula).items
    found = False
    for token in tokens:
        if token.type == Token.FUNC and token.subtype == Token.OPEN and token.value[:-1].upper() in FUNCTIONS:
            token.value = function_name(token.value[:-1].upper(), runtime, namespace) + "("
            found = True
    return "=" + "".join(token.value for token in tokens), found


def apply_runtime(
    wb: Workbook,
    runtime: str,
    dynamic_arrays: Mapping[str, Sequence[str]],
    namespace: str = SERVER_NAMESPACE,
) -> dict[str, list[str]]:
    """Rename every xlspv call in ``wb`` for ``runtime``; return the dynamic-array anchors per sheet.

    For the Office.js runtimes each single-cell call becomes a one-cell dynamic array, as Excel writes
    a custom function's cell; the classic template is left exactly as built.
    """
    function_name(FUNCTIONS[0], runtime, namespace)  # refuses an unknown runtime before any change
    anchors = {sheet: list(cells) for sheet, cells in dynamic_arrays.items()}
    if runtime == "classic":
        return anchors
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    value.text, _ = rename_calls(value.text, runtime, namespace)
                elif isinstance(value, str) and value.startswith("="):
                    text, found = rename_calls(value, runtime, namespace)
                    if found:
                        cell.value = ArrayFormula(cell.coordinate, text)
                        anchors.setdefault(ws.title, []).append(cell.coordinate)
    return anchors
