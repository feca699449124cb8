"""Optimization hints: where each agent's cost per unit comes from, and which change would bring it
back under target. Pure: no clock, no I/O; every amount an exact Decimal.

Per use case and month (`UseCaseMonth`):
- the **model mix**: each model's tokens (input, cached input, output; input counts cache writes)
  and its share of the use case's tokens and of its spend at list prices (the "Model prices" tab):
  shares to 0.01 % by largest remainder, so they add up to exactly 100 %; spend shares only when
  every model is priced;
- **tokens per unit** (input, cached input, output), the **cache-read share** (cached ÷ all input),
  **requests per unit** (None unless every usage row counts requests: Anthropic's report counts
  none), review minutes per unit (human review cost ÷ the loaded hourly rate) and the **cost
  structure per unit** (each iceberg category ÷ units);
- **what-if** (`WhatIf`): the use case's tokens of one provider at each other priced model of that
  provider: its API cost per unit at list prices now and on the candidate, the saving, and the
  month's cost per unit with that change against the target ("if quality holds");
- **levers** (`Hint`), each with its saving per unit and for the month (units of the month; the
  month to date for the open month):
  * model: move the provider's traffic to the candidate that saves most (the best what-if); the
    hint says which share of it would bring the cost per unit to its target;
  * cache: raise cache reads to `Settings.cache_read_goal` of each model's input tokens (the tokens
    moved save input − cached price);
  * human review: cut review minutes per unit by `Settings.review_reduction_goal` (review cost × it);
  * retries: the cost of the month's retry-storm days above their trailing median (cost up while
    units stay flat: `anomalies`), all of it.
  Ranked by the saving for the month, the largest first; ties keep the order model, cache, human
  review, retries (then by title). A use case gets **hints** (its top three levers) when its month
  ran over target, it is yellow, red or critical now, or it is one of the month's
  `Settings.hint_top_spenders` biggest spenders. Its hints come from the month to date from the
  month's HINT_MIN_DAYS-th day on, before that from the month before (`hint_month`).

Cross-agent **benchmarks** (`benchmark_lines`): use cases with the same unit of work (words compared
as the Benchmarks tab compares them: case and a plural "s" ignored) side by side, cost and tokens
per unit, with the Benchmarks tab's external references for that unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Iterable, Mapping, Optional, Sequence, Union

from .anomalies import Anomaly
from .facts import CATEGORIES, UNALLOCATED
from .mappings import normalise_key
from .model_prices import MILLION, ModelPrice, price_for, same_name
from .money import ZERO, Splitter, show_cpu, show_money, show_percent
from .organisation import Organisation
from .periods import month_key, previous_month
from .pnl import AgentPnL
from .usage import UsageFact

LEVERS = ("model", "cache", "human_review", "retries")
HINTS_PER_USE_CASE = 3
SHARE_PLACES = 4  # shares to 0.0001 (0.01 %)
HINT_MIN_DAYS = 7  # the open month's hints once it has this many days; before, the month before's

ModelKey = tuple[str, str]  # (provider, model) as the usage facts name it
Priced = Mapping[ModelKey, Optional[ModelPrice]]  # each model's Model prices row; None when it has none
PerUnitTokens = tuple[Decimal, Decimal, Decimal]  # (input, cached input, output) per unit


def shares(weights: Sequence[Union[int, Decimal]]) -> Optional[list[Decimal]]:
    """Each weight's share of the whole to 0.0001 by largest remainder (`money.Splitter`): the shares add
    up to exactly 1 (ties: the earlier part). None when the whole is not positive. Weights: ints or
    Decimals >= 0."""
    exact = [Decimal(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("a share of a negative weight")
    if not any(w > 0 for w in exact):
        return None
    return [Decimal(n).scaleb(-SHARE_PLACES) for n in Splitter(exact).count(10**SHARE_PLACES)]


@dataclass(frozen=True)
class ModelLine:
    provider: str
    model: str
    priced_as: str  # the Model prices row it took its price from; "" when none
    input_tokens: int  # uncached input and cache writes
    cached_input_tokens: int
    output_tokens: int
    requests: Optional[int]
    token_share: Decimal
    spend_at_list: Optional[Decimal]
    spend_share: Optional[Decimal]  # None unless every model of the use case is priced


@dataclass(frozen=True)
class WhatIf:
    provider: str
    model: str  # the candidate
    current_models: str  # the provider's models the use case ran, comma separated
    api_cpu_now: Decimal  # the provider's tokens at their own models' list prices, per unit
    api_cpu_if: Decimal  # the same tokens at the candidate's list prices, per unit
    saving_per_unit: Decimal  # negative: the candidate costs more
    saving_per_month: Decimal
    total_cpu_if: Decimal  # the month's cost per unit with that change (if quality holds)
    meets_target: Optional[bool]  # None without a target


@dataclass(frozen=True)
class Hint:
    use_case: str
    month: str
    lever: str  # one of LEVERS
    title: str  # what to change, short
    detail: str  # the sentence with the numbers
    per_unit: Decimal  # saving per unit of work (exact)
    per_month: Decimal  # saving over the month's units (exact)
    rank: int = 0  # 1 = the biggest lever

    def line(self, currency: str = "USD", unit: str = "unit") -> str:
        return (
            f"{self.title}: -{show_cpu(self.per_unit, currency)} per {unit}, "
            f"-{show_money(self.per_month, currency)} this month"
        )


@dataclass(frozen=True)
class UseCaseMonth:
    use_case: str
    name: str
    team: str
    unit_of_work: str
    month: str
    complete: bool
    units: int
    cost: Decimal
    cpu: Optional[Decimal]
    target_cpu: Optional[Decimal]
    cost_per_unit_by_category: dict[str, Decimal]  # category -> cost per unit ({} without units)
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    requests: Optional[int]
    tokens_per_unit: Optional[PerUnitTokens]
    cache_read_share: Optional[Decimal]
    requests_per_unit: Optional[Decimal]
    review_minutes_per_unit: Optional[Decimal]
    mix: tuple[ModelLine, ...]  # by spend then tokens, largest first
    what_ifs: tuple[WhatIf, ...]  # by provider then saving, largest first
    levers: tuple[Hint, ...]  # ranked (every lever with a saving)
    flagged: str  # why it gets hints ("over target", "red now", "top spender"), "" when it does not
    unpriced: tuple[str, ...]  # models with no price in the Model prices tab

    @property
    def hints(self) -> tuple[Hint, ...]:
        return self.levers[:HINTS_PER_USE_CASE] if self.flagged else ()

    @property
    def biggest(self) -> Optional[Hint]:
        hints = self.hints
        return hints[0] if hints else None


@dataclass(frozen=True)
class BenchmarkLine:
    unit_of_work: str  # the group's unit (as the first use case writes it)
    name: str  # use case id, or the reference's name
    team: str  # "" for an external reference
    reference: bool
    cpu: Optional[Decimal]
    api_cpu: Optional[Decimal]
    tokens_per_unit: Optional[PerUnitTokens]
    requests_per_unit: Optional[Decimal]
    vs_best: Optional[Decimal]  # cost per unit / the lowest in the group


@dataclass(frozen=True)
class Optimization:
    currency: str
    months: tuple[str, ...]  # the months computed, oldest first
    by_month: dict[tuple[str, str], UseCaseMonth]  # (use case, month) -> its month
    current: dict[str, UseCaseMonth]  # use case -> the month its hints come from
    benchmarks: tuple[BenchmarkLine, ...]

    def hints(self, use_case: str) -> tuple[Hint, ...]:
        m = self.current.get(use_case)
        return m.hints if m is not None else ()

    def biggest(self, use_case: str, month: Optional[str] = None) -> Optional[Hint]:
        m = self.current.get(use_case) if month is None else self.by_month.get((use_case, month))
        return m.biggest if m is not None else None


# ---------------------------------------------------------------------------------------------


def _per(amount: Union[int, Decimal], units: int) -> Decimal:
    return Decimal(amount) / units


def _rank(levers: Iterable[Hint]) -> tuple[Hint, ...]:
    ordered = sorted(
        (h for h in levers if h.per_month > 0), key=lambda h: (-h.per_month, LEVERS.index(h.lever), h.title)
    )
    return tuple(
        Hint(h.use_case, h.month, h.lever, h.title, h.detail, h.per_unit, h.per_month, n)
        for n, h in enumerate(ordered, start=1)
    )


def rank(levers: Iterable[Hint]) -> tuple[Hint, ...]:
    """Levers with a saving, largest saving for the month first; ties in LEVERS order, then title."""
    return _rank(levers)


def _resolve(usage: Iterable[UsageFact], org: Organisation) -> dict[str, list[UsageFact]]:
    """use case -> its usage facts: a fact still unallocated is placed by the Mappings tab now (as the
    engine places cost), and a configured use case is the use case's whatever team the fact names."""
    known = {u.use_case_id for u in org.use_cases}
    mapping = {normalise_key(m.vendor_key): m.use_case for m in org.mappings}
    out: dict[str, list[UsageFact]] = {}
    for f in usage:
        use_case = f.use_case
        if use_case == UNALLOCATED:
            use_case = mapping.get(normalise_key(f.vendor_key), UNALLOCATED)
        if use_case in known:
            out.setdefault(use_case, []).append(f)
    return out


def _mix(
    facts: Iterable[UsageFact], prices: Sequence[ModelPrice]
) -> tuple[tuple[ModelLine, ...], dict[ModelKey, Optional[ModelPrice]], tuple[str, ...]]:
    """The lines (by spend then tokens, largest first), each model's price row and the unpriced models."""
    sums: dict[ModelKey, list[int]] = {}  # [input, cached, output]
    requests: dict[ModelKey, Optional[int]] = {}  # None once a row does not count them
    for f in facts:
        key = (f.provider, f.model)
        s = sums.setdefault(key, [0, 0, 0])
        s[0] += f.input_tokens + f.cache_write_tokens
        s[1] += f.cached_input_tokens
        s[2] += f.output_tokens
        n = requests.get(key, 0)
        requests[key] = None if n is None or f.requests is None else n + f.requests
    keys = sorted(sums)
    priced = {k: price_for(k[1], k[0], prices) for k in keys}
    spend = {k: p.cost(*sums[k]) if (p := priced[k]) else None for k in keys}
    token_shares = shares([sum(sums[k]) for k in keys]) or [ZERO] * len(keys)
    all_priced = all(priced[k] is not None for k in keys)
    # Every model priced: every spend is a Decimal (the filter drops nothing).
    spend_shares = shares([v for v in (spend[k] for k in keys) if v is not None]) if all_priced and keys else None
    lines = [
        ModelLine(
            k[0],
            k[1],
            p.model if (p := priced[k]) else "",
            sums[k][0],
            sums[k][1],
            sums[k][2],
            requests[k],
            token_shares[i],
            spend[k],
            spend_shares[i] if spend_shares else None,
        )
        for i, k in enumerate(keys)
    ]
    lines.sort(
        key=lambda m: (
            -(m.spend_at_list or ZERO),
            -(m.input_tokens + m.cached_input_tokens + m.output_tokens),
            m.provider,
            m.model,
        )
    )
    return tuple(lines), priced, tuple(k[1] for k in keys if priced[k] is None)


def _what_ifs(
    lines: Sequence[ModelLine],
    priced: Priced,
    prices: Iterable[ModelPrice],
    units: int,
    cpu: Optional[Decimal],
    target: Optional[Decimal],
) -> list[WhatIf]:
    out: list[WhatIf] = []
    for provider in sorted({m.provider for m in lines}):
        mine = [m for m in lines if m.provider == provider]
        if any(priced[(provider, m.model)] is None for m in mine):
            continue  # a model without a price: no what-if for this provider
        # Every model of the provider priced: every spend at list is a Decimal (the filter drops nothing).
        now = sum((s for s in (m.spend_at_list for m in mine) if s is not None), ZERO)
        inp = sum(m.input_tokens for m in mine)
        cached = sum(m.cached_input_tokens for m in mine)
        outp = sum(m.output_tokens for m in mine)
        current = ", ".join(m.model for m in mine)
        seen: set[str] = set()
        for candidate in prices:
            if not same_name(candidate.provider, provider) or candidate.model.strip().lower() in seen:
                continue
            seen.add(candidate.model.strip().lower())
            if all(priced[(provider, m.model)] is candidate for m in mine):
                continue  # it already runs there
            cost_if = candidate.cost(inp, cached, outp)
            saving = now - cost_if
            if cpu is None:  # a P&L row with units has a cost per unit; `None - x` raised this TypeError before
                raise TypeError("unsupported operand type(s) for -: 'NoneType' and 'decimal.Decimal'")
            total = cpu - _per(saving, units)
            out.append(
                WhatIf(
                    provider,
                    candidate.model,
                    current,
                    _per(now, units),
                    _per(cost_if, units),
                    _per(saving, units),
                    saving,
                    total,
                    None if target is None else total <= target,
                )
            )
    out.sort(key=lambda w: (w.provider, -w.saving_per_month, w.model))
    return out


def _model_lever(
    use_case: str,
    month: str,
    what_ifs: Sequence[WhatIf],
    cost: Decimal,
    units: int,
    target: Optional[Decimal],
    unit: str,
    currency: str,
) -> list[Hint]:
    levers: list[Hint] = []
    for provider in sorted({w.provider for w in what_ifs}):
        best = next((w for w in what_ifs if w.provider == provider and w.saving_per_month > 0), None)
        if best is None:
            continue
        detail = (
            f"Its {provider} tokens at {best.model}'s list prices cost {show_cpu(best.api_cpu_if, currency)} "
            f"per {unit} instead of {show_cpu(best.api_cpu_now, currency)} on {best.current_models}: "
            f"-{show_cpu(best.saving_per_unit, currency)} per {unit} (if quality holds)."
        )
        if target is not None:
            excess = cost - target * units  # the month's cost above its target
            if excess > 0 and excess < best.saving_per_month:
                share = (excess / best.saving_per_month * 100).to_integral_value(rounding=ROUND_CEILING)
                detail += (
                    f" Routing {share} % of that traffic to {best.model} brings the cost per {unit} to its "
                    f"{show_cpu(target, currency)} target."
                )
            elif excess > 0:
                detail += (
                    f" Even all of it leaves the cost per {unit} at {show_cpu(best.total_cpu_if, currency)}, "
                    f"over its {show_cpu(target, currency)} target."
                )
        levers.append(
            Hint(
                use_case,
                month,
                "model",
                f"Route {provider} traffic from {best.current_models} to {best.model}",
                detail,
                best.saving_per_unit,
                best.saving_per_month,
            )
        )
    return levers


def _cache_lever(
    use_case: str,
    month: str,
    lines: Sequence[ModelLine],
    priced: Priced,
    units: int,
    goal: Decimal,
    unit: str,
    currency: str,
) -> Optional[Hint]:
    saving, moved_all, input_all, cached_all = ZERO, ZERO, 0, 0
    for m in lines:
        p = priced.get((m.provider, m.model))
        if p is None:
            continue
        whole = m.input_tokens + m.cached_input_tokens
        input_all += whole
        cached_all += m.cached_input_tokens
        moved = min(max(goal * whole - m.cached_input_tokens, ZERO), Decimal(m.input_tokens))
        if moved > 0 and p.input_per_mtok > p.cached:
            saving += moved * (p.input_per_mtok - p.cached) / MILLION
            moved_all += moved
    if saving <= 0 or not input_all:
        return None
    share_now = Decimal(cached_all) / input_all
    detail = (
        f"Cache reads are {show_percent(share_now)} of its input tokens "
        f"({_per(input_all, units):,.0f} input tokens per {unit}); serving {show_percent(goal)} from the prompt "
        f"cache (a stable prompt prefix) saves {show_cpu(_per(saving, units), currency)} per {unit}."
    )
    return Hint(
        use_case,
        month,
        "cache",
        f"Raise cache reads to {show_percent(goal)} of input tokens",
        detail,
        _per(saving, units),
        saving,
    )


def _review_lever(
    use_case: str,
    month: str,
    review: Decimal,
    cost: Decimal,
    units: int,
    rate: Decimal,
    reduction: Decimal,
    unit: str,
    currency: str,
) -> Optional[Hint]:
    if review <= 0 or reduction <= 0 or cost <= 0:
        return None
    per_unit = _per(review, units)
    minutes = (
        f"{(per_unit / rate * 60):.1f} review minutes per {unit} at {show_money(rate, currency)} an hour = "
        if rate > 0
        else ""
    )
    saving = review * reduction
    detail = (
        f"Human review is {show_percent(review / cost)} of the cost per {unit}: {minutes}"
        f"{show_cpu(per_unit, currency)} per {unit}. Reviewing only the items that need it "
        f"({show_percent(reduction)} fewer minutes) saves {show_cpu(_per(saving, units), currency)} per {unit}."
    )
    return Hint(
        use_case,
        month,
        "human_review",
        f"Cut human review minutes per {unit} by {show_percent(reduction)}",
        detail,
        _per(saving, units),
        saving,
    )


def _retry_lever(
    use_case: str, month: str, storms: Sequence[Anomaly], units: int, unit: str, currency: str
) -> Optional[Hint]:
    if not storms:
        return None
    cost = sum((a.value - a.median for a in storms), ZERO)
    if cost <= 0:
        return None
    days = ", ".join(a.day.isoformat() for a in storms[:5]) + (" ..." if len(storms) > 5 else "")
    detail = (
        f"Cost rose while work items stayed flat on {len(storms)} day(s) ({days}): retries cost "
        f"{show_money(cost, currency)} this month, {show_cpu(_per(cost, units), currency)} per {unit}. Find the "
        "failing calls (time-outs, malformed outputs) and cap the retries."
    )
    return Hint(
        use_case, month, "retries", f"Stop the retry storm ({len(storms)} day(s))", detail, _per(cost, units), cost
    )


def use_case_month(
    org: Organisation, row: AgentPnL, usage: Sequence[UsageFact], storms: Sequence[Anomaly], flagged: str = ""
) -> UseCaseMonth:
    """One use case's month: `row` its Agent P&L row (engine.Outputs.pnl), `usage` its usage facts of
    the month, `storms` its retry-storm anomalies of the month."""
    s = org.settings
    currency = s.currency
    units, cost = row.units, row.cost
    target = row.target_cpu if row.target_cpu is not None and row.target_cpu > 0 else None
    unit = row.unit_of_work or "unit"
    lines, priced, unpriced = _mix(usage, org.model_prices)
    inp = sum(m.input_tokens for m in lines)
    cached = sum(m.cached_input_tokens for m in lines)
    outp = sum(m.output_tokens for m in lines)
    counted = [m.requests for m in lines if m.requests is not None]
    requests = sum(counted) if lines and len(counted) == len(lines) else None  # None unless every model counts them
    by_category: dict[str, Decimal] = {}
    per_unit_tokens: Optional[PerUnitTokens] = None
    requests_per_unit: Optional[Decimal] = None
    minutes: Optional[Decimal] = None
    what_ifs: list[WhatIf] = []
    levers: list[Hint] = []
    if units > 0:
        by_category = {c: _per(row.cost_by_category.get(c, ZERO), units) for c in CATEGORIES}
        if lines:
            per_unit_tokens = (_per(inp, units), _per(cached, units), _per(outp, units))
        if requests is not None:
            requests_per_unit = _per(requests, units)
        review = row.cost_by_category.get("human_review", ZERO)
        if review > 0 and s.loaded_hourly_rate > 0:
            minutes = _per(review, units) / s.loaded_hourly_rate * 60
        cpu = row.cpu
        what_ifs = _what_ifs(lines, priced, org.model_prices, units, cpu, target)
        levers += _model_lever(row.use_case, row.month, what_ifs, cost, units, target, unit, currency)
        levers += [
            h
            for h in (
                _cache_lever(row.use_case, row.month, lines, priced, units, s.cache_read_goal, unit, currency),
                _review_lever(
                    row.use_case,
                    row.month,
                    review,
                    cost,
                    units,
                    s.loaded_hourly_rate,
                    s.review_reduction_goal,
                    unit,
                    currency,
                ),
                _retry_lever(row.use_case, row.month, sorted(storms, key=lambda a: a.day), units, unit, currency),
            )
            if h is not None
        ]
    return UseCaseMonth(
        use_case=row.use_case,
        name=row.name,
        team=row.team,
        unit_of_work=row.unit_of_work,
        month=row.month,
        complete=row.complete,
        units=units,
        cost=cost,
        cpu=row.cpu,
        target_cpu=target,
        cost_per_unit_by_category=by_category,
        input_tokens=inp,
        cached_input_tokens=cached,
        output_tokens=outp,
        requests=requests,
        tokens_per_unit=per_unit_tokens,
        cache_read_share=Decimal(cached) / (inp + cached) if inp + cached else None,
        requests_per_unit=requests_per_unit,
        review_minutes_per_unit=minutes,
        mix=lines,
        what_ifs=tuple(what_ifs),
        levers=_rank(levers),
        flagged=flagged,
        unpriced=unpriced,
    )


def _flags(rows: Sequence[AgentPnL], colours: Mapping[str, Optional[str]], top: int) -> dict[str, str]:
    """use case -> why its month gets hints: over target, its colour now, or a top spender."""
    spenders = [r.use_case for r in sorted(rows, key=lambda r: (-r.cost, r.use_case)) if r.cost > 0][: max(top, 0)]
    out: dict[str, str] = {}
    for r in rows:
        why: list[str] = []
        if r.cpu is not None and r.target_cpu is not None and r.target_cpu > 0 and r.cpu > r.target_cpu:
            why.append("over target")
        if colours.get(r.use_case) in ("yellow", "red", "critical"):
            why.append(f"{colours[r.use_case]} now")
        if r.use_case in spenders:
            why.append("top spender")
        out[r.use_case] = ", ".join(why)
    return out


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower().rstrip("s") for w in text.replace("-", " ").split())


def benchmark_lines(org: Organisation, current: Mapping[str, UseCaseMonth]) -> tuple[BenchmarkLine, ...]:
    """Use cases with the same unit of work side by side (groups of two or more, or with an external
    reference for the unit), cost and tokens per unit, and the Benchmarks tab's references."""
    groups: dict[tuple[str, ...], list[UseCaseMonth]] = {}
    for m in sorted(current.values(), key=lambda m: m.use_case):
        if m.unit_of_work.strip():
            groups.setdefault(_words(m.unit_of_work), []).append(m)
    out: list[BenchmarkLine] = []
    for words, members in sorted(groups.items()):
        refs = [b for b in org.benchmarks if b.unit.lower().rstrip("s") in set(words)]
        if len(members) < 2 and not refs:
            continue
        cpus = [m.cpu for m in members if m.cpu is not None] + [b.cpu for b in refs]
        best = min(cpus) if cpus else None
        label = members[0].unit_of_work
        for m in sorted(members, key=lambda m: (m.cpu is None, m.cpu or ZERO, m.use_case)):
            api = m.cost_per_unit_by_category.get("api") if m.units else None
            out.append(
                BenchmarkLine(
                    label,
                    m.use_case,
                    m.team,
                    False,
                    m.cpu,
                    api,
                    m.tokens_per_unit,
                    m.requests_per_unit,
                    m.cpu / best if m.cpu is not None and best else None,
                )
            )
        for b in sorted(refs, key=lambda b: (b.cpu, b.name)):
            out.append(BenchmarkLine(label, b.name, "", True, b.cpu, None, None, None, b.cpu / best if best else None))
    return tuple(out)


def hint_month(rows_by_month: Mapping[str, object], today: date) -> Optional[str]:
    """The month a use case's hints come from: the month to date from its HINT_MIN_DAYS-th day on, else
    the month before (when the use case has a row for it)."""
    current, last = month_key(today), previous_month(today)
    if current in rows_by_month and (today.day >= HINT_MIN_DAYS or last not in rows_by_month):
        return current
    return last if last in rows_by_month else None


def optimize(
    org: Organisation,
    pnl: Iterable[AgentPnL],
    usage: Iterable[UsageFact],
    anomalies: Iterable[Anomaly],
    today: date,
    colours: Optional[Mapping[str, Optional[str]]] = None,
    months: Optional[Sequence[str]] = None,
) -> Optimization:
    """Every use case's months of `months` (default: the month before today's and today's): `pnl` the
    engine's Agent P&L rows, `usage` the usage facts of those months, `anomalies` the engine's,
    `colours` each use case's colour now."""
    months = tuple(sorted(months or (previous_month(today), month_key(today))))
    colours = colours or {}
    known = {u.use_case_id for u in org.use_cases}
    rows = [r for r in pnl if r.month in months and r.use_case in known]
    by_use_case = _resolve([f for f in usage if month_key(f.day) in months], org)
    storms: dict[tuple[str, str], list[Anomaly]] = {}
    for a in anomalies:
        if a.retry_storm and a.metric == "cost" and month_key(a.day) in months:
            storms.setdefault((a.use_case, month_key(a.day)), []).append(a)
    by_month: dict[tuple[str, str], UseCaseMonth] = {}
    for month in months:
        month_rows = [r for r in rows if r.month == month]
        flags = _flags(month_rows, colours, org.settings.hint_top_spenders)
        for r in month_rows:
            facts = [f for f in by_use_case.get(r.use_case, ()) if month_key(f.day) == month]
            by_month[(r.use_case, month)] = use_case_month(
                org, r, facts, storms.get((r.use_case, month), ()), flags.get(r.use_case, "")
            )
    current: dict[str, UseCaseMonth] = {}
    for uid in sorted(known):
        mine = {m: by_month[(uid, m)] for m in months if (uid, m) in by_month}
        chosen = hint_month(mine, today)
        if chosen is not None:
            current[uid] = mine[chosen]
    return Optimization(org.settings.currency, months, by_month, current, benchmark_lines(org, current))
