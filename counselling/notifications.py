"""Messages sent by e-mail (or SMS for phone-only accounts), in the recipient's language:
- to a client a coordinator gave another counsellor: once, never the coordinator's reason;
- to a participant who is offline when new messages arrive: once per burst, never the text."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.notify import person_notify
from counselling import presence
from counselling.models import Message, Participant, Reassignment

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
    return person_notify(
        recipient=reassignment.client, templates="counselling/reassignment", context=_context(reassignment)
    )


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


# --- New messages ---------------------------------------------------------------------------

# A message read within this time (the person had the page open) is never announced.
NOTIFY_AFTER = timedelta(minutes=1)
# Older unread messages are not announced any more: the person has been told, or has left.
NOTIFY_WITHIN = timedelta(days=2)


def new_message_send(participant: Participant) -> str:
    """Tell one participant there is something new: no sender, no text (a phone's lock screen
    or a shared inbox shows nothing of the conversation). Returns the channel used."""
    url = settings.SITE_URL.rstrip("/") + reverse(
        "counselling:conversation", args=[participant.conversation_id]
    )
    return person_notify(
        recipient=participant.user,
        templates="counselling/new_message",
        context={"recipient": participant.user, "url": url},
    )


def new_messages_notify_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """One notice per burst: a participant who is offline and has unread messages from others
    (older than a minute) is told once; they are told again only after they have read. Safe to
    run in parallel and twice. Returns how many people were told."""
    now = now or timezone.now()
    unread = (
        Message.objects.filter(
            conversation=OuterRef("conversation_id"),
            id__gt=OuterRef("last_read_id"),
            created_at__lte=now - NOTIFY_AFTER,
            created_at__gte=now - NOTIFY_WITHIN,
        )
        .exclude(sender=OuterRef("user_id"))
        .order_by("-id")
        .values("id")[:1]
    )
    due = (
        Participant.objects.filter(
            removed_at__isnull=True, user__is_active=True, notified_up_to_id__lte=F("last_read_id")
        )
        .annotate(latest_unread=Subquery(unread))
        .filter(latest_unread__isnull=False)
        .values_list("pk", "user_id", "latest_unread")[:limit]
    )
    rows = list(due)
    online = set(presence.online_among(user_ids=[user_id for _pk, user_id, _latest in rows]))
    told = 0
    for pk, user_id, latest in rows:
        if user_id in online:
            continue  # the page is open: they see it there
        with transaction.atomic():
            participant = (
                Participant.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk=pk, notified_up_to_id__lte=F("last_read_id"), last_read_id__lt=latest)
                .first()
            )
            if participant is None:
                continue  # told by a parallel run, or read in the meantime
            try:
                new_message_send(participant)
            except Exception:  # noqa: BLE001 - a gateway error must not stop the others
                logger.warning("new-message notice to participant %s could not be sent", pk)
                continue
            participant.notified_up_to_id = latest
            participant.save(update_fields=["notified_up_to_id"])
            told += 1
    return told
