"""The live-chat socket: only participants, store-ack-fan-out, no duplicates, replay after a
drop, receipts, limits that answer with an error frame, and sockets that close with access."""

import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from babel.dates import format_time
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import Role, User
from config.asgi import application
from counselling import services
from counselling.consumers import MAX_FRAME_BYTES, RATE_BURST
from counselling.models import Message
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True)]


def session_cookie(user: User) -> tuple[Client, str]:
    client = Client()
    client.force_login(user)
    return client, client.cookies["sessionid"].value


# An address in ALLOWED_HOSTS as the test settings load them: the Origin validator reads the
# list when config.asgi is imported, before pytest-django adds "testserver".
async def connect(conversation_id: int, user: User | None = None, *, origin: str = "http://localhost"):
    headers = [(b"origin", origin.encode())]
    browser = None
    if user is not None:
        browser, cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    socket = WebsocketCommunicator(application, f"/ws/conversations/{conversation_id}/", headers=headers)
    connected, _ = await socket.connect()
    assert connected
    return socket, browser


async def receive(socket) -> dict:
    return json.loads(await socket.receive_from(timeout=3))


async def receive_type(socket, kind: str) -> dict:
    """The next frame of `kind`, skipping others (typing, receipts...)."""
    for _ in range(20):
        frame = await receive(socket)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


@pytest.fixture
def pair(db):
    client = make_user(Role.MIGRANT, display_name="Farid", language="fa")
    counsellor = make_user(Role.COUNSELLOR, display_name="Mariam")
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    return client, counsellor, conversation


async def test_a_participant_is_greeted_with_the_last_message_id(pair):
    client, _counsellor, conversation = pair
    socket, _ = await connect(conversation.pk, client)

    hello = await receive(socket)

    assert hello["type"] == "hello"
    assert hello["last_id"] == 0
    await socket.disconnect()


async def test_someone_outside_the_conversation_is_refused_with_a_reason_in_their_language(pair):
    _client, _counsellor, conversation = pair
    stranger = await sync_to_async(make_user)(Role.MIGRANT, language="de")
    socket, _ = await connect(conversation.pk, stranger)

    frame = await receive(socket)
    closed = await socket.receive_output(timeout=3)

    assert frame["type"] == "error"
    assert frame["message"] != "You are not part of this conversation."  # German
    assert closed == {"type": "websocket.close", "code": 4403}


async def test_a_visitor_without_a_session_is_refused(pair):
    _client, _counsellor, conversation = pair
    socket, _ = await connect(conversation.pk)

    assert (await receive(socket))["type"] == "error"
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}


async def test_a_foreign_origin_cannot_open_a_socket(pair):
    client, _counsellor, conversation = pair
    _browser, cookie = await sync_to_async(session_cookie)(client)
    socket = WebsocketCommunicator(
        application,
        f"/ws/conversations/{conversation.pk}/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", f"sessionid={cookie}".encode())],
    )

    connected, _ = await socket.connect()

    assert not connected


async def test_a_message_is_stored_then_acknowledged_then_shown_to_both(pair):
    client, counsellor, conversation = pair
    mine, _ = await connect(conversation.pk, client)
    theirs, _ = await connect(conversation.pk, counsellor)
    await receive(mine), await receive(theirs)
    key = str(uuid.uuid4())

    await mine.send_to(text_data=json.dumps({"type": "message", "client_id": key, "body": "Salaam"}))
    ack = await receive_type(mine, "ack")
    shown = await receive_type(theirs, "message")

    stored = await sync_to_async(Message.objects.get)()
    assert (ack["type"], ack["client_id"], ack["id"]) == ("ack", key, stored.pk)
    assert ack["time"]  # written as the page writes times, in the sender's zone and language
    assert (shown["id"], shown["body"], shown["sender_name"]) == (stored.pk, "Salaam", "Farid")
    assert (await receive_type(mine, "message"))["id"] == stored.pk
    await mine.disconnect()
    await theirs.disconnect()


async def test_a_message_resent_after_a_drop_is_acknowledged_with_the_same_id_and_stored_once(pair):
    client, _counsellor, conversation = pair
    key = str(uuid.uuid4())
    frame = json.dumps({"type": "message", "client_id": key, "body": "Are you there?"})
    first, _ = await connect(conversation.pk, client)
    await receive(first)
    await first.send_to(text_data=frame)
    first_ack = await receive_type(first, "ack")
    await first.disconnect()

    again, _ = await connect(conversation.pk, client)
    await receive(again)
    await again.send_to(text_data=frame)
    second_ack = await receive_type(again, "ack")

    assert first_ack["id"] == second_ack["id"]
    assert await sync_to_async(Message.objects.count)() == 1
    await again.disconnect()


async def test_a_reconnecting_client_gets_everything_it_missed_in_order(pair):
    client, counsellor, conversation = pair
    seen = await sync_to_async(services.message_send)(
        conversation=conversation, sender=counsellor, body="one", client_id=uuid.uuid4()
    )
    for body in ("two", "three", "four"):
        await sync_to_async(services.message_send)(
            conversation=conversation, sender=counsellor, body=body, client_id=uuid.uuid4()
        )
    socket, _ = await connect(conversation.pk, client)
    await receive(socket)

    await socket.send_to(text_data=json.dumps({"type": "sync", "after": seen[0].pk}))
    frames = [await receive(socket) for _ in range(4)]

    assert [f["body"] for f in frames[:3]] == ["two", "three", "four"]
    assert frames[3] == {"type": "synced", "last_id": frames[2]["id"], "more": False}
    await socket.disconnect()


async def test_a_sync_skips_what_the_page_received_live_and_still_moves_past_it(pair):
    client, counsellor, conversation = pair
    sent = []
    for body in ("one", "two", "three", "four"):
        message, _ = await sync_to_async(services.message_send)(
            conversation=conversation, sender=counsellor, body=body, client_id=uuid.uuid4()
        )
        sent.append(message.pk)
    socket, _ = await connect(conversation.pk, client)
    await receive(socket)

    # "two" and "four" arrived live before the drop; "three" was lost on the way.
    await socket.send_to(
        text_data=json.dumps({"type": "sync", "after": sent[0], "known": [sent[1], sent[3]]})
    )
    missing = await receive(socket)
    synced = await receive(socket)

    assert missing["body"] == "three"
    assert synced == {"type": "synced", "last_id": sent[3], "more": False}
    await socket.disconnect()


async def test_a_socket_opened_with_since_replays_what_came_after_it(pair):
    client, counsellor, conversation = pair
    first, _ = await sync_to_async(services.message_send)(
        conversation=conversation, sender=counsellor, body="one", client_id=uuid.uuid4()
    )
    await sync_to_async(services.message_send)(
        conversation=conversation, sender=counsellor, body="two", client_id=uuid.uuid4()
    )
    _browser, cookie = await sync_to_async(session_cookie)(client)
    socket = WebsocketCommunicator(
        application,
        f"/ws/conversations/{conversation.pk}/?since={first.pk}",
        headers=[(b"origin", b"http://localhost"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    assert (await socket.connect())[0]

    assert (await receive(socket))["type"] == "hello"
    assert (await receive(socket))["body"] == "two"
    assert (await receive(socket))["type"] == "synced"
    await socket.disconnect()


async def test_a_message_sent_by_form_post_reaches_the_other_persons_open_page(pair):
    client, counsellor, conversation = pair
    socket, _ = await connect(conversation.pk, counsellor)
    await receive(socket)
    browser, _cookie = await sync_to_async(session_cookie)(client)

    response = await sync_to_async(browser.post)(
        f"/conversations/{conversation.pk}/send/",
        {"body": "Sent without a socket", "client_id": str(uuid.uuid4())},
    )

    assert response.status_code == 302
    assert (await receive_type(socket, "message"))["body"] == "Sent without a socket"
    await socket.disconnect()


async def test_reading_sends_a_receipt_to_the_other_person(pair):
    client, counsellor, conversation = pair
    message, _created = await sync_to_async(services.message_send)(
        conversation=conversation, sender=counsellor, body="Hello", client_id=uuid.uuid4()
    )
    reader, _ = await connect(conversation.pk, client)
    writer, _ = await connect(conversation.pk, counsellor)
    await receive(reader), await receive(writer)

    await reader.send_to(text_data=json.dumps({"type": "read", "up_to": message.pk}))

    receipt = await receive_type(writer, "receipt")
    assert receipt == {"type": "receipt", "user": client.pk, "kind": "read", "up_to": message.pk}
    await reader.disconnect()
    await writer.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '{"no": "type"}',
        '{"type": "launch"}',
        '{"type": "message", "client_id": "nope", "body": "x"}',
        '{"type": "message", "client_id": "6f1c2a9e-8a55-4a4e-9d5c-2f0f8f1d2b11", "body": 7}',
        '{"type": "sync", "after": "yesterday"}',
        '{"type": "read", "up_to": -1}',
    ],
)
async def test_a_malformed_frame_gets_an_error_and_the_socket_keeps_working(pair, frame):
    client, _counsellor, conversation = pair
    socket, _ = await connect(conversation.pk, client)
    await receive(socket)

    await socket.send_to(text_data=frame)
    error = await receive(socket)
    await socket.send_to(text_data='{"type": "ping"}')

    assert error["type"] == "error"
    assert (await receive(socket))["type"] == "pong"
    await socket.disconnect()


async def test_an_oversized_frame_or_message_is_refused_and_nothing_is_stored(pair):
    client, _counsellor, conversation = pair
    socket, _ = await connect(conversation.pk, client)
    await receive(socket)

    await socket.send_to(text_data="x" * (MAX_FRAME_BYTES + 1))
    too_large = await receive(socket)
    key = str(uuid.uuid4())
    await socket.send_to(text_data=json.dumps({"type": "message", "client_id": key, "body": "y" * 5000}))
    too_long = await receive(socket)

    assert too_large["code"] == "too_large"
    assert (too_long["code"], too_long["client_id"]) == ("too_long", key)
    assert "4000" in too_long["message"]
    assert await sync_to_async(Message.objects.count)() == 0
    await socket.disconnect()


async def test_too_many_frames_at_once_are_slowed_down_without_closing(pair):
    client, _counsellor, conversation = pair
    socket, _ = await connect(conversation.pk, client)
    await receive(socket)

    for _ in range(int(RATE_BURST) + 5):
        await socket.send_to(text_data='{"type": "ping"}')
    frames = [await receive(socket) for _ in range(int(RATE_BURST) + 5)]

    assert any(f["type"] == "error" and f["code"] == "slow_down" for f in frames)
    assert frames[0]["type"] == "pong"
    await socket.disconnect()


async def test_signing_out_closes_the_sockets_of_that_session(pair):
    client, _counsellor, conversation = pair
    socket, browser = await connect(conversation.pk, client)
    await receive(socket)

    await sync_to_async(browser.logout)()

    assert (await receive(socket))["type"] == "error"
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}


async def test_deactivating_an_account_closes_its_sockets(pair):
    client, _counsellor, conversation = pair
    socket, _ = await connect(conversation.pk, client)
    await receive(socket)

    def deactivate() -> None:
        client.is_active = False
        client.save(update_fields=["is_active"])

    await sync_to_async(deactivate)()

    assert (await receive(socket))["type"] == "error"
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}


async def test_the_other_person_is_shown_online_while_their_socket_is_open(pair):
    client, counsellor, conversation = pair
    counsellor_socket, _ = await connect(conversation.pk, counsellor)
    await receive(counsellor_socket)

    client_socket, _ = await connect(conversation.pk, client)
    hello = await receive(client_socket)

    assert hello["online"] == [counsellor.pk]
    await client_socket.disconnect()
    await counsellor_socket.disconnect()


async def test_someone_opening_the_conversation_is_announced_to_the_other_at_once(pair):
    client, counsellor, conversation = pair
    client_socket, _ = await connect(conversation.pk, client)
    await receive(client_socket)

    counsellor_socket, _ = await connect(conversation.pk, counsellor)
    announced = await receive_type(client_socket, "presence")
    await counsellor_socket.disconnect()
    gone = await receive_type(client_socket, "presence")

    assert announced == {"type": "presence", "user": counsellor.pk, "online": True}
    assert gone == {"type": "presence", "user": counsellor.pk, "online": False}
    await client_socket.disconnect()


async def test_each_person_gets_the_time_of_a_message_in_their_own_zone(pair):
    client, counsellor, conversation = pair

    def zones() -> None:
        client.time_zone, client.language = "Europe/Athens", "en"
        client.save(update_fields=["time_zone", "language"])
        counsellor.time_zone, counsellor.language = "Asia/Kabul", "en"
        counsellor.save(update_fields=["time_zone", "language"])

    await sync_to_async(zones)()
    athens, _ = await connect(conversation.pk, client)
    kabul, _ = await connect(conversation.pk, counsellor)
    await receive(athens), await receive(kabul)

    await athens.send_to(
        text_data=json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "body": "What time is it?"})
    )
    in_athens = await receive_type(athens, "message")
    in_kabul = await receive_type(kabul, "message")

    stored = await sync_to_async(Message.objects.get)()
    assert in_athens["time"] == format_time(
        stored.created_at, "short", tzinfo=ZoneInfo("Europe/Athens"), locale="en"
    )
    assert in_kabul["time"] == format_time(
        stored.created_at, "short", tzinfo=ZoneInfo("Asia/Kabul"), locale="en"
    )
    await athens.disconnect()
    await kabul.disconnect()


async def test_closing_one_of_two_tabs_leaves_the_person_online(pair):
    client, counsellor, conversation = pair
    watcher, _ = await connect(conversation.pk, client)
    await receive(watcher)
    tab_one, _ = await connect(conversation.pk, counsellor)
    tab_two, _ = await connect(conversation.pk, counsellor)
    await receive_type(watcher, "presence"), await receive_type(watcher, "presence")

    await tab_one.disconnect()
    first = await receive_type(watcher, "presence")
    second = await receive_type(watcher, "presence")

    assert (first["online"], second["online"]) == (False, True)
    await tab_two.disconnect()
    await watcher.disconnect()


async def test_someone_with_read_receipts_off_is_shown_as_delivered_only(pair):
    client, counsellor, conversation = pair

    def receipts_off() -> None:
        client.read_receipts = False
        client.save(update_fields=["read_receipts"])

    await sync_to_async(receipts_off)()
    message, _created = await sync_to_async(services.message_send)(
        conversation=conversation, sender=counsellor, body="Hello", client_id=uuid.uuid4()
    )
    reader, _ = await connect(conversation.pk, client)
    writer, _ = await connect(conversation.pk, counsellor)
    await receive(reader), await receive(writer)

    await reader.send_to(text_data=json.dumps({"type": "read", "up_to": message.pk}))

    receipt = await receive_type(writer, "receipt")
    assert (receipt["kind"], receipt["up_to"]) == ("delivered", message.pk)
    await reader.disconnect()
    await writer.disconnect()


async def test_typing_reaches_the_other_person_only_and_is_never_stored(pair):
    client, counsellor, conversation = pair
    typist, _ = await connect(conversation.pk, client)
    other, _ = await connect(conversation.pk, counsellor)
    await receive(typist), await receive(other)

    await typist.send_to(text_data='{"type": "typing"}')
    heard = await receive_type(other, "typing")
    await typist.send_to(text_data='{"type": "ping"}')
    own_frames = []
    while (frame := await receive(typist))["type"] != "pong":
        own_frames.append(frame["type"])

    assert heard == {"type": "typing", "user": client.pk}
    assert "typing" not in own_frames
    assert await sync_to_async(Message.objects.count)() == 0
    await typist.disconnect()
    await other.disconnect()
