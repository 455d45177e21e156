"""Telling one person something outside the site: by e-mail, or by SMS for phone-only accounts,
always in the person's own language. Every notice of the platform goes through here.

Templates come in threes under one folder: `subject.txt`, `email.txt` and a short `sms.txt`.
"""

from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User
from accounts.sms import get_sms_backend

# (file name, content, MIME type), e.g. a calendar file.
Attachment = tuple[str, bytes, str]


def calendar_attachment(name: str, content: bytes, *, cancel: bool) -> Attachment:
    method = "CANCEL" if cancel else "REQUEST"
    return name, content, f"text/calendar; charset=utf-8; method={method}"


def person_notify(
    *,
    recipient: User,
    templates: str,
    context: dict[str, object],
    attachments: Callable[[], Sequence[Attachment]] | None = None,
) -> str:
    """Send the notice in `templates/`; returns the channel used ("email", "sms" or "none").
    `attachments` is called in the recipient's language (a calendar file's title is text too)."""
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{templates}/subject.txt", context).strip()
        if recipient.email:
            body = render_to_string(f"{templates}/email.txt", context)
            message = EmailMessage(subject=subject, body=body, to=[recipient.email])
            for attachment in attachments() if attachments else ():
                message.attach(*attachment)
            message.send()
            return "email"
        if recipient.phone:
            text = render_to_string(f"{templates}/sms.txt", context).strip()
            get_sms_backend().send(to=recipient.phone, body=text)
            return "sms"
    return "none"
