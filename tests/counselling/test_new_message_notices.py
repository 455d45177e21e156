"""Someone away hears once per burst that there is something new, never what it says."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accounts.models import Role
from accounts.sms import MemorySMSBackend
from counselling import presence, services
from counselling.notifications import new_messages_notify_pending
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def pair():
    with time_machine.travel(NOW, tick=False):
        client = make_user(Role.MIGRANT, language="fa")
        counsellor = make_user(Role.COUNSELLOR)
        conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    return client, counsellor, conversation


def write(conversation, sender, body, at):
    with time_machine.travel(at, tick=False):
        return services.message_send(
            conversation=conversation, sender=sender, body=body, client_id=uuid.uuid4()
        )[0]


def notify(at):
    with time_machine.travel(at, tick=False):
        return new_messages_notify_pending()


def test_a_burst_of_messages_is_announced_once_without_its_text(pair):
    client, counsellor, conversation = pair
    for n in range(3):
        write(conversation, counsellor, f"secret detail {n}", NOW + timedelta(seconds=n))

    assert notify(NOW + timedelta(minutes=2)) == 1
    assert notify(NOW + timedelta(minutes=3)) == 0

    (message,) = mail.outbox
    assert message.to == [client.email]
    assert "secret" not in message.subject + message.body
    assert counsellor.display_name not in message.body
    assert f"/conversations/{conversation.pk}/" in message.body


def test_nothing_is_sent_for_a_message_read_within_the_first_minute(pair):
    client, counsellor, conversation = pair
    message = write(conversation, counsellor, "hello", NOW)
    services.conversation_mark_read(conversation=conversation, user=client, up_to_id=message.pk)

    assert notify(NOW + timedelta(minutes=2)) == 0
    assert not mail.outbox


def test_a_new_burst_after_reading_is_announced_again(pair):
    client, counsellor, conversation = pair
    first = write(conversation, counsellor, "one", NOW)
    notify(NOW + timedelta(minutes=2))
    services.conversation_mark_read(conversation=conversation, user=client, up_to_id=first.pk)
    write(conversation, counsellor, "two", NOW + timedelta(minutes=10))

    assert notify(NOW + timedelta(minutes=12)) == 1
    assert len(mail.outbox) == 2


def test_someone_with_the_conversation_open_is_not_told(pair):
    client, counsellor, conversation = pair
    write(conversation, counsellor, "hello", NOW)
    presence.presence_touch(user_id=client.pk)

    assert notify(NOW + timedelta(seconds=90)) == 0


def test_the_sender_is_never_told_about_their_own_message(pair):
    client, counsellor, conversation = pair
    write(conversation, client, "question", NOW)

    notify(NOW + timedelta(minutes=2))

    assert [m.to for m in mail.outbox] == [[counsellor.email]]


def test_a_phone_only_person_gets_a_short_sms_in_their_language(pair):
    _client, counsellor, _conversation = pair
    phone_only = make_user(Role.MIGRANT, email=None, phone="+306912345670", language="fa")
    conversation = services.conversation_get_or_create(client=phone_only, counsellor=counsellor)
    write(conversation, counsellor, "your papers are ready", NOW)

    notify(NOW + timedelta(minutes=2))

    (sms,) = [m for m in MemorySMSBackend.outbox if m.to == "+306912345670"]
    assert "papers" not in sms.body
    assert "you have a new message" not in sms.body  # Persian, not English
