"""The call log: ringing, answering, declining, leaving and expiry; TURN credentials."""

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from counselling import presence, services
from counselling.models import Call, CallAttendee, Participant
from counselling.services import calls
from tests.factories import make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def pair(db):
    client = make_user(Role.MIGRANT)
    counsellor = make_user(Role.COUNSELLOR)
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    return client, counsellor, conversation


def ring(conversation, caller, media="video"):
    call, _created = calls.call_invite(
        conversation=conversation, caller=caller, ref=uuid.uuid4(), media=media
    )
    return call


def test_an_invite_rings_for_a_limited_time_with_the_caller_in_the_call(pair):
    _client, counsellor, conversation = pair

    call = ring(conversation, counsellor)

    assert call.ring_until - call.invited_at == timedelta(seconds=calls.RING_SECONDS)
    assert list(call.attendees.values_list("user_id", flat=True)) == [counsellor.pk]
    assert call.answered_at is None and call.ended_at is None


def test_someone_outside_the_conversation_cannot_call_into_it(pair):
    _client, _counsellor, conversation = pair

    with pytest.raises(ValidationError) as error:
        ring(conversation, make_user(Role.MIGRANT))

    assert error.value.code == "not_participant"
    assert not Call.objects.exists()


def test_an_unknown_media_is_refused(pair):
    client, _counsellor, conversation = pair

    with pytest.raises(ValidationError):
        ring(conversation, client, media="hologram")


def test_the_database_allows_one_live_call_per_conversation(pair):
    client, counsellor, conversation = pair
    ring(conversation, counsellor)

    with pytest.raises(IntegrityError), transaction.atomic():
        Call.objects.create(
            ref=uuid.uuid4(),
            conversation=conversation,
            started_by=client,
            media="audio",
            ring_until=timezone.now(),
        )


def test_a_call_that_rang_out_ends_as_not_answered_and_a_new_one_can_start(pair):
    client, counsellor, conversation = pair
    first = ring(conversation, counsellor)
    Call.objects.filter(pk=first.pk).update(ring_until=timezone.now() - timedelta(seconds=1))

    second = ring(conversation, client)

    first.refresh_from_db()
    assert first.end_reason == Call.EndReason.NO_ANSWER and second.ended_at is None


def test_accepting_a_call_that_rang_out_is_refused_and_logs_it_as_not_answered(pair):
    client, counsellor, conversation = pair
    call = ring(conversation, counsellor)
    Call.objects.filter(pk=call.pk).update(ring_until=timezone.now() - timedelta(seconds=1))

    with pytest.raises(ValidationError) as error:
        calls.call_accept(conversation=conversation, user=client, ref=call.ref)

    assert error.value.code == "call_ended"
    call.refresh_from_db()
    assert call.end_reason == Call.EndReason.NO_ANSWER


def test_the_caller_hanging_up_before_an_answer_cancels_the_call(pair):
    _client, counsellor, conversation = pair
    call = ring(conversation, counsellor)

    calls.call_leave(conversation=conversation, user=counsellor, ref=call.ref, reason="hangup")

    call.refresh_from_db()
    assert call.end_reason == Call.EndReason.CANCELLED and call.duration is None


def test_an_interpreter_declining_does_not_end_the_call_for_the_others(pair):
    client, counsellor, conversation = pair
    interpreter = make_user(Role.COUNSELLOR)
    Participant.objects.create(conversation=conversation, user=interpreter, role=Participant.Role.INTERPRETER)
    call = ring(conversation, counsellor)

    calls.call_reject(conversation=conversation, user=interpreter, ref=call.ref)
    calls.call_accept(conversation=conversation, user=client, ref=call.ref)

    call.refresh_from_db()
    assert call.ended_at is None and call.answered_at is not None


def test_a_three_way_call_goes_on_when_one_person_leaves_and_ends_when_two_have(pair):
    client, counsellor, conversation = pair
    interpreter = make_user(Role.COUNSELLOR)
    Participant.objects.create(conversation=conversation, user=interpreter, role=Participant.Role.INTERPRETER)
    call = ring(conversation, counsellor)
    calls.call_accept(conversation=conversation, user=client, ref=call.ref)
    calls.call_accept(conversation=conversation, user=interpreter, ref=call.ref)

    calls.call_leave(conversation=conversation, user=interpreter, ref=call.ref, reason="hangup")
    call.refresh_from_db()
    assert call.ended_at is None
    calls.call_leave(conversation=conversation, user=client, ref=call.ref, reason="failed")

    call.refresh_from_db()
    assert call.end_reason == Call.EndReason.FAILED and call.ended_by == client
    assert not CallAttendee.objects.filter(call=call, left_at__isnull=True).exists()


def test_a_removed_participant_cannot_join_a_call(pair):
    client, counsellor, conversation = pair
    call = ring(conversation, counsellor)
    Participant.objects.filter(conversation=conversation, user=client).update(removed_at=timezone.now())

    with pytest.raises(ValidationError):
        calls.call_accept(conversation=conversation, user=client, ref=call.ref)


def test_an_answered_call_nobody_is_connected_to_ends_as_lost(pair):
    client, counsellor, conversation = pair
    call = ring(conversation, counsellor)
    calls.call_accept(conversation=conversation, user=client, ref=call.ref)
    Call.objects.filter(pk=call.pk).update(answered_at=timezone.now() - timedelta(minutes=5))
    presence.presence_touch(user_id=counsellor.pk)  # one person still there is not a call

    ended = calls.calls_expire_now()

    call.refresh_from_db()
    assert ended == 1 and call.end_reason == Call.EndReason.LOST


def test_an_answered_call_with_both_people_connected_goes_on(pair):
    client, counsellor, conversation = pair
    call = ring(conversation, counsellor)
    calls.call_accept(conversation=conversation, user=client, ref=call.ref)
    Call.objects.filter(pk=call.pk).update(answered_at=timezone.now() - timedelta(minutes=5))
    presence.presence_touch(user_id=counsellor.pk)
    presence.presence_touch(user_id=client.pk)

    assert calls.calls_expire_now() == 0


def test_turn_credentials_follow_coturns_shared_secret_scheme_and_expire():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    username, credential = calls.turn_credentials(user_id=42, secret="abc", ttl_seconds=3600, now=now)

    assert username == f"{int(now.timestamp()) + 3600}:42"
    assert base64.b64decode(credential) == hmac.new(b"abc", username.encode(), hashlib.sha1).digest()


def test_ice_servers_hold_turn_only_when_a_secret_is_set(settings, pair):
    client, _counsellor, _conversation = pair
    settings.STUN_URLS = ["stun:stun.example.org:3478"]
    settings.TURN_URLS = ["turn:turn.example.org:3478"]
    settings.TURN_SECRET = ""

    assert calls.ice_config_for(user=client).servers == [{"urls": ["stun:stun.example.org:3478"]}]
    settings.TURN_SECRET = "abc"
    settings.ICE_TRANSPORT_POLICY = "relay"
    config = calls.ice_config_for(user=client)
    assert config.servers[1]["urls"] == ["turn:turn.example.org:3478"]
    assert config.transport_policy == "relay"
