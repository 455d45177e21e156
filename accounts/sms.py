"""Pluggable SMS sending. `settings.SMS_BACKEND` names a class with `send(*, to, body)`.

The default writes each message to var/sms/ (listed at /dev/sms/ when DEBUG); production
points SMS_BACKEND at a gateway backend such as `HttpSMSBackend`.
"""

import json
import logging
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SMS:
    to: str
    body: str
    sent_at: str


class SMSBackend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class FileSMSBackend:
    """One JSON file per message in settings.SMS_DIR."""

    def send(self, *, to: str, body: str) -> None:
        folder = Path(settings.SMS_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        name = f"{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.json"
        message = {"to": to, "body": body, "sent_at": now.isoformat()}
        (folder / name).write_text(json.dumps(message, ensure_ascii=False), encoding="utf-8")


class MemorySMSBackend:
    """For tests: keeps messages in `MemorySMSBackend.outbox`."""

    outbox: list[SMS] = []

    def send(self, *, to: str, body: str) -> None:
        self.outbox.append(SMS(to=to, body=body, sent_at=timezone.now().isoformat()))


class HttpSMSBackend:
    """POSTs `{"to": ..., "body": ...}` as JSON to SMS_GATEWAY_URL with a bearer token.

    Most SMS gateways (and a small relay in front of the others) accept this shape.
    """

    def send(self, *, to: str, body: str) -> None:
        url = settings.SMS_GATEWAY_URL
        if not url.startswith("https://"):
            raise ValueError("SMS_GATEWAY_URL must be an https:// URL")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=json.dumps({"to": to, "body": body}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")
        # Never log the number or the text.
        logger.info("sms sent through gateway")


def get_sms_backend() -> SMSBackend:
    backend: SMSBackend = import_string(settings.SMS_BACKEND)()
    return backend


def read_file_outbox(limit: int = 50) -> list[SMS]:
    """Messages written by FileSMSBackend, newest first."""
    folder = Path(settings.SMS_DIR)
    if not folder.is_dir():
        return []
    messages = []
    for path in sorted(folder.glob("*.json"), reverse=True)[:limit]:
        data = json.loads(path.read_text(encoding="utf-8"))
        messages.append(SMS(to=data["to"], body=data["body"], sent_at=data["sent_at"]))
    return messages
