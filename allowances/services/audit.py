"""The audit log: every state change of the allowances app, with actor and time, hash-chained.

Each event stores the hash of the one before it (`previous_hash`) and its own hash over its
contents and that link. Changing, inserting or removing a row in the middle breaks the chain
from there on, which `audit_verify` (and `manage.py verify_audit`) reports. Rows are append-only
(model guards, and triggers on PostgreSQL); `previous_hash` is unique, so the chain can never
fork: two writers at once are serialised (an advisory lock on PostgreSQL, the write lock that
IMMEDIATE transactions take on SQLite).
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User
from allowances.models import AuditEvent

GENESIS = "0" * 64
AUDIT_LOCK = 0x7061_7564  # any constant of our own: "paud"


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "previous": event.previous_hash,
        "actor": event.actor_id,
        "action": event.action,
        "object": [event.object_type, event.object_id],
        "data": event.data,
        "at": event.at.isoformat(),
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def audit_append(
    *, actor: User | None, action: str, obj: models.Model, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Add an event for a change to `obj`; call it inside the transaction that makes the change,
    so that the change and its record commit or roll back together."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Held until the surrounding transaction ends: a second writer waits here, then
            # reads our event as the newest and chains onto it.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK])
        last = AuditEvent.objects.order_by("-pk").only("hash").first()
        event = AuditEvent(
            actor=actor,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            data=json.loads(json.dumps(data or {}, default=str)),
            at=timezone.now(),
            previous_hash=last.hash if last else GENESIS,
        )
        event.hash = event_hash(event)
        event.save()
    return event


@dataclass(frozen=True)
class Verdict:
    intact: bool
    events: int
    # The first event that does not fit the chain, and why.
    broken_at: int | None = None
    reason: str = ""


def audit_verify() -> Verdict:
    """Walk the chain from the first event: each must link to the one before and hash to what
    it says."""
    previous = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if event.previous_hash != previous:
            return Verdict(
                False, count, event.pk, "does not link to the event before it (one removed or inserted)"
            )
        if event_hash(event) != event.hash:
            return Verdict(False, count, event.pk, "its contents do not match its hash (changed)")
        previous = event.hash
    return Verdict(True, count)
