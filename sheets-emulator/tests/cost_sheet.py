"""Requests that shape the emulator tests' small cost sheet (use case, cost... in A1:C3 or A1:D3), for
``batch_update``: the header row frozen, the use cases a list, and a column chart of the costs."""

from __future__ import annotations


def grid(sid: int, rows: tuple[int, int], cols: tuple[int, int]) -> dict:
    """The GridRange of `rows` x `cols` (each (start, end), end excluded) of sheet `sid`."""
    return {
        "sheetId": sid,
        "startRowIndex": rows[0],
        "endRowIndex": rows[1],
        "startColumnIndex": cols[0],
        "endColumnIndex": cols[1],
    }


def freeze_header(sid: int) -> dict:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sid, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties.frozenRowCount",
        }
    }


def use_case_choices(sid: int) -> dict:
    """A2:A3 strictly one of the use cases triage and scoring."""
    return {
        "setDataValidation": {
            "range": grid(sid, (1, 3), (0, 1)),
            "rule": {
                "condition": {
                    "type": "ONE_OF_LIST",
                    "values": [{"userEnteredValue": "triage"}, {"userEnteredValue": "scoring"}],
                },
                "strict": True,
            },
        }
    }


def cost_chart(sid: int, anchor: tuple[int, int], **basic_chart) -> dict:
    """A column chart titled Cost of B1:B3 by A1:A3, its top left corner at the cell `anchor` (row, column)."""
    return {
        "addChart": {
            "chart": {
                "spec": {
                    "title": "Cost",
                    "basicChart": {
                        "chartType": "COLUMN",
                        **basic_chart,
                        "domains": [{"domain": {"sourceRange": {"sources": [grid(sid, (0, 3), (0, 1))]}}}],
                        "series": [{"series": {"sourceRange": {"sources": [grid(sid, (0, 3), (1, 2))]}}}],
                    },
                },
                "position": {
                    "overlayPosition": {"anchorCell": {"sheetId": sid, "rowIndex": anchor[0], "columnIndex": anchor[1]}}
                },
            }
        }
    }
