"""Dataclasses <-> DynamoDB attribute values, exactly (Decimal stays Decimal, dates as ISO text)."""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from decimal import Decimal
from functools import lru_cache


def to_item(obj) -> dict:
    item = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None or value == "" or value == ():
            continue  # DynamoDB keeps no empty strings in keys; absent means default
        item[f.name] = _encode(value)
    return item


def _encode(value):
    if isinstance(value, bool) or isinstance(value, (str, Decimal)):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return to_item(value)
    raise TypeError(f"cannot store {type(value).__name__}")


@lru_cache(maxsize=None)
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def from_item(cls, item: dict):
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in item:
            kwargs[f.name] = _decode(hints[f.name], item[f.name])
        elif (
            f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
            and typing.get_origin(hints[f.name]) is tuple
        ):
            kwargs[f.name] = ()  # stored without it: to_item leaves empty tuples out
    return cls(**kwargs)


def _decode(hint, value):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], value) if value is not None else None
    if origin is tuple:
        return tuple(_decode(args[0], v) for v in value)
    if origin is dict or hint is dict:
        return dict(value)
    if hint is Decimal:
        return Decimal(value)
    if hint is int:
        return int(value)
    if hint is bool:
        return bool(value)
    if hint is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(hint):
        return from_item(hint, value)
    return value
