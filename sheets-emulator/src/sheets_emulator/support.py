"""What the emulator implements of the Sheets v4 messages it reads, field by field.

Google knows more than the emulator does. A field Google knows but the emulator does not implement is
refused when a request sets it (``Invalid requests[0].repeatCell: the local Sheets emulator does not
implement cell.textFormatRuns (CellData.textFormatRuns)``), never dropped. Names Google does not know
are refused earlier, by :mod:`.checks`, with Google's own message.

Per message (its discovery name):

- ``fields``: implemented: read and applied, kept and read back;
- ``stored``: kept as given and read back as given (chart specs, rules, filters, bandings...), whatever
  they hold: Sheets draws or applies them, the emulator only keeps them;
- ``ignored``: output-only fields Google ignores in a request (a CellData read back and sent again
  carries its effectiveValue), ignored here too;
- ``values``: for an enum field, the values implemented (others are refused);
- every other field of the message is refused when set.

In update requests that carry a ``fields`` mask (repeatCell, updateCells, appendCells,
update*Properties, updateProtectedRange) only the fields the mask selects count, as in Sheets: a field
outside the mask is ignored by Google and here; a masked field that is not set is cleared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from . import discovery, fieldmask
from .formulas import FUNCTIONS, unsupported_part


@dataclass(frozen=True)
class Support:
    fields: frozenset = frozenset()
    stored: frozenset = frozenset()
    ignored: frozenset = frozenset()
    values: dict = field(default_factory=dict)


def _s(fields: str = "", stored: str = "", ignored: str = "", **values: set) -> Support:
    return Support(frozenset(fields.split()), frozenset(stored.split()), frozenset(ignored.split()), values)


ALIGN_H = {"LEFT", "CENTER", "RIGHT"}
ALIGN_V = {"TOP", "MIDDLE", "BOTTOM"}

SUPPORT: dict[str, Support] = {
    # batchUpdate and its requests
    "BatchUpdateSpreadsheetRequest": _s("requests includeSpreadsheetInResponse responseRanges responseIncludeGridData"),
    "AddSheetRequest": _s("properties"),
    "DeleteSheetRequest": _s("sheetId"),
    "DuplicateSheetRequest": _s("sourceSheetId insertSheetIndex newSheetId newSheetName"),
    "UpdateSheetPropertiesRequest": _s("properties fields"),
    "UpdateSpreadsheetPropertiesRequest": _s("properties fields"),
    "RepeatCellRequest": _s("range cell fields"),
    "UpdateCellsRequest": _s("rows fields start range"),
    "AppendCellsRequest": _s("sheetId rows fields"),
    "UpdateBordersRequest": _s("range top bottom left right innerHorizontal innerVertical"),
    "MergeCellsRequest": _s("range mergeType"),
    "UnmergeCellsRequest": _s("range"),
    "SetDataValidationRequest": _s("range", stored="rule"),
    "SortRangeRequest": _s("range sortSpecs"),
    "AddConditionalFormatRuleRequest": _s("rule index"),
    "UpdateConditionalFormatRuleRequest": _s("index sheetId rule newIndex"),
    "DeleteConditionalFormatRuleRequest": _s("index sheetId"),
    "AddProtectedRangeRequest": _s("protectedRange"),
    "UpdateProtectedRangeRequest": _s("protectedRange fields"),
    "DeleteProtectedRangeRequest": _s("protectedRangeId"),
    "AddChartRequest": _s("chart"),
    "UpdateChartSpecRequest": _s("chartId", stored="spec"),
    "DeleteEmbeddedObjectRequest": _s("objectId"),
    "UpdateDimensionPropertiesRequest": _s("range properties fields"),
    "AutoResizeDimensionsRequest": _s("dimensions"),
    "AppendDimensionRequest": _s("sheetId dimension length"),
    "InsertDimensionRequest": _s("range inheritFromBefore"),
    "DeleteDimensionRequest": _s("range"),
    "SetBasicFilterRequest": _s("filter"),
    "ClearBasicFilterRequest": _s("sheetId"),
    "AddBandingRequest": _s("bandedRange"),
    "DeleteBandingRequest": _s("bandedRangeId"),
    "AddNamedRangeRequest": _s("namedRange"),
    "DeleteNamedRangeRequest": _s("namedRangeId"),
    # the messages inside them
    "SheetProperties": _s(
        "sheetId title index sheetType gridProperties hidden tabColor tabColorStyle rightToLeft",
        ignored="dataSourceSheetProperties",
        sheetType={"GRID"},
    ),
    "GridProperties": _s("rowCount columnCount frozenRowCount frozenColumnCount hideGridlines"),
    "SpreadsheetProperties": _s("title locale autoRecalc timeZone"),
    "Color": _s("red green blue alpha"),
    "ColorStyle": _s("rgbColor"),
    "GridRange": _s("sheetId startRowIndex endRowIndex startColumnIndex endColumnIndex"),
    "GridCoordinate": _s("sheetId rowIndex columnIndex"),
    "DimensionRange": _s("sheetId dimension startIndex endIndex"),
    "DimensionProperties": _s("pixelSize hiddenByUser", ignored="hiddenByFilter dataSourceColumnReference"),
    "RowData": _s("values"),
    "CellData": _s(
        "userEnteredValue userEnteredFormat note",
        stored="dataValidation",
        ignored="effectiveValue effectiveFormat formattedValue hyperlink dataSourceFormula",
    ),
    "ExtendedValue": _s("numberValue stringValue boolValue formulaValue"),
    "CellFormat": _s(
        "numberFormat backgroundColor backgroundColorStyle borders horizontalAlignment verticalAlignment "
        "wrapStrategy textFormat",
        horizontalAlignment=ALIGN_H,
        verticalAlignment=ALIGN_V,
    ),
    "NumberFormat": _s("type pattern"),
    "TextFormat": _s(
        "foregroundColor foregroundColorStyle fontFamily fontSize bold italic strikethrough underline link"
    ),
    "Link": _s("uri"),
    "Borders": _s("top bottom left right"),
    "Border": _s("style color colorStyle", ignored="width"),  # width: deprecated, the style decides
    "SortSpec": _s("dimensionIndex sortOrder"),
    "ConditionalFormatRule": _s("ranges", stored="booleanRule gradientRule"),
    "ProtectedRange": _s(
        "protectedRangeId range description warningOnly unprotectedRanges",
        stored="editors",
        ignored="requestingUserCanEdit",
    ),
    "EmbeddedChart": _s("chartId position", stored="spec border"),
    "EmbeddedObjectPosition": _s("sheetId newSheet", stored="overlayPosition"),
    "BasicFilter": _s("range", stored="sortSpecs filterSpecs criteria"),
    "BandedRange": _s("bandedRangeId range", stored="rowProperties columnProperties", ignored="bandedRangeReference"),
    "NamedRange": _s("name namedRangeId range"),
    # spreadsheets.create and the other bodies
    "Spreadsheet": _s("properties sheets", ignored="spreadsheetId spreadsheetUrl dataSourceSchedules"),
    "Sheet": _s("properties"),
    "ValueRange": _s("range majorDimension values"),
    "BatchUpdateValuesRequest": _s(
        "valueInputOption data includeValuesInResponse responseValueRenderOption responseDateTimeRenderOption"
    ),
    "BatchClearValuesRequest": _s("ranges"),
    "ClearValuesRequest": _s(),
    "CopySheetToAnotherSpreadsheetRequest": _s("destinationSpreadsheetId"),
}

# Update requests whose `fields` mask says which fields of one of their members count.
MASKED = {
    "RepeatCellRequest": ("cell", "CellData"),
    "UpdateCellsRequest": ("rows", "CellData"),
    "AppendCellsRequest": ("rows", "CellData"),
    "UpdateSheetPropertiesRequest": ("properties", "SheetProperties"),
    "UpdateSpreadsheetPropertiesRequest": ("properties", "SpreadsheetProperties"),
    "UpdateDimensionPropertiesRequest": ("properties", "DimensionProperties"),
    "UpdateProtectedRangeRequest": ("protectedRange", "ProtectedRange"),
}


class Unsupported(Exception):
    """What a request sets that the emulator does not implement (its message names it)."""


def _unset(value: Any) -> bool:
    if value is None or value is False or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return True
    return isinstance(value, str) and value.endswith("_UNSPECIFIED")


def _ref(spec: Any) -> Optional[str]:
    while isinstance(spec, dict) and ("array" in spec or "map" in spec):
        spec = spec.get("array", spec.get("map"))
    return spec[1:] if isinstance(spec, str) and spec.startswith("@") else None


def _items(value: Any, path: str) -> list[tuple[Any, str]]:
    if isinstance(value, list):
        return [(v, f"{path}[{i}]") for i, v in enumerate(value) if isinstance(v, dict)]
    if isinstance(value, dict):
        return [(value, path)]
    return []


def check(obj: dict, schema: str, path: str = "", mask: Any = None) -> None:
    """Raise :class:`Unsupported` for the first thing ``obj`` (parsed by :func:`checks.parse_body`) sets
    that the emulator does not implement. ``mask``: a field-mask tree applying to ``obj`` (``True``:
    everything), or None."""
    schemas = discovery.sheets()["schemas"]
    support = SUPPORT.get(schema)
    if support is None:
        raise Unsupported(f"{path or schema} ({schema})")
    masked = MASKED.get(schema)
    for key, value in obj.items():
        if schema == "Color" and key == "alpha" and value is not None and value != 1:
            raise Unsupported(f"{path}.{key} ({schema}.{key}: only opaque colours)")
        if _unset(value):
            continue
        sub_mask: Any = None
        if mask is not None:
            if mask is not True:
                if "*" not in mask and key not in mask:
                    continue  # outside the mask: Google ignores it
                sub_mask = True if "*" in mask else mask[key]
            else:
                sub_mask = True
        where = f"{path}.{key}" if path else key
        if key in support.ignored or key in support.stored:
            continue
        if key not in support.fields:
            raise Unsupported(f"{where} ({schema}.{key})")
        allowed = support.values.get(key)
        if allowed is not None and value not in allowed:
            raise Unsupported(f'{where} = "{value}"')
        if schema == "ExtendedValue" and key == "formulaValue":
            part = unsupported_part(str(value))
            if part:
                computes = ", ".join(sorted(FUNCTIONS))
                raise Unsupported(
                    f"{part} in the formula {where} = {value} "
                    f"(it computes {computes}, arithmetic, comparisons, & and references)"
                )
        ref = _ref(schemas[schema][key])
        if ref is None:
            continue
        if masked and key == masked[0]:
            tree = _mask_tree(obj.get("fields"))
            _check_masked(value, ref, masked[1], where, tree)
            continue
        for item, item_path in _items(value, where):
            check(item, ref, item_path, sub_mask)


def _check_masked(value: Any, schema: str, target: str, path: str, tree: Any) -> None:
    """Walk down to the ``target`` messages (CellData under RowData...), then apply the mask."""
    for item, item_path in _items(value, path):
        if schema == target:
            check(item, schema, item_path, tree)
            continue
        fields = discovery.sheets()["schemas"][schema]
        for key, sub in item.items():
            ref = _ref(fields.get(key))
            if ref is not None and not _unset(sub):
                _check_masked(sub, ref, target, f"{item_path}.{key}", tree)


# A colour and its ``...Style`` twin are one setting: a mask naming either selects both.
TWINS = {"backgroundColor": "backgroundColorStyle", "foregroundColor": "foregroundColorStyle", "color": "colorStyle"}
TWINS.update({v: k for k, v in list(TWINS.items())})
TWINS.update({"tabColor": "tabColorStyle", "tabColorStyle": "tabColor"})


def _mask_tree(mask: Optional[str]) -> Any:
    """``a.b,c`` as {"a": {"b": True}, "c": True}; ``*`` as True."""
    if not mask:
        return {}
    tree: dict = {}
    for path in fieldmask.parse(mask):
        if path == ("*",):
            return True
        for twin in {path, path[:-1] + (TWINS.get(path[-1], path[-1]),)}:
            node = tree
            for part in twin[:-1]:
                nxt = node.get(part)
                if nxt is True:
                    break
                node = node.setdefault(part, {})
            else:
                node[twin[-1]] = True
    return tree
