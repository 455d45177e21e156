"""Telling a client that a coordinator gave them another counsellor: once, by e-mail (or SMS for
phone-only accounts), in the client's language and time zone. Never the coordinator's reason."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.sms import get_sms_backend
from counselling.models import Reassignment

logger = logging.getLogger(__name__)

# How long the periodic job keeps trying a message that could not be sent. Later it would be
# stale: the client has had the appointments' own notices and sees the change in the app.
RETRY_FOR = timedelta(days=2)


def _context(reassignment: Reassignment) -> dict[str, object]:
    items = list(
        reassignment.appointments.select_related("old", "new")
        .defer("old__note", "new__note")
        .order_by("old__start_at")
    )
    site = settings.SITE_URL.rstrip("/")
    return {
        "client": reassignment.client,
        "old": reassignment.from_counsellor,
        "new": reassignment.to_counsellor,
        "organisation": reassignment.to_counsellor.organisation,
        "moved": [item.old for item in items if item.new_id],
        "rebook": [item.old for item in items if not item.new_id],
        "appointments_url": site + reverse("booking:appointments"),
        "book_url": site + reverse("booking:counsellor", args=[reassignment.to_counsellor_id]),
    }


def reassignment_message_send(reassignment: Reassignment) -> str:
    """Send the message; returns the channel used ("email", "sms" or "none")."""
    client = reassignment.client
    context = _context(reassignment)
    with translation.override(client.language or settings.LANGUAGE_CODE):
        subject = render_to_string("counselling/reassignment/subject.txt", context).strip()
        if client.email:
            body = render_to_string("counselling/reassignment/email.txt", context)
            EmailMessage(subject=subject, body=body, to=[client.email]).send()
            return "email"
        if client.phone:
            text = render_to_string("counselling/reassignment/sms.txt", context).strip()
            get_sms_backend().send(to=client.phone, body=text)
            return "sms"
    return "none"


def reassignment_notify_once(*, reassignment_id: int) -> bool:
    """Tell the client about one reassignment unless that is done (or being done by another
    worker); True when this call sent it. Safe to run twice and in parallel."""
    with transaction.atomic():
        reassignment = (
            Reassignment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("client", "from_counsellor", "to_counsellor", "to_counsellor__organisation")
            .filter(pk=reassignment_id, notified_at__isnull=True)
            .first()
        )
        if reassignment is None:
            return False
        reassignment_message_send(reassignment)
        reassignment.notified_at = timezone.now()
        reassignment.save(update_fields=["notified_at"])
    return True


def reassignments_notify_pending(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send the messages not sent yet (the broker was down, or sending failed); returns how many."""
    now = now or timezone.now()
    pending = Reassignment.objects.filter(notified_at__isnull=True, created_at__gte=now - RETRY_FOR)
    sent = 0
    for reassignment_id in list(pending.order_by("created_at").values_list("pk", flat=True)[:limit]):
        try:
            sent += reassignment_notify_once(reassignment_id=reassignment_id)
        except Exception:  # noqa: BLE001 - a gateway error must not stop the others
            logger.warning("reassignment %s: the client could not be told yet", reassignment_id)
    return sent
