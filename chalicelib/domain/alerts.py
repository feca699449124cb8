"""Alert episodes and the emails they send: one email per episode and escalation, never a resend.

An episode opens when a rule first breaches and stays open while it holds; it remembers its
first day (`since`) and the highest level it reached. The email of an episode and level has a
deterministic key (`Notice.key`): the outbox holds each key once, so a rerun never resends.

- SLO (per use case): red opens an episode (owner + team lead); critical opens or escalates it
  (also finance and the CFO list: the agent is paused). It closes with a recovery email (to the
  same people as its highest level) once the colour is green or yellow and the agent is not
  paused. No colour (no target, or counts not reported) neither escalates nor recovers: no
  verdict without the data behind it.
- Approval required (per use case and month): the forecast lands above the approved tier: owner
  and finance (and the CFO list for T3).
- Budget (per use case or team, month and level): the forecast above the monthly budget, then the
  month to date above it: owner and team lead (use case), team lead and finance (team).
- Reminder (per use case and decision date): the experiment's decision date has passed with no
  decision: the owner.
A notice with no recipient (nobody's email in the sheet) is not sent; it is an alert row
("recipients missing") so finance can fill the sheet in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

from .closed_month_budgets import ClosedMonthOverrun
from .money import show_cpu, show_money, show_percent
from .notices import Notice
from .organisation import Organisation
from .periods import week_label

if TYPE_CHECKING:  # annotations only: the engine's outputs are what the alerts read
    from .engine import Outputs, UseCaseStatus
    from .optimization import Hint

SLO_LEVELS = ("red", "critical")


@dataclass(frozen=True)
class Episode:
    """An open (or just closed) alert, kept between runs; GET /v1/alerts lists the open ones."""

    key: str  # "slo:<use case>", "approval:<use case>:<month>", "budget:team:<team>:<month>", ...
    kind: str  # slo | approval | budget | reminder | recipients
    level: str  # slo: red | critical (the highest reached); budget: forecast | spent; else the kind
    since: date
    use_case: str = ""
    team: str = ""
    reason: str = ""
    open: bool = True
    closed_on: Optional[date] = None
    paused_since: Optional[date] = None  # slo: the pause the last critical email was about


@dataclass(frozen=True)
class Evaluation:
    episodes: tuple[Episode, ...]  # every open one, and those closed by this run
    notices: tuple[Notice, ...]  # the emails this evaluation calls for (the outbox drops repeats)
    missing_recipients: tuple[Notice, ...]  # called for, but nobody to send them to


def _unique(*groups: Sequence[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for group in groups:
        for address in group:
            address = (address or "").strip()
            if address and address.lower() not in {s.lower() for s in seen}:
                seen.append(address)
    return tuple(seen)


class _Recipients:
    def __init__(self, org: Organisation) -> None:
        self.leads = {t.team_id: t.lead_email for t in org.teams}
        self.owners = {u.use_case_id: u.owner_email for u in org.use_cases}
        self.finance = tuple(org.settings.alert_emails_finance)
        self.cfo = tuple(org.settings.alert_emails_cfo)

    def slo(self, st: UseCaseStatus, level: str) -> tuple[str, ...]:
        base = (st.owner_email, self.leads.get(st.team, ""))
        return _unique(base, self.finance, self.cfo) if level == "critical" else _unique(base)


def evaluate(
    out: Outputs,
    org: Organisation,
    previous: Mapping[str, Episode],
    today: date,
    closed_month: Sequence[ClosedMonthOverrun] = (),
    closed_levels: Optional[Mapping[str, str]] = None,
) -> Evaluation:
    """Alert episodes after this run and the notices they call for (pure: the caller stores and sends).

    `closed_month`: the previous month's budget overruns on its final figures
    (`closed_month_budgets.overruns`); `closed_levels`: the level of each of their episodes that was
    already closed (an episode still open is in `previous`)."""
    who = _Recipients(org)
    cur = out.currency
    month = out.month
    episodes: dict[str, Episode] = {k: e for k, e in previous.items() if e.open}
    notices: list[Notice] = []

    optimization = getattr(out, "optimization", None)
    for st in out.statuses.values():
        _slo(st, episodes, notices, who, cur, today, optimization.hints(st.use_case) if optimization else ())
        if st.approval_required:
            key = f"approval:{st.use_case}:{month}"
            if key not in episodes:
                episodes[key] = Episode(
                    key,
                    "approval",
                    st.forecast_tier,
                    today,
                    st.use_case,
                    st.team,
                    f"forecast in {st.forecast_tier}, approved {st.approved_tier}",
                )
                notices.append(_approval(st, key, who, cur, today))
        for flag, level in (("forecast over budget", "forecast"), ("over budget", "spent")):
            if flag in st.flags:
                key = f"budget:use_case:{st.use_case}:{month}"
                episode = episodes.get(key)
                if episode is None or (episode.level == "forecast" and level == "spent"):
                    episodes[key] = Episode(
                        key,
                        "budget",
                        level,
                        episode.since if episode else today,
                        st.use_case,
                        st.team,
                        f"use case {level} over its monthly budget",
                    )
                    notices.append(
                        _budget(
                            f"{key}:{level}",
                            level,
                            st.name or st.use_case,
                            st.month_to_date_cost,
                            st.forecast,
                            st.budget,
                            _unique((st.owner_email, who.leads.get(st.team, ""))),
                            cur,
                            today,
                            st.use_case,
                            st.team,
                        )
                    )
    for t in out.teams:
        if t.budget is None:
            continue
        team_level = "spent" if t.month_to_date_cost > t.budget else "forecast" if t.forecast_over_budget else None
        if team_level is None:
            continue
        key = f"budget:team:{t.team}:{month}"
        episode = episodes.get(key)
        if episode is None or (episode.level == "forecast" and team_level == "spent"):
            episodes[key] = Episode(
                key,
                "budget",
                team_level,
                episode.since if episode else today,
                "",
                t.team,
                f"team {team_level} over its monthly budget",
            )
            notices.append(
                _budget(
                    f"{key}:{team_level}",
                    team_level,
                    f"team {t.name or t.team}",
                    t.month_to_date_cost,
                    t.forecast,
                    t.budget,
                    _unique((t.lead_email,), who.finance),
                    cur,
                    today,
                    "",
                    t.team,
                )
            )
    for o in closed_month:
        _late_budget(o, episodes, (closed_levels or {}).get(o.key), notices, who, cur, today)
    for r in out.reminders:
        key = f"reminder:{r.use_case}:{r.decision_date.isoformat()}"
        if key not in episodes:
            episodes[key] = Episode(key, "reminder", "reminder", today, r.use_case, "", r.message)
            notices.append(
                Notice(
                    key=key,
                    kind="reminder",
                    recipients=_unique((r.owner_email,)),
                    subject=f"Decision overdue: {r.use_case} (decision date {r.decision_date.isoformat()})",
                    headline=r.message,
                    numbers=(("Decision date", r.decision_date.isoformat()),),
                    actions=("Write the decision (continue or retire) in the Use cases tab of the sheet.",),
                    use_case=r.use_case,
                )
            )
    # Month-scoped episodes of earlier months close with their month; reminders once decided.
    for key, e in list(episodes.items()):
        if e.open and e.kind in ("approval", "budget") and not key.endswith(f":{month}"):
            episodes[key] = replace(e, open=False, closed_on=today)
        if (
            e.open
            and e.kind == "reminder"
            and not any(key == f"reminder:{r.use_case}:{r.decision_date.isoformat()}" for r in out.reminders)
        ):
            episodes[key] = replace(e, open=False, closed_on=today)
    missing = tuple(n for n in notices if not n.recipients)
    for n in missing:
        # Nobody to tell: the change this notice announces is not recorded, so once the sheet names
        # someone the next run finds it again and sends it; meanwhile finance sees a "recipients" alert.
        origin = _episode_of(n)
        if origin in previous:
            episodes[origin] = previous[origin]
        else:
            episodes.pop(origin, None)
        key = f"recipients:{n.key}"
        episodes.setdefault(
            key,
            Episode(
                key,
                "recipients",
                "recipients",
                today,
                n.use_case,
                n.team,
                f"no e-mail address for {n.kind} alert '{n.subject}': fill in the "
                "owner, team lead or alert e-mails in the sheet",
            ),
        )
    wanted = {f"recipients:{n.key}" for n in missing}
    for key, e in list(episodes.items()):
        if key.startswith(("recipients:digest:", "recipients:board:")):
            continue  # the digest and the board report close their own, when one is sent
        if e.kind == "recipients" and e.open and key not in wanted:
            episodes[key] = replace(e, open=False, closed_on=today)  # sent since, or no longer called for
    return Evaluation(
        tuple(sorted(episodes.values(), key=lambda e: e.key)), tuple(n for n in notices if n.recipients), missing
    )


def _late_budget(
    o: ClosedMonthOverrun,
    episodes: dict[str, Episode],
    closed_level: Optional[str],
    notices: list[Notice],
    who: _Recipients,
    cur: str,
    today: date,
) -> None:
    """The closed month's overrun, emailed once unless its "spent" email went out while it was open.
    The episode is recorded closed (its month is over) at the "spent" level, so later runs stay quiet."""
    episode = episodes.get(o.key)
    if (episode.level if episode else closed_level) == "spent":
        return
    episodes[o.key] = Episode(
        o.key,
        "budget",
        "spent",
        episode.since if episode else today,
        o.use_case,
        o.team,
        f"{'use case' if o.use_case else 'team'} spent over its {o.month} budget",
        open=False,
        closed_on=today,
    )
    if o.use_case:
        recipients = _unique((_owner(who, o.use_case), who.leads.get(o.team, "")))
    else:
        recipients = _unique((who.leads.get(o.team, ""),), who.finance)
    notices.append(
        Notice(
            key=f"{o.key}:spent",
            kind="budget",
            recipients=recipients,
            subject=f"Budget: {o.name} has spent more than its monthly budget",
            headline=(
                f"{o.name} has spent more than its {o.month} budget {show_money(o.budget, cur)}: the month "
                f"closed at {show_money(o.spent, cur)}. Spend that arrived after the month ended took it over."
            ),
            numbers=(
                (f"Spend, {o.month}", show_money(o.spent, cur)),
                ("Monthly budget", show_money(o.budget, cur)),
                ("Over by", show_money(o.spent - o.budget, cur)),
            ),
            actions=(
                "Review the month in the sheet; raise next month's budget (with an Effective from date) "
                "or bring the spend down.",
            ),
            use_case=o.use_case,
            team=o.team,
        )
    )


def _owner(who: _Recipients, use_case: str) -> str:
    return who.owners.get(use_case, "")


def _episode_of(n: Notice) -> str:
    """The episode a notice announces a change of (its key without the level or tier)."""
    if n.kind in ("red", "critical", "recovery"):
        return ":".join(n.key.split(":")[:2])  # slo:<use case>
    if n.kind in ("approval", "budget"):
        return n.key.rsplit(":", 1)[0]
    return n.key


def _slo(
    st: UseCaseStatus,
    episodes: dict[str, Episode],
    notices: list[Notice],
    who: _Recipients,
    cur: str,
    today: date,
    hints: tuple[Hint, ...] = (),
) -> None:
    key = f"slo:{st.use_case}"
    episode = episodes.get(key)
    level = (
        "critical"
        if st.colour == "critical" or (st.paused and st.critical_since)
        else "red"
        if st.colour == "red"
        else None
    )
    if level is not None:
        if episode is None:
            episodes[key] = Episode(
                key,
                "slo",
                level,
                today,
                st.use_case,
                st.team,
                st.reason,
                paused_since=st.critical_since if level == "critical" else None,
            )
            notices.append(_slo_notice(st, level, today, who, cur, hints))
        elif SLO_LEVELS.index(level) > SLO_LEVELS.index(episode.level):
            episodes[key] = replace(episode, level=level, reason=st.reason, paused_since=st.critical_since)
            notices.append(_slo_notice(st, level, episode.since, who, cur, hints))
        else:
            episodes[key] = replace(episode, reason=st.reason)
            if level == "critical" and st.paused and st.critical_since and st.critical_since != episode.paused_since:
                # Paused again after finance cleared an earlier pause in this episode: a new pause is a
                # new email (its key names the day this pause began).
                episodes[key] = replace(episodes[key], paused_since=st.critical_since)
                notices.append(_slo_notice(st, level, episode.since, who, cur, hints))
    elif episode is not None and st.colour in ("green", "yellow") and not st.paused:
        episodes[key] = replace(episode, open=False, closed_on=today, reason=st.reason)
        notices.append(
            Notice(
                key=f"{key}:{episode.since.isoformat()}:recovery",
                kind="recovery",
                recipients=who.slo(st, episode.level),
                subject=f"Recovered: {st.name or st.use_case} is {st.colour} again",
                headline=(
                    f"{st.name or st.use_case} is back to {st.colour}: the {episode.level} episode that began "
                    f"on {episode.since.isoformat()} is closed."
                ),
                numbers=_cpu_numbers(st, cur),
                actions=("No action needed; keep an eye on the Unit costs tab.",),
                use_case=st.use_case,
                team=st.team,
            )
        )


def _cpu_numbers(st: UseCaseStatus, cur: str) -> tuple[tuple[str, str], ...]:
    rows: list[tuple[str, str]] = []
    if st.cpu_week is not None:
        rows.append((f"Cost per {st.unit_of_work}, {week_label(st.latest_week)}", show_cpu(st.cpu_week, cur)))
    if st.cpu_current_week is not None:
        rows.append((f"Cost per {st.unit_of_work}, this week so far", show_cpu(st.cpu_current_week, cur)))
    if st.target_cpu is not None:
        rows.append(("Target", show_cpu(st.target_cpu, cur)))
    if st.overrun_week is not None:
        rows.append((f"Overrun, {week_label(st.latest_week)}", show_percent(st.overrun_week)))
    rows += [
        ("Spend, month to date", show_money(st.month_to_date_cost, cur)),
        ("Forecast, month end", show_money(st.forecast, cur)),
    ]
    if st.budget is not None:
        rows.append(("Monthly budget", show_money(st.budget, cur)))
    return tuple(rows)


def _slo_notice(
    st: UseCaseStatus, level: str, since: date, who: _Recipients, cur: str, hints: tuple[Hint, ...] = ()
) -> Notice:
    name = st.name or st.use_case
    actions: tuple[str, ...]
    if level == "critical":
        # The pause clears with a date on or after the day the pause began (the engine's latch), which
        # is later than the episode's first day when a red episode escalates: the key and the action name
        # that day (the email template reads it from the key), so finance's date does clear it.
        since = st.critical_since or since
        subject = f"CRITICAL: {name} is paused (cost per {st.unit_of_work} over target)"
        actions = (
            f"The agent is paused now: the guardrail API answers paused to {st.use_case}.",
            "Find and fix the cause (the questions below), then clear the pause: enter a date on or "
            f"after {since.isoformat()} in the 'Critical cleared on' column of the Use cases tab.",
        )
    else:
        subject = f"RED: {name} over its cost per {st.unit_of_work} target two weeks running"
        actions = ("Find the root cause within 48 hours and write it down for finance (the questions below).",)
    unit = st.unit_of_work or "unit"
    if hints:  # where the cost per unit comes from, and the change that brings it back (domain/optimization.py)
        actions += (
            f"Start with the biggest lever, {hints[0].title[0].lower() + hints[0].title[1:]}: "
            f"{hints[0].detail} (Computed on {hints[0].month}; the Optimization tab has the model mix and "
            "the what-ifs.)",
        )
    return Notice(
        key=f"slo:{st.use_case}:{since.isoformat()}:{level}",
        kind=level,
        recipients=who.slo(st, level),
        subject=subject,
        headline=f"{st.reason} (episode since {since.isoformat()})",
        numbers=_cpu_numbers(st, cur),
        actions=actions,
        use_case=st.use_case,
        team=st.team,
        table_header=("Biggest levers", f"Saving per {unit}", "This month") if hints else (),
        table_rows=tuple(
            (f"{h.rank}. {h.title}", show_cpu(h.per_unit, cur), show_money(h.per_month, cur)) for h in hints
        ),
    )


def _approval(st: UseCaseStatus, key: str, who: _Recipients, cur: str, today: date) -> Notice:
    extra = who.cfo if st.forecast_tier == "T3" else ()
    return Notice(
        key=f"{key}:{st.forecast_tier}",
        kind="approval",
        recipients=_unique((st.owner_email,), who.finance, extra),
        subject=f"Approval required: {st.name or st.use_case} is forecast in {st.forecast_tier}",
        headline=(
            f"The month-end forecast {show_money(st.forecast, cur)} puts {st.name or st.use_case} in "
            f"{st.forecast_tier}, above its approved tier {st.approved_tier}."
        ),
        numbers=(
            ("Forecast, month end", show_money(st.forecast, cur)),
            ("Spend, month to date", show_money(st.month_to_date_cost, cur)),
            ("Approved tier", st.approved_tier),
            ("Forecast tier", st.forecast_tier),
        ),
        actions=("Sign off the higher tier (Approved tier in the Use cases tab), or bring the spend down.",),
        use_case=st.use_case,
        team=st.team,
    )


def _budget(
    key: str,
    level: str,
    who_name: str,
    spent: Decimal,
    forecast: Decimal,
    budget: Optional[Decimal],
    recipients: tuple[str, ...],
    cur: str,
    today: date,
    use_case: str,
    team: str,
) -> Notice:
    if budget is None:  # the engine flags a budget overrun only with a budget; showing None raised this before
        raise AttributeError("'NoneType' object has no attribute 'quantize'")
    what = "has spent more than" if level == "spent" else "is forecast above"
    return Notice(
        key=key,
        kind="budget",
        recipients=recipients,
        subject=f"Budget: {who_name} {what} its monthly budget",
        headline=(
            f"{who_name} {what} its monthly budget {show_money(budget, cur)}: month to date "
            f"{show_money(spent, cur)}, forecast {show_money(forecast, cur)}."
        ),
        numbers=(
            ("Spend, month to date", show_money(spent, cur)),
            ("Forecast, month end", show_money(forecast, cur)),
            ("Monthly budget", show_money(budget, cur)),
        ),
        actions=("Raise the budget in the sheet (with an Effective from date) or bring the spend down.",),
        use_case=use_case,
        team=team,
    )
