"""Feedback and complaints from anyone (signed in or not), tracked by coordinators to
resolution, and clients' one-tap ratings of their appointments.

The sender keeps a reference code to follow their item (derived from the form's token, so a
double submit stores it once: see services.intake). A contact they leave is sealed like the
contact of an information request, and is only used to tell them that the status changed:
never the text of their complaint, nor the organisation's response.
"""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Role, User
from accounts.reference import country_codes
from booking.models import Appointment
from counselling.models import Feedback, SessionRating
from counselling.selectors.feedback import feedback_list_for_coordinator, session_rating_may_rate
from counselling.services.intake import (
    REQUEST_LANGUAGES,
    Contact,
    contact_clean,
    contact_notify,
    contact_seal,
    form_token_new,
    reference_from_token,
)

logger = logging.getLogger(__name__)

BODY_MAX_CHARS = 4000
RESPONSE_MAX_CHARS = 4000
COMMENT_MAX_CHARS = 1000
Status = Feedback.Status


@sensitive_variables("body", "contact", "text", "cleaned")
@transaction.atomic
def feedback_create(
    *,
    kind: str,
    about: str,
    language: str,
    body: str,
    country: str = "",
    contact_method: str = Contact.NONE,
    contact: str = "",
    sender: User | None = None,
    form_token: str = "",
) -> Feedback:
    """Store feedback or a complaint with its contact sealed; the same form sent again returns
    the stored item."""
    errors: dict[str, str | list[str]] = {}
    if kind not in Feedback.Kind.values:
        errors["kind"] = _("Choose feedback or complaint.")
    if about not in Feedback.About.values:
        errors["about"] = _("Choose what it is about.")
    if country and country not in country_codes():
        errors["country"] = _("Choose a country from the list.")
    if language not in REQUEST_LANGUAGES:
        errors["language"] = _("Choose a language from the list.")
    text = (body or "").strip()
    if not text:
        errors["body"] = _("Tell us what happened.")
    elif len(text) > BODY_MAX_CHARS:
        errors["body"] = _("Please write at most %(n)d characters.") % {"n": BODY_MAX_CHARS}
    cleaned = ""
    try:
        cleaned = contact_clean(method=contact_method, contact=contact)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    reference = reference_from_token(form_token or form_token_new(), purpose="feedback")
    earlier = Feedback.objects.filter(reference=reference).first()
    if earlier is not None:
        return _same_item(earlier, body=text, sender=sender)
    now = timezone.now()
    item = Feedback(
        reference=reference,
        kind=kind,
        about=about,
        country=country,
        language=language,
        body=text,
        contact_method=contact_method,
        contact_sealed=contact_seal(contact=cleaned, model="Feedback", reference=reference),
        sender=sender if sender is not None and sender.is_authenticated else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction.atomic():
            item.save(force_insert=True)
    except IntegrityError:
        earlier = Feedback.objects.filter(reference=reference).first()
        if earlier is None:
            raise
        return _same_item(earlier, body=text, sender=sender)
    logger.info("feedback %s received (%s)", item.pk, item.kind)
    return item


def _same_item(earlier: Feedback, *, body: str, sender: User | None) -> Feedback:
    same_person = earlier.sender_id is None or (sender is not None and earlier.sender_id == sender.pk)
    if earlier.body != body or not same_person:
        raise ValidationError(_("This form has expired. Please reload the page and write to us again."))
    return earlier


def feedback_may_handle(*, feedback: Feedback, user: User) -> bool:
    """Coordinators whose queue holds the item (see selectors.feedback)."""
    if not (user.is_active and user.has_role(Role.COORDINATOR) and user.organisation is not None):
        return False
    return feedback_list_for_coordinator(organisation=user.organisation).filter(pk=feedback.pk).exists()


@sensitive_variables("response", "text")
@transaction.atomic
def feedback_update(*, feedback: Feedback, by: User, status: str, response: str = "") -> Feedback:
    """A coordinator moves an item to "being looked into" or "resolved" (which needs a response
    to the sender), or changes the response. The sender, if they left a contact, is told that
    the status changed."""
    if not feedback_may_handle(feedback=feedback, user=by):
        raise PermissionDenied(_("This item is handled by another organisation."))
    locked = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if status not in (Status.IN_REVIEW, Status.RESOLVED):
        raise ValidationError({"status": _("Choose “being looked into” or “resolved”.")})
    if locked.status == Status.RESOLVED:
        raise ValidationError(_("This item is already resolved."))
    text = (response or "").strip()
    if len(text) > RESPONSE_MAX_CHARS:
        raise ValidationError(
            {"response": _("Please write at most %(n)d characters.") % {"n": RESPONSE_MAX_CHARS}}
        )
    if status == Status.RESOLVED and not text:
        raise ValidationError({"response": _("Write what you tell the sender before you mark it resolved.")})
    changed = locked.status != status
    now = timezone.now()
    locked.status = status
    if text:
        locked.response = text
    locked.handled_by = by
    locked.updated_at = now
    if status == Status.RESOLVED:
        locked.resolved_at = now
    locked.save(update_fields=["status", "response", "handled_by", "updated_at", "resolved_at"])
    if changed and locked.contact_method != Contact.NONE:
        feedback_id = locked.pk
        transaction.on_commit(lambda: _notify_status(feedback_id))
    return locked


def _notify_status(feedback_id: int) -> None:
    item = Feedback.objects.filter(pk=feedback_id).first()
    if item is None:
        return
    contact_notify(row=item, templates="counselling/feedback/notices/status")


def feedback_contact_read(*, feedback: Feedback, reader: User) -> str:
    """The contact in clear for a coordinator who handles the item; logged (ids only)."""
    from counselling.services.intake import contact_unseal

    if not feedback.contact_sealed:
        return ""
    if not feedback_may_handle(feedback=feedback, user=reader):
        raise PermissionDenied(_("You cannot see how to reach this person."))
    contact = contact_unseal(sealed=feedback.contact_sealed, model="Feedback", reference=feedback.reference)
    logger.info("contact of feedback %s read by user %s", feedback.pk, reader.pk)
    return contact


# --- Session ratings ------------------------------------------------------------------------


@transaction.atomic
def session_rating_create(
    *, appointment: Appointment, rater: User, stars: int, now: datetime | None = None
) -> tuple[SessionRating, bool]:
    """The client rates an appointment that has ended (1 to 5). One rating per appointment: a
    second tap returns the first and `False`."""
    now = now or timezone.now()
    if not session_rating_may_rate(appointment=appointment, user=rater, now=now):
        raise PermissionDenied(_("You can rate an appointment only after it has taken place."))
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationError({"stars": _("Choose from 1 to 5 stars.")})
    earlier = SessionRating.objects.filter(appointment=appointment).first()
    if earlier is not None:
        return earlier, False
    try:
        with transaction.atomic():
            rating = SessionRating.objects.create(
                appointment=appointment, rater=rater, stars=stars, created_at=now
            )
    except IntegrityError:
        return SessionRating.objects.get(appointment=appointment), False
    return rating, True


@sensitive_variables("comment", "text")
@transaction.atomic
def session_rating_comment(*, rating: SessionRating, rater: User, comment: str) -> SessionRating:
    """The client adds (or changes) the comment of their rating."""
    if rating.rater_id != rater.pk:
        raise PermissionDenied(_("Only the person who rated can add a comment."))
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationError(
            {"comment": _("Please write at most %(n)d characters.") % {"n": COMMENT_MAX_CHARS}}
        )
    rating.comment = text
    rating.save(update_fields=["comment"])
    return rating
