"""Reading the mail that the file e-mail backend wrote to var/mail/ (development only)."""

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings

# Django's file backend separates messages in one file with a line of 79 dashes.
_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    date: str
    body: str


def _text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def read_mail_outbox(limit: int = 50) -> list[Mail]:
    """Messages newest first."""
    folder = Path(settings.MAILERS["default"].get("OPTIONS", {}).get("file_path", settings.MAIL_DIR))
    if not folder.is_dir():
        return []
    mails: list[Mail] = []
    for path in sorted(folder.glob("*.log"), reverse=True):
        chunks = [c for c in path.read_bytes().split(_SEPARATOR) if c.strip()]
        for chunk in reversed(chunks):
            message = message_from_bytes(chunk.strip(), policy=policy.default)
            if not isinstance(message, EmailMessage):
                continue
            mails.append(
                Mail(
                    to=str(message.get("To", "")),
                    subject=str(message.get("Subject", "")),
                    date=str(message.get("Date", "")),
                    body=_text_body(message),
                )
            )
            if len(mails) >= limit:
                return mails
    return mails
