"""The emulators' usage reports, derived from the very cost rows they serve, so usage and cost agree.

OpenAI: a cost row whose line item is ``"<model>, input"``, ``"<model>, cached input"`` or
``"<model>, output"`` holds that many tokens of that model: its ``quantity`` (``quantity_unit``
"tokens"), else its dollars at the model's list price (`DEFAULT_MODEL_PRICES`). Model requests are
the rows' ``num_model_requests`` when they carry one (an emulator-only field, never served in the
costs answer), else one per `PROMPT_TOKENS` input tokens, rounded up.

Anthropic: a cost row (``model``, ``token_type``, ``amount`` in cents) holds its ``tokens`` when it
carries them (emulator-only), else its dollars at the model's list price for that token type:
``uncached_input_tokens`` at the input price, ``cache_read_input_tokens`` at the cached price,
``output_tokens`` at the output price, ``cache_creation.ephemeral_5m_input_tokens`` at 1.25x and
``cache_creation.ephemeral_1h_input_tokens`` at 2x the input price (Anthropic's cache-write prices).

A day the costs restate (``Faults.restate``, a factor by project or workspace) has its tokens and
requests restated by the same factor (rounded to whole tokens): the same day told again, consistently.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Callable, Iterable, Optional

from chalicelib.domain.model_prices import DEFAULT_MODEL_PRICES, MILLION, price_for

PROMPT_TOKENS = 25_000  # input tokens of an average request in the demo
OPENAI_KINDS = {"input": "input", "cached input": "cached", "output": "output"}
ANTHROPIC_TYPES = {
    "uncached_input_tokens": ("input", Decimal(1)),
    "cache_read_input_tokens": ("cached", Decimal(1)),
    "output_tokens": ("output", Decimal(1)),
    "cache_creation.ephemeral_5m_input_tokens": ("write_5m", Decimal("1.25")),
    "cache_creation.ephemeral_1h_input_tokens": ("write_1h", Decimal(2)),
}
COUNTS = ("input", "cached", "write_5m", "write_1h", "output", "requests")


def _whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def _tokens_at_price(dollars: Decimal, per_mtok: Decimal) -> int:
    return _whole(dollars / per_mtok * MILLION) if per_mtok > 0 else 0


def openai_usage(
    cost_rows: Iterable[dict], factor: Callable[[Optional[str]], Decimal], prices=DEFAULT_MODEL_PRICES
) -> list[dict]:
    """{project_id, api_key_id, model, input, cached, write_5m, write_1h, output, requests} per
    (project, API key, model) from a day's OpenAI cost rows; `factor(project)` restates."""
    sums: dict = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    explicit: dict = defaultdict(int)
    has_explicit: set = set()
    for row in cost_rows:
        item = row.get("line_item") or ""
        model, _, kind = item.rpartition(", ")
        if not model or kind not in OPENAI_KINDS:
            continue
        project = row.get("project_id")
        key = (project, row.get("api_key_id"), model)
        if row.get("quantity_unit") == "tokens" and row.get("quantity") is not None:
            tokens = int(row["quantity"])
        else:
            price = price_for(model, "OpenAI", prices)
            if price is None:
                continue
            per = {"input": price.input_per_mtok, "cached": price.cached, "output": price.output_per_mtok}
            tokens = _tokens_at_price(Decimal(row["amount"]["value"]), per[OPENAI_KINDS[kind]])
        f = factor(project)
        sums[key][OPENAI_KINDS[kind]] += _whole(tokens * f) if f != 1 else tokens
        if row.get("num_model_requests") is not None:
            has_explicit.add(key)
            explicit[key] += _whole(int(row["num_model_requests"]) * f)
    out = []
    for key, counts in sums.items():
        prompt = counts["input"] + counts["cached"]
        counts["requests"] = (
            explicit[key]
            if key in has_explicit
            else int((Decimal(prompt) / PROMPT_TOKENS).to_integral_value(rounding=ROUND_CEILING))
        )
        out.append({"project_id": key[0], "api_key_id": key[1], "model": key[2], **counts})
    return out


def anthropic_usage(
    cost_rows: Iterable[dict], factor: Callable[[Optional[str]], Decimal], prices=DEFAULT_MODEL_PRICES
) -> list[dict]:
    """{workspace_id, api_key_id, model, service_tier, context_window, input, cached, write_5m, write_1h,
    output} per (workspace, model, tier, context window) from a day's Anthropic cost rows."""
    sums: dict = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for row in cost_rows:
        kind = ANTHROPIC_TYPES.get(row.get("token_type") or "")
        model = row.get("model")
        if kind is None or not model:
            continue
        workspace = row.get("workspace_id")
        key = (workspace, row.get("api_key_id"), model, row.get("service_tier"), row.get("context_window"))
        if row.get("tokens") is not None:
            tokens = int(row["tokens"])
        else:
            price = price_for(model, "Anthropic", prices)
            if price is None:
                continue
            base = {"input": price.input_per_mtok, "cached": price.cached, "output": price.output_per_mtok}.get(
                kind[0], price.input_per_mtok
            )
            tokens = _tokens_at_price(Decimal(row["amount"]).scaleb(-2), base * kind[1])
        f = factor(workspace or "default")
        sums[key][kind[0]] += _whole(tokens * f) if f != 1 else tokens
    return [
        {
            "workspace_id": k[0],
            "api_key_id": k[1],
            "model": k[2],
            "service_tier": k[3],
            "context_window": k[4],
            **counts,
        }
        for k, counts in sums.items()
    ]


def counts_by_group(rows: Iterable[dict], fields: tuple, group_by: set, keep: Callable[[dict], bool]) -> dict:
    """The `COUNTS` of the usage rows `keep` keeps, summed by the `fields` grouped by (the others None):
    {key tuple in `fields` order: {count name: total}}, in the order the keys first appear."""
    grouped: dict[tuple, dict[str, int]] = {}
    for row in rows:
        if not keep(row):
            continue
        key = tuple(row.get(f) if f in group_by else None for f in fields)
        counts = grouped.setdefault(key, dict.fromkeys(COUNTS, 0))
        for name in COUNTS:
            counts[name] += row[name]
    return grouped
