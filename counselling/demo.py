"""Demo conversation for `manage.py seed_demo` (idempotent): Farid and his counsellor Mariam
have already written to each other, so the messages page shows what it is for."""

import uuid
from collections.abc import Callable

from django.db import transaction

from accounts.models import User
from counselling import services
from counselling.models import Message

# Stable ids: seeding again finds the same messages instead of adding them twice.
MESSAGES = (
    (
        "migrant2@demo.test",
        "b7f3c1d2-0001-4000-8000-000000000001",
        "Hello, I want to go back to Kandahar next spring. Where do I start?",
    ),
    (
        "counsellor2@demo.test",
        "b7f3c1d2-0001-4000-8000-000000000002",
        "Welcome, Farid. First we look at your papers and at what you need when you arrive. "
        "Can you book a video call this week?",
    ),
    ("migrant2@demo.test", "b7f3c1d2-0001-4000-8000-000000000003", "Yes, thank you. I will book Thursday."),
)


@transaction.atomic
def seed(*, write: Callable[[str], None]) -> None:
    client = User.objects.filter(email="migrant2@demo.test").first()
    counsellor = User.objects.filter(email="counsellor2@demo.test").first()
    if client is None or counsellor is None:
        return
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    people = {client.email: client, counsellor.email: counsellor}
    added = 0
    for email, key, body in MESSAGES:
        if Message.objects.filter(conversation=conversation, client_id=key).exists():
            continue
        services.message_send(
            conversation=conversation, sender=people[email], body=body, client_id=uuid.UUID(key)
        )
        added += 1
    if added:
        write(f"demo conversation with {added} messages")
