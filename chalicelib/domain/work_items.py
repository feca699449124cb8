"""A team's report that one unit of work was completed, and the rules it must meet.

Pure: the caller passes `now`, and the set of use cases the caller's team owns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Mapping, NoReturn, Sequence, Union

MAX_ITEMS = 500
MAX_BODY_BYTES = 1_000_000
MAX_ID_CHARS = 128
MAX_ATTRIBUTES_BYTES = 2048
MAX_REVIEW_MINUTES = Decimal(1440)
FUTURE_SLACK = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
STATUSES = ("success", "failure")
FIELDS = ("work_item_id", "use_case", "completed_at", "status", "human_review_minutes", "attributes")

# RFC 3339 date-time: an offset is required (a bare local time is ambiguous for UTC days).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class WorkItem:
    work_item_id: str
    use_case: str
    completed_at: datetime  # aware, UTC
    status: str
    human_review_minutes: Decimal = Decimal(0)
    attributes_json: str = "{}"

    @property
    def day(self) -> str:
        return self.completed_at.date().isoformat()


@dataclass(frozen=True)
class Rejection:
    field: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


class BadBatch(ValueError):
    """The request as a whole is unusable (not JSON, no items, too many, too large)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number JSON allows")


def _parse_int(text: str) -> Union[int, Decimal]:
    """A JSON integer; past Python's int-parsing limit (4,300 digits) a Decimal, so the item
    holding it is rejected on its field rather than the whole body refused."""
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


def is_text(value: str) -> bool:
    """Whether a string is Unicode text that can be stored and sent back: no lone surrogate
    (JSON's \\ud800 escape decodes to one, and UTF-8 cannot encode it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _field_name(name: str) -> str:
    """An unknown field's name as the answer shows it: at most 64 characters, always valid text."""
    name = name[:64]
    if not is_text(name):
        name = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return name or '""'


def parse_batch(raw: Union[bytes, str, None]) -> list[Any]:
    """The request body as a list of raw items (JSON values, checked by `validate_item`), or BadBatch saying
    what is wrong with it."""
    if raw is None or len(raw) == 0:
        raise BadBatch('request body is empty: send {"items": [...]}')
    if len(raw) > MAX_BODY_BYTES:
        raise BadBatch(f"request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}", status=413)
    try:
        body = json.loads(raw, parse_float=Decimal, parse_int=_parse_int, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadBatch(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadBatch('request body must be a JSON object with an "items" array')
    items = body.get("items")
    if not isinstance(items, list):
        raise BadBatch('"items" is missing or is not an array')
    if not items:
        raise BadBatch('"items" is empty: send 1 to 500 work items')
    if len(items) > MAX_ITEMS:
        raise BadBatch(f'"items" has {len(items)} work items; the limit is {MAX_ITEMS} per request')
    return items


def validate_item(raw: Any, own_use_cases: Mapping[str, Any], now: datetime) -> Union[WorkItem, Rejection]:
    """One raw item -> WorkItem, or the first Rejection naming the field and the reason."""
    if not isinstance(raw, dict):
        return Rejection("item", "must be a JSON object")
    unknown = sorted(k for k in raw if k not in FIELDS)
    if unknown:
        return Rejection(_field_name(unknown[0]), f"unknown field; allowed: {', '.join(FIELDS)}")

    work_item_id = raw.get("work_item_id")
    if not isinstance(work_item_id, str):
        return Rejection("work_item_id", "required, a string")
    if not 1 <= len(work_item_id) <= MAX_ID_CHARS:
        return Rejection("work_item_id", f"must be 1 to {MAX_ID_CHARS} characters")
    if not work_item_id.isprintable():
        return Rejection("work_item_id", "must contain printable characters only")

    use_case = raw.get("use_case")
    if not isinstance(use_case, str) or not use_case:
        return Rejection("use_case", "required, a string")
    if use_case not in own_use_cases:
        # Same answer whether it belongs to another team or to nobody: reveal nothing.
        return Rejection("use_case", "unknown use case for this team")

    completed = _parse_completed_at(raw.get("completed_at"), now)
    if isinstance(completed, Rejection):
        return completed

    status = raw.get("status")
    if status not in STATUSES:
        return Rejection("status", "required, one of: success, failure")

    minutes = Decimal(0)
    if raw.get("human_review_minutes") is not None:
        minutes_or_error = _parse_minutes(raw["human_review_minutes"])
        if isinstance(minutes_or_error, Rejection):
            return minutes_or_error
        minutes = minutes_or_error

    attributes_json = "{}"
    if raw.get("attributes") is not None:
        attributes = raw["attributes"]
        if not isinstance(attributes, dict):
            return Rejection("attributes", "must be a JSON object")
        try:
            attributes_json = json.dumps(attributes, separators=(",", ":"), ensure_ascii=False, default=str)
        except (ValueError, RecursionError):
            return Rejection("attributes", "cannot be encoded as JSON")
        try:
            size = len(attributes_json.encode("utf-8"))
        except UnicodeEncodeError as exc:
            return Rejection(
                "attributes",
                f"must be valid Unicode text: a lone surrogate ({exc.object[exc.start]!a}) is not a character",
            )
        if size > MAX_ATTRIBUTES_BYTES:
            return Rejection("attributes", f"must be at most {MAX_ATTRIBUTES_BYTES} bytes as JSON")

    return WorkItem(work_item_id, use_case, completed, status, minutes, attributes_json)


def _parse_completed_at(value: Any, now: datetime) -> Union[datetime, Rejection]:
    if not isinstance(value, str) or not _RFC3339.match(value):
        return Rejection("completed_at", "required, an RFC 3339 date-time with offset, e.g. 2026-11-23T14:05:00Z")
    try:
        completed = datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return Rejection("completed_at", "is not a real date and time")
    if completed < EARLIEST:
        return Rejection("completed_at", f"is before {EARLIEST:%Y-%m-%d}: not a plausible completion")
    if completed > now + FUTURE_SLACK:
        return Rejection("completed_at", "is more than 5 minutes in the future")
    return completed


def _parse_minutes(value: Any) -> Union[Decimal, Rejection]:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return Rejection("human_review_minutes", "must be a number")
    try:
        minutes = Decimal(value)
    except InvalidOperation:
        return Rejection("human_review_minutes", "must be a number")
    if not minutes.is_finite() or minutes < 0 or minutes > MAX_REVIEW_MINUTES:
        return Rejection("human_review_minutes", "must be between 0 and 1440")
    # Minutes are kept to the hundredth (0.6 s): every stored value is one DynamoDB can hold.
    return minutes.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def dedupe_last_wins(items: Sequence[Union[WorkItem, Rejection]]) -> dict[tuple[str, str], int]:
    """Index of each valid item's final occurrence in the batch, by (use case, work item id): a later repeat
    wins."""
    last: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        if isinstance(item, WorkItem):
            last[(item.use_case, item.work_item_id)] = index
    return last
