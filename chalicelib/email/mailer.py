"""Sending one email through SES v2, and (locally) keeping a copy as an .eml file.

`SesMailer(client, sender, configuration_set=None, eml_dir=None).send(recipients, subject, html,
text, key="") -> message_id`: one `sesv2.send_email` with Simple content (an HTML part and a
text part, UTF-8). SES errors are raised as botocore raised them; the delivery service decides
what they mean. When `eml_dir` is set, each email SES accepted is also written to
`<eml_dir>/<key>.eml` (RFC 5322, multipart/alternative), so it opens in any mail client.

Configuration (`from_env`): ALERT_SENDER (required: the From address, e.g.
`AI FinOps <finops-alerts@example.com>`, an address or domain verified in SES),
SES_CONFIGURATION_SET (optional), OUTBOX_EML_DIR (optional; the local stack uses
`.local/outbox/`).
"""

from __future__ import annotations

import logging
import os
import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Optional, Sequence

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 50  # SES's limit per message, To + Cc + Bcc


class SesMailer:
    def __init__(
        self, client, sender: str, configuration_set: Optional[str] = None, eml_dir: Optional[str | os.PathLike] = None
    ):
        if not sender:
            raise ValueError("an email sender is required (ALERT_SENDER)")
        self.client = client
        self.sender = sender
        self.configuration_set = configuration_set or None
        self.eml_dir = Path(eml_dir) if eml_dir else None

    @classmethod
    def from_env(cls, client=None) -> "SesMailer":
        if client is None:
            from chalicelib import runtime

            client = runtime.client("sesv2")
        return cls(
            client,
            os.environ.get("ALERT_SENDER", "").strip(),
            os.environ.get("SES_CONFIGURATION_SET") or None,
            os.environ.get("OUTBOX_EML_DIR") or None,
        )

    def send(self, recipients: Sequence[str], subject: str, html: str, text: str, key: str = "") -> str:
        """Send one email to `recipients` (all in To: they are colleagues on the same alert);
        returns SES's message id."""
        to = [r for r in recipients if r]
        if not to:
            raise ValueError("no recipients")
        if len(to) > MAX_RECIPIENTS:
            raise ValueError(f"{len(to)} recipients: SES takes at most {MAX_RECIPIENTS} per email")
        request = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": to},
            "Content": {
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Html": {"Data": html, "Charset": "UTF-8"}, "Text": {"Data": text, "Charset": "UTF-8"}},
                }
            },
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        message_id = self.client.send_email(**request)["MessageId"]
        if self.eml_dir is not None:
            try:
                self.write_eml(key or message_id, to, subject, html, text, message_id)
            except OSError as exc:  # SES accepted it: a local copy that cannot be written is not a failure
                log.warning("could not write the .eml copy of %s: %s", key or message_id, exc)
        return message_id

    def write_eml(
        self, key: str, recipients: Sequence[str], subject: str, html: str, text: str, message_id: str = ""
    ) -> Path:
        if self.eml_dir is None:
            raise ValueError("no eml_dir: this mailer keeps no .eml copies")
        self.eml_dir.mkdir(parents=True, exist_ok=True)
        path = self.eml_dir / f"{eml_name(key)}.eml"
        message = as_eml(self.sender, recipients, subject, html, text, message_id)
        tmp = path.with_suffix(".eml.tmp")
        tmp.write_bytes(bytes(message))
        tmp.replace(path)  # a reader never sees half a file
        return path


def eml_name(key: str) -> str:
    """A file name for a Notice key ("slo:claims:2026-11-16:critical" -> "slo_claims_2026-11-16_critical")."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._")
    return name[:200] or "email"


def as_eml(
    sender: str, recipients: Sequence[str], subject: str, html: str, text: str, message_id: str = ""
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(
        idstring=re.sub(r"[^A-Za-z0-9.-]", "", message_id)[:64] or None, domain="finops.local"
    )
    if message_id:
        message["X-SES-Message-ID"] = message_id
    message.set_content(text, charset="utf-8")  # text/plain first, then the preferred HTML
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message
