from django.db import IntegrityError, transaction

from accounts.models import User
from counselling.models import Conversation


def conversation_get_or_create(*, client: User, counsellor: User) -> Conversation:
    """The one conversation of this pair, created on first contact (safe under concurrency)."""
    existing = Conversation.objects.filter(client=client, counsellor=counsellor).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Conversation.objects.create(client=client, counsellor=counsellor)
    except IntegrityError:
        return Conversation.objects.get(client=client, counsellor=counsellor)
