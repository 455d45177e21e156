"""Hundreds of malformed frames, generated: every one gets an answer and none breaks the socket."""

import json

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from counselling import consumers, services
from counselling.models import Message
from tests.counselling.test_consumer import connect, receive
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True)]

KNOWN_TYPES = [
    *["message", "sync", "read", "delivered", "typing", "ping", "launch", ""],
    *["call.invite", "call.accept", "call.reject", "call.offer", "call.answer", "call.candidate"],
    *["call.media", "call.hangup", "call.wait", "call.nonsense"],
]
FIELDS = [
    *["client_id", "body", "after", "known", "up_to", "type"],
    *["ref", "to", "media", "appointment", "description", "candidate", "video", "reason"],
]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
# Frames that look almost right (a known type, fields of any kind), JSON of any shape, and text.
near_misses = st.builds(
    lambda kind, fields: json.dumps({"type": kind, **fields}),
    st.sampled_from(KNOWN_TYPES),
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=4),
)
frames = st.one_of(near_misses, values.map(json.dumps), st.text(max_size=200), st.binary(max_size=50))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(frames, min_size=120, max_size=120))
def test_any_frame_gets_one_answer_and_the_socket_keeps_working(batch, monkeypatch):
    monkeypatch.setattr(consumers, "RATE_BURST", 10_000.0)  # the parser is under test, not the rate
    monkeypatch.setattr(consumers, "SIGNAL_BURST", 10_000.0)
    client = make_user(Role.MIGRANT)
    counsellor = make_user(Role.COUNSELLOR)
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)

    async def run() -> None:
        socket, _ = await connect(conversation.pk, client)
        await receive(socket)
        for frame in batch:
            kind = "bytes" if isinstance(frame, bytes) else "text"
            await socket.send_input({"type": "websocket.receive", kind: frame})
            # Every frame is answered unless it is a valid typing, read or delivered signal,
            # which only others hear; a ping proves the socket still answers.
            await socket.send_to(text_data='{"type": "ping"}')
            for _ in range(205):
                answer = await receive(socket)
                assert answer["type"] in {
                    "error",
                    "ack",
                    "message",
                    "synced",
                    "receipt",
                    "pong",
                    "typing",
                    "presence",
                    *["call.joined", "call.reject", "call.left", "call.ended", "call.waiting"],
                }
                if answer["type"] == "pong":
                    break
        await socket.disconnect()

    async_to_sync(run)()
    # Only well-formed messages were stored, each once.
    stored = list(Message.objects.values_list("client_id", flat=True))
    assert len(stored) == len(set(stored))
