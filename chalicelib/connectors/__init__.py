"""Billing connectors: each turns one source into cost facts for [start, end) UTC days.

A pulling connector returns ``common.Pulled(facts, answered)``: the facts and the days the
source answered for (a daily bucket or ResultsByTime entry, empty or zero included; every day
of the window for human review). Only answered days replace the ledger's facts.

| module              | source         | entry point                                                        |
|---------------------|----------------|--------------------------------------------------------------------|
| openai_costs        | "openai"       | pull(admin_key, start, end, *, base_url, limit, config, session)   |
| anthropic_costs     | "anthropic"    | pull(admin_key, start, end, *, base_url, limit, config, session)   |
| aws_cost_explorer   | "aws"          | pull(ce_client, start, end, *, cost_center)                        |
| focus_csv           | "focus"        | parse(data, *, filename, start, end, spread_periods)               |
| simple_csv          | "csv"          | parse(data, *, filename, start, end); detect_format(data)          |
| cost_import         | focus / csv    | parse_cost_file(data, *, filename, fmt, start, end) -> (fmt, facts)|
| human_review        | "human_review" | pull(units, hourly_rate, team_of, start, end); facts_from_units    |

Money is Decimal end to end (JSON parsed with parse_float=Decimal; floats are refused).
Facts with the same (day, source, identity) are summed into one. Vendor APIs failing in
any way raise ``errors.SourceUnavailable``; bad uploaded files raise
``errors.CostImportError`` listing every ``RowError(row, column, value, reason)``.
Vendor keys: ``openai:project:<id|none>``, ``anthropic:workspace:<id|default>``,
``aws:tag:team=<t>,use-case=<u>``, ``focus:team=<t>,use-case=<u>`` /
``focus:subaccount:<id>`` / ``focus:account:<id>`` / ``focus:provider:<name>``,
``csv:<source>[:team=<t>,use-case=<u>]``, ``human_review:use_case:<id>``.
"""
