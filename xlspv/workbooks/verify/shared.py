"""One waterfall per distinct (values, dates, terms) among a workbook's calls, as ``udfs.py`` computes it.

A workbook's Results sheet calls SPV_IRR for four parties, THRESHOLD_DATE and SPV_WATERFALL on the same
flows and terms; each public function of ``udfs.py`` prepares the inputs and computes the waterfall
again (about 7 ms for 480 rows, nearly all of it converting the cells). ``udfs.py`` has no shared memo
yet, so this module re-composes each function's body from ``udfs.py``'s own helpers, in the same order
(the party or header is checked before the flows, as there), with the waterfall taken from a memo kept
for one check. ``tests/test_verify.py`` checks that both paths give the same results and the same
errors; if a helper is gone (``udfs.py`` changed), :func:`call` returns ``None`` and the public
function is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import udfs

_HELPERS = ("_waterfall", "_party", "_irr", "_payouts", "_table", "_header", "IRR_PARTIES", "PAYOUT_PARTIES")
AVAILABLE = all(hasattr(udfs, name) for name in _HELPERS)

_BODIES: dict[str, Callable[[dict[str, Any], Callable[[], Any]], Any]] = {
    "SPV_PAYOUT": lambda a, wf: udfs._payouts(udfs._party(a["party"], udfs.PAYOUT_PARTIES), wf()),
    "SPV_IRR": lambda a, wf: udfs._irr(udfs._party(a["party"], udfs.IRR_PARTIES), wf(), a["guess"]),
    "THRESHOLD_DATE": lambda a, wf: wf().threshold_date or udfs.NOT_AVAILABLE,
    "SPV_WATERFALL": lambda a, wf: udfs._table(udfs._header(a["header"]), wf()),
}


def call(name: str, arguments: dict[str, Any], memo: dict[tuple[Any, ...], Any]) -> Any:
    """``udfs.<name>(**arguments)`` with the waterfall shared through ``memo``; ``None`` if not shareable."""
    body = _BODIES.get(name)
    if body is None or not AVAILABLE:
        return None

    def waterfall() -> Any:
        key = (arguments["values"], arguments["dates"], arguments["terms"])
        found = memo.get(key)
        if found is None:
            try:
                found = udfs._waterfall(*key)
            except udfs.ExcelInputError as error:
                found = error
            memo[key] = found
        if isinstance(found, udfs.ExcelInputError):
            raise found
        return found

    return body(arguments, waterfall)
