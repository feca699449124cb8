"""The local stand-in for EventBridge and the SQS trigger: it calls the same handler functions
Chalice deploys (`app.hourly`, `app.daily`, ..., `app.requested_runs`) with the events AWS would send.

- `LocalScheduler(app_module).due(start, end)`: every scheduled firing in [start, end), read from
  the app's own `@app.schedule` cron expressions (EventBridge's six-field syntax);
- `.fire(name, at)`: invoke one schedule with an EventBridge event whose `time` is `at` (the
  handler takes the run's clock from it, so a simulated clock works the same as the real one);
- `.run_between(start, end)`: fire everything due in order (the demo's simulated weeks);
- `.forever(stop)`: the real clock: fire each schedule when its minute comes, until `stop` is set;
- `RunsQueuePoller(app_module, sqs_client, queue)`: long-polls the runs queue and hands each
  message to the SQS handler, deleting it once handled (a failure leaves it for a retry).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator, Optional

DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}  # EventBridge: 1 = Sunday


def _field_matches(spec: str, value: int, names: Optional[dict] = None) -> bool:
    if spec in ("*", "?"):
        return True
    for part in spec.split(","):
        part = names.get(part.upper(), part) if names else part
        if isinstance(part, int):
            if part == value:
                return True
        elif "-" in part:
            low, high = (int(names.get(p.upper(), p)) if names else int(p) for p in part.split("-"))
            if low <= value <= high:
                return True
        elif int(part) == value:
            return True
    return False


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str  # cron(minute hour day-of-month month day-of-week year)

    def matches(self, at: datetime) -> bool:
        fields = self.expression.strip()[len("cron(") : -1].split()
        if len(fields) != 6:
            raise ValueError(f"{self.name}: only cron(...) with six fields is supported: {self.expression}")
        minute, hour, dom, month, dow, year = fields
        aws_dow = at.isoweekday() % 7 + 1  # EventBridge numbers days 1 (Sunday) to 7 (Saturday)
        return (
            _field_matches(minute, at.minute)
            and _field_matches(hour, at.hour)
            and _field_matches(dom, at.day)
            and _field_matches(month, at.month)
            and _field_matches(dow, aws_dow, DAY_NAMES)
            and _field_matches(year, at.year)
        )


def cloudwatch_event(name: str, at: datetime) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{name}"],
        "detail": {},
    }


class LocalScheduler:
    def __init__(self, app_module):
        self.app_module = app_module
        self.schedules = [
            Schedule(s.name, s.schedule_expression)
            for s in app_module.app.event_sources
            if hasattr(s, "schedule_expression")
        ]

    def due(self, start: datetime, end: datetime) -> Iterator[tuple]:
        """(time, schedule name) of every firing in [start, end), in order (minute resolution)."""
        at = start.astimezone(timezone.utc).replace(second=0, microsecond=0)
        if at < start:
            at += timedelta(minutes=1)
        while at < end:
            for s in self.schedules:
                if s.matches(at):
                    yield at, s.name
            at += timedelta(minutes=1)

    def fire(self, name: str, at: datetime):
        return getattr(self.app_module, name)(cloudwatch_event(name, at), None)

    def run_between(self, start: datetime, end: datetime, on_fire=None) -> list:
        fired = []
        for at, name in self.due(start, end):
            result = self.fire(name, at)
            fired.append((at, name, result))
            if on_fire is not None:
                on_fire(at, name, result)
        return fired

    def forever(self, stop: threading.Event, on_fire=None) -> None:
        """The real clock: each minute, fire what is due (a missed minute is not replayed)."""
        last = None
        while not stop.is_set():
            now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
            if now != last:
                last = now
                for s in self.schedules:
                    if s.matches(now):
                        try:
                            result = self.fire(s.name, now)
                        except Exception as exc:  # noqa: BLE001 - a failed run is logged, the clock goes on
                            result = {"error": f"{type(exc).__name__}: {exc}"}
                        if on_fire is not None:
                            on_fire(now, s.name, result)
            stop.wait(5)


class RunsQueuePoller:
    """What Lambda's SQS trigger does for `@app.on_sqs_message`: receive, invoke, delete."""

    def __init__(self, app_module, sqs_client, queue_name: str, handler: str = "requested_runs"):
        self.handler = getattr(app_module, handler)
        self.sqs = sqs_client
        self.queue_name = queue_name
        self.url = sqs_client.get_queue_url(QueueName=queue_name)["QueueUrl"]

    def poll_once(self, wait_seconds: int = 0) -> int:
        got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_seconds)
        handled = 0
        for m in got.get("Messages", []):
            event = {
                "Records": [
                    {
                        "messageId": m["MessageId"],
                        "receiptHandle": m["ReceiptHandle"],
                        "body": m["Body"],
                        "attributes": {},
                        "messageAttributes": {},
                        "md5OfBody": m.get("MD5OfBody", ""),
                        "eventSource": "aws:sqs",
                        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{self.queue_name}",
                        "awsRegion": "us-east-1",
                    }
                ]
            }
            self.handler(event, None)
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])
            handled += 1
        return handled

    def forever(self, stop: threading.Event) -> None:
        # Short polls with a pause between them: a long poll would hold moto's one-request-at-a-time
        # lock (local/moto_server.py) for its whole wait and slow every other request down.
        while not stop.is_set():
            try:
                handled = self.poll_once(wait_seconds=0)
            except Exception:  # noqa: BLE001 - left on the queue; Lambda would retry it too
                handled = 0
            if not handled:
                stop.wait(1)
