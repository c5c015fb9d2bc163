"""Mark array formulas in a saved xlsx as Excel 365 dynamic arrays, the way Excel's own files do.

openpyxl writes an array formula as ``<c r="A5"><f t="array" ref="A5:H53">...</f></c>``: a legacy
(Ctrl+Shift+Enter) array. Excel 365 opens an array-returning user-defined function in such a cell
with the implicit-intersection operator (``=@SPV_WATERFALL(...)``) and shows one value. A dynamic
array (one that spills) carries three more things, which openpyxl does not keep when it saves:

1. the anchor cell's ``cm="1"`` attribute: the (1-based) index of a ``cellMetadata`` block;
2. the workbook part ``xl/metadata.xml`` holding that block, of the XLDAPR metadata type whose
   ``xda:dynamicArrayProperties`` say ``fDynamic="1"``;
3. its content-type override in ``[Content_Types].xml`` and a ``sheetMetadata`` relationship in
   ``xl/_rels/workbook.xml.rels``.

These are the parts Excel writes, and the parts XlsxWriter's ``write_dynamic_array_formula`` emits
(``tests/test_dynamic.py`` compares the two). Older Excel, LibreOffice and the ``formulas`` engine
ignore the metadata and show a fixed-size array over the ``ref`` range, so the ``ref`` should cover
the expected result.

Function names: Excel stores a call to a user-defined function under its plain name
([MS-OI29500] 2.1.866: ``user-defined-function-name = name-reference``), which is also what
XlsxWriter writes. The ``_xlfn.`` / ``_xlfn._xlws.`` prefixes belong to Excel's own post-2007
built-ins (FILTER, XLOOKUP, ...); ``_xludf.`` is what Excel itself writes for a function it could not
resolve when it saved. So ``SPV_WATERFALL(...)`` is written as it is; nothing here rewrites formulas.

The file is rewritten into a temporary file beside it and renamed over it: every other part of the
package is copied byte for byte with its original zip entry (name, order, timestamp, compression).
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from openpyxl.utils.cell import coordinate_from_string, range_boundaries
from openpyxl.utils.exceptions import CellCoordinatesException

from ..errors import DynamicArrayError

METADATA_PART = "xl/metadata.xml"
METADATA_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"
#: The ``cm`` value of a dynamic-array anchor: the first (and only) ``cellMetadata`` block below.
DYNAMIC_CELL_METADATA = "1"

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_DYNAMIC_ARRAY_EXT_URI = "{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}"

#: xl/metadata.xml: one XLDAPR metadata type, one future-metadata block saying "dynamic array",
#: and one cell-metadata block pointing at it (type 1, value 0), which ``cm="1"`` selects.
METADATA_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<metadata xmlns="{_MAIN_NS}" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1">'
    '<metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" pasteAll="1" pasteValues="1" '
    'merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" assign="1" coerce="1" '
    'cellMeta="1"/>'
    "</metadataTypes>"
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    f'<ext uri="{_DYNAMIC_ARRAY_EXT_URI}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/>'
    "</ext></extLst></bk></futureMetadata>"
    '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    "</metadata>"
)


def mark_dynamic_arrays(xlsx_path: str | os.PathLike[str], anchors: Mapping[str, Sequence[str]]) -> Path:
    """Mark the array formulas anchored at ``anchors`` as dynamic arrays, rewriting the file in place.

    Parameters
    ----------
    xlsx_path : path
        An xlsx package as openpyxl saved it.
    anchors : mapping
        Sheet title -> anchor cells (``"A5"``; ``"$A$5"`` is accepted) of its array formulas. Each
        anchor must hold ``<f t="array" ref="...">`` whose range starts at that cell.

    Returns
    -------
    Path
        ``xlsx_path``. Marking an already marked file again changes nothing.

    Raises
    ------
    DynamicArrayError
        When a sheet is not in the workbook or an anchor holds no array formula starting there; the
        file is then left as it was.
    """
    path = Path(xlsx_path)
    wanted = {title: [_normal_cell(cell) for cell in cells] for title, cells in anchors.items() if cells}
    with zipfile.ZipFile(path) as package:
        entries = package.infolist()
        parts = {info.filename: package.read(info.filename) for info in entries}
    if not wanted:
        return path

    sheet_parts = _sheet_parts(parts)
    changed: dict[str, bytes] = {}
    for title, cells in wanted.items():
        if title not in sheet_parts:
            raise DynamicArrayError(
                f"{path.name}: no sheet named {title!r} (sheets: {', '.join(sheet_parts)}); "
                "check the dynamic_arrays mapping."
            )
        part = sheet_parts[title]
        xml = changed.get(part, parts[part]).decode("utf-8")
        for cell in cells:
            xml = _mark_cell(xml, cell, where=f"{title}!{cell}")
        changed[part] = xml.encode("utf-8")

    existing = parts.get(METADATA_PART)
    if existing is not None and existing != METADATA_XML.encode("utf-8"):
        raise DynamicArrayError(
            f"{path.name}: already has an {METADATA_PART} this module did not write; "
            "merging cell metadata is not supported."
        )
    changed[METADATA_PART] = METADATA_XML.encode("utf-8")
    changed["[Content_Types].xml"] = _with_override(parts["[Content_Types].xml"])
    changed["xl/_rels/workbook.xml.rels"] = _with_relationship(parts["xl/_rels/workbook.xml.rels"])
    _write_package(path, entries, parts, changed)
    return path


def _normal_cell(cell: str) -> str:
    """``"$a$5"`` -> ``"A5"``; DynamicArrayError for anything that is not one cell."""
    text = str(cell).replace("$", "").strip().upper()
    try:
        column, row = coordinate_from_string(text)
    except (CellCoordinatesException, ValueError):
        raise DynamicArrayError(f"{cell!r} is not a cell reference; give the anchor, e.g. 'A5'.") from None
    return f"{column}{row}"


def _sheet_parts(parts: Mapping[str, bytes]) -> dict[str, str]:
    """Sheet title -> its part name (``xl/worksheets/sheet1.xml``), from the workbook and its rels."""
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {
        rel.get("Id"): _resolve("xl/workbook.xml", rel.get("Target", ""))
        for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship")
    }
    workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
    return {
        sheet.get("name", ""): targets[sheet.get(f"{{{_REL_NS}}}id")]
        for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet")
    }


def _resolve(source: str, target: str) -> str:
    """A relationship target as a part name: absolute ("/xl/...") or relative to the source's folder."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _mark_cell(xml: str, cell: str, *, where: str) -> str:
    """Add ``cm="1"`` to the start tag of ``cell`` after checking it anchors an array formula."""
    start = re.search(rf'<c\b[^>]*\br="{cell}"[^>]*>', xml)
    if start is None or start.group(0).endswith("/>"):
        raise DynamicArrayError(f"{where}: the cell is empty; write an array formula there first.")
    formula = re.match(r"\s*<f\b([^>]*)>", xml[start.end() :])
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', formula.group(1))) if formula else {}
    if attrs.get("t") != "array" or "ref" not in attrs:
        raise DynamicArrayError(
            f"{where}: no array formula anchored here; write it with openpyxl's ArrayFormula(ref, text)."
        )
    first_col, first_row, _, _ = range_boundaries(attrs["ref"])
    column, row = coordinate_from_string(cell)
    if (first_col, first_row) != range_boundaries(f"{column}{row}")[:2]:
        raise DynamicArrayError(
            f"{where}: the array formula's range {attrs['ref']} does not start at this cell; "
            "give its top-left cell."
        )
    tag = start.group(0)
    cm = re.search(r'\bcm="([^"]*)"', tag)
    if cm is not None:
        if cm.group(1) == DYNAMIC_CELL_METADATA:
            return xml
        marked = tag[: cm.start()] + f'cm="{DYNAMIC_CELL_METADATA}"' + tag[cm.end() :]
    else:
        marked = f'{tag[:-1].rstrip()} cm="{DYNAMIC_CELL_METADATA}">'
    return xml[: start.start()] + marked + xml[start.end() :]


def _with_override(content_types: bytes) -> bytes:
    """``[Content_Types].xml`` with the metadata part's override (unchanged when present)."""
    root = ElementTree.fromstring(content_types)
    part_name = f"/{METADATA_PART}"
    if any(o.get("PartName") == part_name for o in root.iter(f"{{{_CT_NS}}}Override")):
        return content_types
    override = f"<Override PartName={quoteattr(part_name)} ContentType={quoteattr(METADATA_CONTENT_TYPE)}/>"
    return _insert_before_close(content_types, "Types", override)


def _with_relationship(rels: bytes) -> bytes:
    """The workbook's relationships with one to the metadata part (unchanged when present)."""
    root = ElementTree.fromstring(rels)
    ids = []
    for rel in root.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        if rel.get("Type") == METADATA_REL_TYPE:
            return rels
        number = re.fullmatch(r"rId(\d+)", rel.get("Id", ""))
        ids.append(int(number.group(1)) if number else 0)
    rel_id = f"rId{max(ids, default=0) + 1}"
    relationship = (
        f"<Relationship Id={quoteattr(rel_id)} Type={quoteattr(METADATA_REL_TYPE)} "
        f"Target={quoteattr(posixpath.basename(METADATA_PART))}/>"
    )
    return _insert_before_close(rels, "Relationships", relationship)


def _insert_before_close(xml: bytes, root_tag: str, element: str) -> bytes:
    text = xml.decode("utf-8")
    close = text.rfind(f"</{root_tag}>")
    if close < 0:
        raise DynamicArrayError(f"malformed package part: no closing </{root_tag}>.")
    return (text[:close] + element + text[close:]).encode("utf-8")


def _write_package(
    path: Path, entries: list[zipfile.ZipInfo], parts: Mapping[str, bytes], changed: Mapping[str, bytes]
) -> None:
    """Write the package to a temporary file beside ``path``, then rename it over ``path``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info in entries:
                out.writestr(info, changed.get(info.filename, parts[info.filename]))
            if METADATA_PART not in parts:
                added = zipfile.ZipInfo(METADATA_PART, date_time=_latest(entries))
                added.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(added, changed[METADATA_PART])
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))  # keep the file's permissions, not mkstemp's 0600
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _latest(entries: Sequence[zipfile.ZipInfo]) -> tuple[int, int, int, int, int, int]:
    """The newest entry timestamp, so the added part does not make the package depend on the clock."""
    return max((info.date_time for info in entries), default=(1980, 1, 1, 0, 0, 0))


__all__ = ["DynamicArrayError", "METADATA_XML", "mark_dynamic_arrays"]
