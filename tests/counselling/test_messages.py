"""Conversations over HTTP: who may read and write, no duplicates, read positions, paging."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from booking import services as booking
from counselling import selectors, services
from counselling.models import Message, Participant
from counselling.services import MESSAGE_MAX_CHARS
from tests.factories import make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    client = make_user(Role.MIGRANT, display_name="Farid", time_zone="Europe/Athens")
    counsellor = make_user(Role.COUNSELLOR, display_name="Mariam", time_zone="Asia/Kabul")
    return client, counsellor, services.conversation_get_or_create(client=client, counsellor=counsellor)


def send(conversation, sender, body="Salaam", client_id=None):
    return services.message_send(
        conversation=conversation, sender=sender, body=body, client_id=client_id or uuid.uuid4()
    )


def test_a_conversation_starts_with_its_client_and_counsellor_as_participants(pair):
    client, counsellor, conversation = pair

    roles = dict(conversation.participants.values_list("user_id", "role"))

    assert roles == {client.pk: "client", counsellor.pk: "counsellor"}


def test_a_resent_message_is_stored_once(pair):
    client, _counsellor, conversation = pair
    key = uuid.uuid4()

    first, created = send(conversation, client, "When can we talk?", key)
    again, created_again = send(conversation, client, "When can we talk?", key)

    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Message.objects.count() == 1


def test_someone_outside_the_conversation_cannot_write_in_it(pair):
    _client, _counsellor, conversation = pair
    stranger = make_user(Role.MIGRANT)

    with pytest.raises(ValidationError):
        send(conversation, stranger)

    assert not Message.objects.exists()


def test_a_removed_participant_can_no_longer_write(pair):
    client, _counsellor, conversation = pair
    Participant.objects.filter(user=client).update(removed_at=datetime.now(UTC))

    with pytest.raises(ValidationError):
        send(conversation, client)


@pytest.mark.parametrize("body", ["", "   \n  ", "x" * (MESSAGE_MAX_CHARS + 1)])
def test_an_empty_or_oversized_message_is_refused_and_nothing_is_stored(pair, body):
    client, _counsellor, conversation = pair

    with pytest.raises(ValidationError) as error:
        send(conversation, client, body)

    assert "body" in error.value.error_dict
    assert not Message.objects.exists()


def test_reading_moves_forward_only_and_never_past_the_last_message(pair):
    client, counsellor, conversation = pair
    first, _ = send(conversation, counsellor, "one")
    second, _ = send(conversation, counsellor, "two")

    assert (
        services.conversation_mark_read(conversation=conversation, user=client, up_to_id=second.pk)
        == second.pk
    )
    assert (
        services.conversation_mark_read(conversation=conversation, user=client, up_to_id=first.pk)
        == second.pk
    )
    assert (
        services.conversation_mark_read(conversation=conversation, user=client, up_to_id=10**9) == second.pk
    )


def test_a_participant_sees_no_history_from_before_their_start(pair):
    client, counsellor, conversation = pair
    with time_machine.travel(datetime(2026, 6, 1, 8, tzinfo=UTC), tick=False):
        send(conversation, client, "private before")
    interpreter = make_user(Role.MIGRANT)
    joined = datetime(2026, 6, 2, 8, tzinfo=UTC)
    helper = Participant.objects.create(
        conversation=conversation, user=interpreter, role="interpreter", sees_history_from=joined
    )
    with time_machine.travel(joined + timedelta(minutes=5), tick=False):
        send(conversation, counsellor, "after joining")

    page, earlier = selectors.message_page(participant=helper)

    assert [m.body for m in page] == ["after joining"]
    assert not earlier


def test_pages_of_history_follow_each_other_without_gaps(pair):
    client, counsellor, conversation = pair
    bodies = [f"message {n}" for n in range(7)]
    for n, body in enumerate(bodies):
        send(conversation, client if n % 2 else counsellor, body)
    participant = selectors.participant_get(user=client, conversation_id=conversation.pk)

    latest, more = selectors.message_page(participant=participant, limit=3)
    middle, more_2 = selectors.message_page(participant=participant, before_id=latest[0].pk, limit=3)
    oldest, more_3 = selectors.message_page(participant=participant, before_id=middle[0].pk, limit=3)

    assert [m.body for m in oldest + middle + latest] == bodies
    assert (more, more_2, more_3) == (True, True, False)


def test_the_list_shows_the_last_message_and_unread_counts_in_one_query(pair, django_assert_num_queries):
    client, counsellor, conversation = pair
    other_counsellor = make_user(Role.COUNSELLOR)
    second = services.conversation_get_or_create(client=client, counsellor=other_counsellor)
    send(conversation, counsellor, "first")
    send(conversation, counsellor, "second")
    send(second, client, "hello")

    with django_assert_num_queries(1):
        rows = list(selectors.conversation_list_for_user(user=client))

    assert [(r.conversation_id, r.last_body, r.unread) for r in rows] == [
        (second.pk, "hello", 0),
        (conversation.pk, "second", 2),
    ]
    assert selectors.unread_total(user=client) == 2


# --- Pages ----------------------------------------------------------------------------------


def test_opening_the_conversation_shows_the_messages_and_marks_them_read(pair, client_for):
    client, counsellor, conversation = pair
    send(conversation, counsellor, "Please bring your documents.")

    page = client_for(client).get(reverse("counselling:conversation", args=[conversation.pk]))

    assert "Please bring your documents." in page.content.decode()
    assert selectors.unread_total(user=client) == 0


def test_the_sender_sees_read_once_the_other_has_opened_the_conversation(pair, client_for):
    client, counsellor, conversation = pair
    message, _ = send(conversation, client, "Hello")
    url = reverse("counselling:conversation", args=[conversation.pk])

    def status():
        html = client_for(client).get(url).content.decode()
        start = html.index(f'id="m{message.pk}"')
        return html[start : html.index("</li>", start)]

    assert "Sent" in status()
    client_for(counsellor).get(url)
    assert "Read" in status()


def test_writing_through_the_form_twice_stores_one_message(pair, client_for):
    client, _counsellor, conversation = pair
    browser = client_for(client)
    data = {"body": "Is Tuesday fine?", "client_id": str(uuid.uuid4())}
    url = reverse("counselling:send", args=[conversation.pk])

    first = browser.post(url, data)
    browser.post(url, data)

    message = Message.objects.get()
    assert first["Location"].endswith(f"#m{message.pk}")


def test_a_refused_message_comes_back_in_the_form_with_the_reason(pair, client_for):
    client, _counsellor, conversation = pair
    too_long = "word " * (MESSAGE_MAX_CHARS // 5 + 10)

    response = client_for(client).post(
        reverse("counselling:send", args=[conversation.pk]),
        {"body": too_long, "client_id": str(uuid.uuid4())},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Your message was not sent." in html
    assert too_long.strip()[:200] in html
    assert not Message.objects.exists()


def test_a_stranger_cannot_open_or_write_in_the_conversation(pair, client_for):
    _client, _counsellor, conversation = pair
    stranger = client_for(make_user(Role.MIGRANT))

    assert stranger.get(reverse("counselling:conversation", args=[conversation.pk])).status_code == 404
    response = stranger.post(
        reverse("counselling:send", args=[conversation.pk]), {"body": "hi", "client_id": str(uuid.uuid4())}
    )
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_the_agenda_links_each_appointment_to_its_conversation(client_for):
    counsellor = make_bookable_counsellor(time_zone="Asia/Kabul", languages=("fa",))
    client = make_user(Role.MIGRANT, languages=["fa"])
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    appointment = booking.appointment_book(
        client=client,
        counsellor=counsellor,
        start_at=start,
        duration=30,
        modality="chat",
        topic="return",
        language="fa",
        idempotency_key=uuid.uuid4(),
    ).appointment
    day = start.astimezone(ZoneInfo("Asia/Kabul")).date().isoformat()

    html = client_for(counsellor).get(reverse("booking:agenda"), {"day": day}).content.decode()

    assert reverse("counselling:conversation", args=[appointment.conversation_id]) in html


def test_the_page_shows_delivered_not_read_for_someone_with_read_receipts_off(pair, client_for):
    client, counsellor, conversation = pair
    counsellor.read_receipts = False
    counsellor.save(update_fields=["read_receipts"])
    message, _ = send(conversation, client, "Hello")
    url = reverse("counselling:conversation", args=[conversation.pk])

    client_for(counsellor).get(url)  # she reads it
    html = client_for(client).get(url).content.decode()

    start = html.index(f'id="m{message.pk}"')
    state = html[start : html.index("</li>", start)]
    assert "Delivered" in state
    assert "Read" not in state


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 6, 1, 9, 0, tzinfo=UTC), "is at work now"),  # 10:00 in Lagos
        (datetime(2026, 6, 1, 19, 0, tzinfo=UTC), "answers messages during working hours, next from"),
    ],
)
def test_the_client_sees_when_the_counsellor_answers_messages(client_for, at, expected):
    counsellor = make_bookable_counsellor(time_zone="Africa/Lagos", hours=(9, 17))
    client = make_user(Role.MIGRANT)
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)

    with time_machine.travel(at, tick=False):
        html = (
            client_for(client)
            .get(reverse("counselling:conversation", args=[conversation.pk]))
            .content.decode()
        )
        counsellor_view = client_for(counsellor).get(
            reverse("counselling:conversation", args=[conversation.pk])
        )

    assert expected in html
    assert "chat-office" not in counsellor_view.content.decode()


def test_counselling_pages_offer_migrants_a_quick_exit_but_not_staff_or_other_pages(
    pair, client_for, settings
):
    client, counsellor, conversation = pair
    settings.QUICK_EXIT_URL = "https://weather.example.org/"
    url = reverse("counselling:conversation", args=[conversation.pk])

    migrant_page = client_for(client).get(url).content.decode()
    directory = client_for(None).get(reverse("booking:directory")).content.decode()
    counsellor_page = client_for(counsellor).get(url).content.decode()
    help_page = client_for(client).get(reverse("frontend:help")).content.decode()

    assert 'href="https://weather.example.org/"' in migrant_page
    assert "data-quick-exit" in directory
    assert "data-quick-exit" not in counsellor_page
    assert "data-quick-exit" not in help_page
