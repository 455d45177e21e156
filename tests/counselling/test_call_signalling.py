"""Calls over the conversation socket: invite, accept, reject, relay of offers, answers and
candidates to one person only, hangup with a reason, the call log, and the waiting room."""

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from accounts.models import Role
from counselling import presence, services
from counselling.models import Call, CallAttendee, Participant
from tests.counselling.test_consumer import connect, receive, receive_type
from tests.factories import make_appointment, make_user

pytestmark = [pytest.mark.django_db(transaction=True)]

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}


@pytest.fixture
def pair(db):
    client = make_user(Role.MIGRANT, display_name="Farid", language="fa")
    counsellor = make_user(Role.COUNSELLOR, display_name="Mariam")
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    return client, counsellor, conversation


async def open_both(conversation, client, counsellor):
    theirs, _ = await connect(conversation.pk, client)
    ours, _ = await connect(conversation.pk, counsellor)
    await receive_type(theirs, "hello")
    await receive_type(ours, "hello")
    return theirs, ours


async def ring(ours, theirs, media: str = "video") -> str:
    """The counsellor's socket invites; the client's socket rings. Returns the call's ref."""
    ref = str(uuid.uuid4())
    await ours.send_json_to({"type": "call.invite", "ref": ref, "media": media})
    await receive_type(theirs, "call.invite")
    return ref


async def answer(ours, theirs, ref: str) -> None:
    """The client answers; the caller hears it."""
    await theirs.send_json_to({"type": "call.accept", "ref": ref})
    await receive_type(ours, "call.accept")


async def close_all(*sockets) -> None:
    for socket in sockets:
        await socket.disconnect()


async def test_an_invite_rings_the_other_person_and_gives_the_caller_ice_servers(pair, settings):
    settings.TURN_URLS = ["turn:turn.example.org:3478"]
    settings.TURN_SECRET = "s3cret"
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = str(uuid.uuid4())

    await ours.send_json_to({"type": "call.invite", "ref": ref, "media": "video"})

    joined = await receive_type(ours, "call.joined")
    invite = await receive_type(theirs, "call.invite")
    assert joined["ref"] == ref and joined["attendees"] == []
    turn = joined["ice_servers"][0]
    assert turn["urls"] == ["turn:turn.example.org:3478"]
    expected = base64.b64encode(
        hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected
    assert turn["username"].endswith(f":{counsellor.pk}")
    assert invite["from"] == counsellor.pk and invite["media"] == "video" and invite["ring_seconds"] > 0
    assert await ours.receive_nothing(timeout=0.2)  # the caller is not rung
    await close_all(theirs, ours)


async def test_accepting_tells_the_caller_and_the_call_log_records_an_answer(pair):
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = await ring(ours, theirs, "audio")

    await theirs.send_json_to({"type": "call.accept", "ref": ref})

    joined = await receive_type(theirs, "call.joined")
    accepted = await receive_type(ours, "call.accept")
    assert joined["attendees"] == [counsellor.pk]
    assert accepted["user"] == client.pk
    call = await Call.objects.aget(ref=ref)
    assert call.answered_at is not None and call.ended_at is None
    await close_all(theirs, ours)


async def test_offers_answers_and_candidates_reach_only_the_person_they_are_for_and_are_not_stored(pair):
    client, counsellor, conversation = pair
    interpreter = await sync_to_async(make_user)(Role.COUNSELLOR, display_name="Sahar")
    await Participant.objects.acreate(
        conversation=conversation, user=interpreter, role=Participant.Role.INTERPRETER
    )
    theirs, ours = await open_both(conversation, client, counsellor)
    third, _ = await connect(conversation.pk, interpreter)
    await receive_type(third, "hello")
    ref = await ring(ours, theirs, "video")
    await theirs.send_json_to({"type": "call.accept", "ref": ref})
    await receive_type(theirs, "call.joined")
    await receive_type(ours, "call.accept")
    await receive_type(third, "call.accept")

    await ours.send_json_to({"type": "call.offer", "ref": ref, "to": client.pk, "description": OFFER})
    candidate = {
        "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await ours.send_json_to({"type": "call.candidate", "ref": ref, "to": client.pk, "candidate": candidate})

    offer = await receive_type(theirs, "call.offer")
    relayed = await receive_type(theirs, "call.candidate")
    assert offer["from"] == counsellor.pk and offer["description"] == OFFER
    assert relayed["candidate"] == candidate
    assert await third.receive_nothing(timeout=0.3)  # rung, but not in the call: hears no signalling
    assert await ours.receive_nothing(timeout=0.1)
    stored = await Call.objects.filter(ref=ref).values().aget()
    assert "v=0" not in repr(stored) and "candidate:" not in repr(stored)
    for socket in (theirs, ours, third):
        await socket.disconnect()


async def test_signalling_from_a_socket_that_is_not_in_the_call_is_refused(pair):
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = await ring(ours, theirs, "video")
    await receive_type(ours, "call.joined")

    await theirs.send_json_to({"type": "call.offer", "ref": ref, "to": counsellor.pk, "description": OFFER})

    error = await receive_type(theirs, "error")
    assert error["code"] == "not_in_call"
    assert await ours.receive_nothing(timeout=0.2)
    await close_all(theirs, ours)


async def test_a_malformed_offer_gets_an_error_and_the_socket_keeps_working(pair):
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = str(uuid.uuid4())
    await ours.send_json_to({"type": "call.invite", "ref": ref, "media": "video"})
    await receive_type(ours, "call.joined")

    await ours.send_json_to(
        {"type": "call.offer", "ref": ref, "to": client.pk, "description": {"type": "answer"}}
    )
    error = await receive(ours)
    await ours.send_json_to({"type": "ping"})

    assert error["type"] == "error" and error["code"] == "malformed"
    assert (await receive_type(ours, "pong"))["type"] == "pong"
    await close_all(theirs, ours)


async def test_declining_ends_the_call_as_declined_for_both(pair):
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = await ring(ours, theirs, "video")

    await theirs.send_json_to({"type": "call.reject", "ref": ref})

    assert (await receive_type(ours, "call.ended"))["reason"] == "rejected"
    call = await Call.objects.aget(ref=ref)
    assert call.end_reason == Call.EndReason.REJECTED and call.ended_by_id == client.pk
    await close_all(theirs, ours)


async def test_hanging_up_ends_the_call_with_its_reason_and_a_duration(pair):
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = await ring(ours, theirs, "audio")
    await answer(ours, theirs, ref)

    await theirs.send_json_to({"type": "call.hangup", "ref": ref, "reason": "hangup"})

    left = await receive_type(ours, "call.left")
    ended = await receive_type(ours, "call.ended")
    assert left["user"] == client.pk and ended["reason"] == "hangup"
    call = await Call.objects.aget(ref=ref)
    assert call.duration is not None and call.duration >= timedelta(0)
    assert not await CallAttendee.objects.filter(call=call, left_at__isnull=True).aexists()
    await close_all(theirs, ours)


async def test_a_closed_socket_leaves_its_call_as_a_lost_connection(pair):
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = await ring(ours, theirs, "audio")
    await answer(ours, theirs, ref)

    await theirs.disconnect()

    assert (await receive_type(ours, "call.ended"))["reason"] == "lost"
    await ours.disconnect()


async def test_a_second_invite_while_a_call_rings_is_refused_and_a_repeated_one_is_the_same_call(pair):
    client, counsellor, conversation = pair
    theirs, ours = await open_both(conversation, client, counsellor)
    ref = str(uuid.uuid4())
    await ours.send_json_to({"type": "call.invite", "ref": ref, "media": "audio"})
    await receive_type(ours, "call.joined")

    await ours.send_json_to({"type": "call.invite", "ref": ref, "media": "audio"})  # after a reconnect
    again = await receive_type(ours, "call.joined")
    await theirs.send_json_to({"type": "call.invite", "ref": str(uuid.uuid4()), "media": "video"})
    busy = await receive_type(theirs, "error")

    assert again["ref"] == ref
    assert busy["code"] == "call_busy"
    assert await Call.objects.filter(conversation=conversation).acount() == 1
    await close_all(theirs, ours)


async def test_a_page_opened_during_a_call_learns_of_it_in_hello(pair):
    client, counsellor, conversation = pair
    ours, _ = await connect(conversation.pk, counsellor)
    await receive_type(ours, "hello")
    ref = str(uuid.uuid4())
    await ours.send_json_to({"type": "call.invite", "ref": ref, "media": "video"})
    await receive_type(ours, "call.joined")

    theirs, _ = await connect(conversation.pk, client)
    hello = await receive_type(theirs, "hello")

    assert hello["call"]["ref"] == ref and hello["call"]["answered"] is False
    assert hello["call"]["attendees"] == [counsellor.pk]
    await close_all(theirs, ours)


async def test_the_client_in_the_waiting_room_is_shown_to_the_counsellor(pair):
    client, counsellor, conversation = pair
    appointment = await sync_to_async(make_appointment)(
        client=client, counsellor=counsellor, conversation=conversation, starts_in=timedelta(minutes=5)
    )
    theirs, ours = await open_both(conversation, client, counsellor)

    await theirs.send_json_to({"type": "call.wait", "appointment": appointment.pk})

    waiting = await receive_type(ours, "call.waiting")
    assert waiting["appointment"] == appointment.pk and waiting["user"] == client.pk
    assert await sync_to_async(presence.waiting_among)(appointment_ids=[appointment.pk]) == [appointment.pk]
    await ours.send_json_to(
        {"type": "call.invite", "ref": str(uuid.uuid4()), "media": "video", "appointment": appointment.pk}
    )
    invite = await receive_type(theirs, "call.invite")
    await theirs.send_json_to({"type": "call.accept", "ref": invite["ref"]})
    await receive_type(theirs, "call.joined")
    assert await sync_to_async(presence.waiting_among)(appointment_ids=[appointment.pk]) == []
    await close_all(theirs, ours)


async def test_waiting_for_an_appointment_that_is_hours_away_is_refused(pair):
    client, counsellor, conversation = pair
    appointment = await sync_to_async(make_appointment)(
        client=client, counsellor=counsellor, conversation=conversation, starts_in=timedelta(hours=3)
    )
    theirs, ours = await open_both(conversation, client, counsellor)

    await theirs.send_json_to({"type": "call.wait", "appointment": appointment.pk})

    assert (await receive_type(theirs, "error"))["code"] == "not_joinable"
    assert await ours.receive_nothing(timeout=0.2)
    await close_all(theirs, ours)
