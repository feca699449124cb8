"""Field masks: ``fields=sheets.properties(title,sheetId)`` on GETs, and the
``fields`` of update requests (``gridProperties/rowCount``,
``userEnteredFormat(backgroundColor,textFormat)``, ``*``)."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from .errors import ApiError

Path = tuple[str, ...]


def parse(mask: str) -> list[Path]:
    """``a.b,c(d,e/f)`` -> [(a,b), (c,d), (c,e,f)]."""
    return list(_parsed(mask or ""))


@lru_cache(maxsize=256)
def _parsed(mask: str) -> tuple[Path, ...]:
    # One request applies the same mask to every cell it writes: parse each mask once.
    mask = mask.replace(" ", "")
    paths, i = _parse_list(mask, 0, ())
    if i != len(mask):
        raise ApiError(400, f"Invalid field selection {mask}")
    return tuple(paths)


def _parse_list(mask: str, i: int, prefix: Path) -> tuple[list[Path], int]:
    paths: list[Path] = []
    while i < len(mask):
        path: list[str] = []
        name = []
        while i < len(mask) and mask[i] not in ",()":
            ch = mask[i]
            if ch in "./":
                path.append("".join(name))
                name = []
            else:
                name.append(ch)
            i += 1
        if name:
            path.append("".join(name))
        if i < len(mask) and mask[i] == "(":
            sub, i = _parse_list(mask, i + 1, prefix + tuple(path))
            if i >= len(mask) or mask[i] != ")":
                raise ApiError(400, f"Invalid field selection {mask}")
            i += 1
            paths.extend(sub)
        elif path:
            paths.append(prefix + tuple(path))
        if i < len(mask) and mask[i] == ",":
            i += 1
            continue
        if i < len(mask) and mask[i] == ")":
            return paths, i
    return paths, i


def _tree(paths: list[Path]) -> dict:
    """Paths as a nested dict; ``True`` marks a fully selected subtree."""
    tree: dict = {}
    for path in paths:
        node = tree
        for part in path[:-1]:
            nxt = node.get(part)
            if nxt is True:
                break
            if nxt is None:
                nxt = node[part] = {}
            node = nxt
        else:
            node[path[-1]] = True
    return tree


def select(obj: Any, mask: str | None) -> Any:
    """Keep only the masked fields of a response (``*`` keeps everything)."""
    if not mask or mask.strip() == "*":
        return obj
    return _select(obj, _tree(parse(mask)))


def _select(obj: Any, tree: Any) -> Any:
    if tree is True or "*" in tree:
        return obj
    if isinstance(obj, list):
        return [_select(item, tree) for item in obj]
    if isinstance(obj, dict):
        out = {}
        for key, sub in tree.items():
            if key in obj:
                out[key] = _select(obj[key], sub)
        return out
    return obj


def mask_wants(mask: str | None, *prefix: str) -> bool:
    """Does the mask ask for anything under ``prefix`` (e.g. sheets.data)?"""
    if not mask:
        return False
    for path in parse(mask):
        if path == ("*",):
            return True
        n = min(len(path), len(prefix))
        if path[:n] == prefix[:n]:
            return True
    return False


def apply_update(dest: dict, src: dict, mask: str, *, what: str = "fields") -> None:
    """Copy the masked fields of ``src`` into ``dest``; masked fields absent
    from ``src`` are cleared (the update semantics of Sheets requests)."""
    if mask is None or mask == "":
        raise ApiError(400, f"At least one field must be specified in '{what}'.")
    for path in parse(mask):
        if path == ("*",):
            dest.clear()
            dest.update(copy.deepcopy(src))
            continue
        value: Any = src
        found = True
        for part in path:
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                found = False
                break
        if found:
            node = dest
            for part in path[:-1]:
                nxt = node.get(part)
                # copy on write: nested dicts may be shared between cells
                nxt = dict(nxt) if isinstance(nxt, dict) else {}
                node[part] = nxt
                node = nxt
            node[path[-1]] = copy.deepcopy(value)
        else:
            _delete(dest, path)


def _delete(dest: dict, path: Path) -> None:
    node = dest
    parents = []
    for part in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(part), dict):
            return
        parents.append((node, part))
        node[part] = dict(node[part])  # copy on write, as above
        node = node[part]
    node.pop(path[-1], None)
    for parent, key in reversed(parents):
        if isinstance(parent.get(key), dict) and not parent[key]:
            del parent[key]
