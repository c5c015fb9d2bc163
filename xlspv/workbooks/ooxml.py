"""What openpyxl writes that Microsoft's Open XML SDK validator refuses, put right before it is written.

openpyxl 3.1 writes a font's child elements in its own order (``name, charset, family, b, i, ...,
color, extend, sz, u, ...``). The SpreadsheetML schema as the SDK validates it (``CT_Font``, the
order Excel itself writes) is ``b, i, strike, condense, extend, outline, shadow, u, vertAlign, sz,
color, name, family, charset, scheme``. Excel opens either; the validator reports each misordered
font (``Sch_UnexpectedElementContentExpectingComplex``: two in every xlspv workbook before this fix,
the default Calibri font and the hyperlink font), and a clean baseline is what lets a real error
stand out (``tests/test_ooxml.py`` runs the validator, ``tools/ooxml_validate.py``, on every
workbook xlspv writes).

The fix is the order in which openpyxl's ``Font`` serialises its children (its ``__elements__``),
set once when :mod:`xlspv.workbooks.style` is imported, before any workbook collects its fonts
(openpyxl hashes a font over its fields in that order). Reading is unaffected: openpyxl parses the
children by tag, in any order.
"""

from __future__ import annotations

from openpyxl.styles.fonts import Font

#: CT_Font's children in schema order (the Open XML SDK's sml schema; Excel writes them so).
FONT_CHILD_ORDER = (
    "b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign",
    "sz", "color", "name", "family", "charset", "scheme",
)  # fmt: skip


def write_fonts_in_schema_order() -> bool:
    """Make openpyxl write every font's child elements in the schema's order; idempotent.

    Returns
    -------
    bool
        True when the order is in force. False when this openpyxl's ``Font`` has other children than
        the schema's fifteen (a changed openpyxl): nothing is changed then, and the validator test
        and ``tests/test_ooxml.py::test_fonts_are_written_in_schema_order`` say so.
    """
    if set(Font.__elements__) != set(FONT_CHILD_ORDER):
        return False
    Font.__elements__ = FONT_CHILD_ORDER
    return True


__all__ = ["FONT_CHILD_ORDER", "write_fonts_in_schema_order"]
