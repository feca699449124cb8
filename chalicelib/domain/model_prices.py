"""Model list prices: what the "Model prices" input tab holds, and how a usage row finds its price.

A row is one model of one provider with its price per million tokens: input (uncached), cached
input (cache reads) and output, the day the prices were read ("prices as of") and where (source).
Finance edits the tab; `sheet init` fills it with `DEFAULT_MODEL_PRICES`, a dated snapshot of the
providers' public list prices for the models the demo uses (and a few neighbours to compare with).

A usage row's model finds its price by name (`price_for`): the row whose model is the same
(letter case ignored), else the longest priced name the model starts with followed by "-", ":" or
"@" (the dated snapshot "gpt-4o-2024-08-06" takes the price of "gpt-4o", not of "gpt-4"; a
fine-tuned "ft:gpt-4o-mini-2024-07-18:acme::x1" that of "ft:gpt-4o-mini"), of the same provider.
Cache writes are priced as input (OpenAI bills them so; Anthropic bills 1.25x or 2x input for
them, which these figures leave out). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Optional

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class ModelPrice:
    model: str
    provider: str
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Optional[Decimal] = None  # blank: cache reads cost as input
    prices_as_of: Optional[date] = None
    source: str = ""

    @property
    def cached(self) -> Decimal:
        return self.cached_input_per_mtok if self.cached_input_per_mtok is not None else self.input_per_mtok

    def cost(self, input_tokens: int, cached_input_tokens: int, output_tokens: int) -> Decimal:
        """The list price of these tokens, exactly (input includes cache writes)."""
        return (
            input_tokens * self.input_per_mtok
            + cached_input_tokens * self.cached
            + output_tokens * self.output_per_mtok
        ) / MILLION


_AS_OF = date(2025, 6, 1)
_OPENAI = "https://openai.com/api/pricing/ (standard tier, per 1M tokens)"
_ANTHROPIC = "https://www.anthropic.com/pricing#api (per 1M tokens; cached input = cache read)"


def _p(model: str, provider: str, inp: str, cached: str, out: str, source: str) -> ModelPrice:
    return ModelPrice(model, provider, Decimal(inp), Decimal(out), Decimal(cached), _AS_OF, source)


# A dated snapshot of public list prices (USD per million tokens) for the demo's models and their
# neighbours: finance keeps the tab current.
DEFAULT_MODEL_PRICES = (
    _p("gpt-4o", "OpenAI", "2.50", "1.25", "10.00", _OPENAI),
    _p("gpt-4o-mini", "OpenAI", "0.15", "0.075", "0.60", _OPENAI),
    _p("ft:gpt-4o-mini", "OpenAI", "0.30", "0.15", "1.20", _OPENAI + "; fine-tuned inference"),
    _p("gpt-4.1", "OpenAI", "2.00", "0.50", "8.00", _OPENAI),
    _p("gpt-4.1-mini", "OpenAI", "0.40", "0.10", "1.60", _OPENAI),
    _p("claude-opus-4", "Anthropic", "15", "1.50", "75", _ANTHROPIC),
    _p("claude-sonnet-4", "Anthropic", "3", "0.30", "15", _ANTHROPIC),
    _p("claude-3-5-haiku", "Anthropic", "0.80", "0.08", "4", _ANTHROPIC),
)

_SEPARATORS = "-:@"


def same_name(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def price_for(model: str, provider: str, prices: Iterable[ModelPrice]) -> Optional[ModelPrice]:
    """The price row of `model` (see the module doc), or None when the tab has none."""
    name = model.strip().lower()
    best: Optional[ModelPrice] = None
    for p in prices:
        if not same_name(p.provider, provider):
            continue
        priced = p.model.strip().lower()
        if not priced:
            continue
        if priced == name:
            return p
        if name.startswith(priced) and name[len(priced)] in _SEPARATORS:
            if best is None or len(priced) > len(best.model.strip()):
                best = p
    return best
