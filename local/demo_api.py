"""The demos' calls to the local stack's API (local/demo_month.py, local/demo_story.py): a team's agents
posting work items, the admin uploading the month's invoices CSV."""

from __future__ import annotations

import requests

BATCH = 500  # work items a request


def post_work_items(api_url: str, token: str, items: list) -> dict:
    """`items` posted in batches with the team's `token`: the totals of the API's answers (accepted, replaced,
    rejected) and the rejected items' results (errors)."""
    totals = {"accepted": 0, "replaced": 0, "rejected": 0, "errors": []}
    for start in range(0, len(items), BATCH):
        response = requests.post(
            f"{api_url}/v1/work-items",
            json={"items": items[start : start + BATCH]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        response.raise_for_status()
        answer = response.json()
        for key in ("accepted", "replaced", "rejected"):
            totals[key] += answer[key]
        totals["errors"] += [r for r in answer["results"] if r["status"] == "rejected"]
    return totals


def upload_invoices(api_url: str, admin_token: str, csv_text: str) -> dict:
    """The invoices CSV imported (POST /v1/cost-imports?feed=invoices) with the admin's token: the API's answer."""
    response = requests.post(
        f"{api_url}/v1/cost-imports?feed=invoices",
        timeout=60,
        data=csv_text.encode(),
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "text/csv"},
    )
    response.raise_for_status()
    return response.json()
