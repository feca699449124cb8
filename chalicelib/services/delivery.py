"""Delivering the Notices of a run: exactly one email per key, failures retried by the next run.

`deliver(notices, outbox, mailer, sheet_url, now) -> DeliveryReport`:
1. each notice is rendered, then claimed in the outbox (a conditional write of the rendered
   email, before any send): a key claimed by an earlier run is "already sent" (or still pending,
   and then retried in step 2), never sent twice;
2. each newly claimed email is sent, then marked sent; an SES failure is counted on the item,
   which stays pending;
3. emails left pending by earlier deliveries are sent again, oldest first.
A notice with no recipients is not claimed nor sent (the alert rules make it an alert row).
An SES failure never raises: a ClientError, throttling or a connection failure is reported and
the email stays pending. Throttling, a connection failure or a paused account stops sending
for this delivery (what is left stays pending for the next one) instead of hammering SES.
A run killed between SES accepting an email and `mark_sent` sends that email again on the next
run: SES takes no idempotency key, so this window (one send call) is the only resend possible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from chalicelib.domain.notices import Notice
from chalicelib.email.templates import render
from chalicelib.storage.outbox_store import claim_stamp

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 72  # about three days of hourly runs; then the email is abandoned (kept, never sent)

# Errors that say "SES will refuse everything for a while": stop sending in this delivery.
_STOP_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "SendingPausedException",
    "AccountSuspendedException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServerError",
}


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)  # keys sent by this delivery (new and retried)
    already_sent: list[str] = field(default_factory=list)  # keys an earlier delivery sent (or holds)
    retried: list[str] = field(default_factory=list)  # earlier pending keys this delivery sent
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, reason): still pending
    no_recipients: list[str] = field(default_factory=list)  # never sent: nobody to send them to
    deferred: list[str] = field(default_factory=list)  # claimed or pending, not tried: sending stopped
    abandoned: list[tuple[str, str]] = field(default_factory=list)  # (key, reason): given up
    stopped: str = ""  # why sending stopped early ("" when it did not)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.deferred or self.abandoned)

    def summary(self) -> str:
        parts = [f"{len(self.sent)} sent"]
        for label, items in (
            ("retried", self.retried),
            ("already sent", self.already_sent),
            ("failed", self.failed),
            ("deferred", self.deferred),
            ("without recipients", self.no_recipients),
            ("abandoned", self.abandoned),
        ):
            if items:
                parts.append(f"{len(items)} {label}")
        text = ", ".join(parts)
        if self.failed:
            text += "; " + "; ".join(f"{k}: {r}" for k, r in self.failed[:5])
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text

    __str__ = summary


def _reason(exc: BaseException) -> tuple[str, bool]:
    """(what went wrong, whether to stop sending for this delivery)."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "") or "ClientError"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        message = error.get("Message", "")
        return f"{code}: {message}" if message else code, code in _STOP_CODES or status >= 500
    if isinstance(exc, (bx.ConnectionError, bx.HTTPClientError)):
        return f"SES unreachable: {exc}", True
    return f"{type(exc).__name__}: {exc}", False


def _send_errors() -> tuple:
    from botocore.exceptions import BotoCoreError, ClientError

    return BotoCoreError, ClientError


def deliver(
    notices: Iterable[Notice], outbox, mailer, sheet_url: str, now: datetime, max_attempts: int = MAX_ATTEMPTS
) -> DeliveryReport:
    report = DeliveryReport()
    errors = _send_errors()
    to_send: list = []  # (key, recipients, subject, html, text)
    seen: set = set()

    for notice in notices:
        if notice.key in seen:
            continue  # the same key twice in one run: one email
        seen.add(notice.key)
        if not notice.recipients:
            report.no_recipients.append(notice.key)
            continue
        try:
            subject, html, text = render(notice, sheet_url)
        except ValueError as exc:  # an unknown kind: a bug in the rules, not a reason to lose the others
            report.failed.append((notice.key, f"cannot render: {exc}"))
            continue
        try:
            claimed = outbox.claim(notice, now, (subject, html, text))
        except errors as exc:
            report.failed.append((notice.key, f"outbox unavailable, not sent: {_reason(exc)[0]}"))
            continue
        if claimed:
            to_send.append((notice.key, notice.recipients, subject, html, text))
        else:
            report.already_sent.append(notice.key)

    new_keys = {key for key, *_ in to_send}
    try:
        earlier = [i for i in outbox.pending() if i.key not in new_keys]
    except errors as exc:
        earlier = []
        log.warning("could not read the pending emails: %s", _reason(exc)[0])
        report.failed.append(("(pending)", f"outbox unavailable, earlier emails not retried: {_reason(exc)[0]}"))
    # Claimed by this run (the pipeline claims a notice before it saves the state that called for it,
    # at the run's `now`) and never tried: a first send, not a retry.
    claimed_now = {i.key for i in earlier if i.claimed_at == claim_stamp(now) and not i.last_attempt_at}
    retry_keys = {i.key for i in earlier} - claimed_now
    # A key this run asked for that an earlier run left pending is a retry, not "already sent".
    pending_keys = {i.key for i in earlier}
    report.already_sent = [k for k in report.already_sent if k not in pending_keys]
    queue = to_send + [(i.key, i.recipients, i.subject, i.html, i.text) for i in earlier]

    for key, recipients, subject, html, text in queue:
        if report.stopped:
            report.deferred.append(key)
            continue
        if not recipients:  # an earlier pending item with nobody to send it to
            _give_up(outbox, key, now, "no recipients", report)
            continue
        try:
            message_id = mailer.send(recipients, subject, html, text, key=key)
        except errors as exc:
            reason, stop = _reason(exc)
            report.failed.append((key, reason))
            if stop:
                report.stopped = reason
            try:
                attempts = outbox.mark_failed(key, now, reason)
            except errors as store_exc:
                log.warning("could not record the failed send of %s: %s", key, _reason(store_exc)[0])
                continue
            if attempts >= max_attempts:
                _give_up(outbox, key, now, f"{attempts} failed attempts, the last: {reason}", report)
            continue
        except ValueError as exc:  # refused before SES (e.g. over SES's recipient limit): never sendable
            _give_up(outbox, key, now, str(exc), report)
            continue
        report.sent.append(key)
        if key in retry_keys:
            report.retried.append(key)
        try:
            outbox.mark_sent(key, now, message_id)
        except errors as exc:  # sent, but not recorded: the next run sends it again (reported)
            report.failed.append((key, f"sent as {message_id} but not recorded: {_reason(exc)[0]}"))
    if report.failed or report.stopped:
        log.warning("email delivery: %s", report.summary())
    return report


def _give_up(outbox, key: str, now: datetime, reason: str, report: DeliveryReport) -> None:
    report.abandoned.append((key, reason))
    try:
        outbox.abandon(key, now, reason)
    except _send_errors() as exc:
        log.warning("could not abandon %s: %s", key, _reason(exc)[0])
