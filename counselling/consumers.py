"""Live chat over `ws[s]://HOST/ws/conversations/<id>/` (one socket per open conversation page).

Frames are JSON objects with a `type`. From the browser:

    {"type": "message", "client_id": "<uuid>", "body": "..."}   store, then ack, then fan out
    {"type": "sync", "after": <id>, "known": [<id>, ...]}        everything missed, in order
    {"type": "read", "up_to": <id>} / {"type": "delivered", "up_to": <id>}
    {"type": "typing"}                                           not stored
    {"type": "ping"}                                             keeps presence; answered by "pong"

Calls are signalled over the same socket (WebRTC "perfect negotiation" between each pair):

    {"type": "call.invite", "ref": "<uuid>", "media": "audio"|"video", "appointment": <id>?}
    {"type": "call.accept", "ref": ...} / {"type": "call.reject", "ref": ...}
    {"type": "call.offer"|"call.answer", "ref": ..., "to": <user id>, "description": {...}}
    {"type": "call.candidate", "ref": ..., "to": <user id>, "candidate": {...} or null}
    {"type": "call.media", "ref": ..., "video": true|false}      video switched on or off
    {"type": "call.hangup", "ref": ..., "reason": "hangup"|"failed"|"no_answer"}
    {"type": "call.wait", "appointment": <id>}                    the client is in the waiting room

Offers, answers and candidates are relayed to the one person they are for and never stored or
logged; the call itself is logged (counselling.services.calls).

To the browser: "hello", "ack", "message", "synced", "receipt", "typing", "presence", "pong",
"error", and the call frames "call.invite", "call.joined" (to the socket that joined, with its
ICE servers), "call.accept", "call.reject", "call.offer", "call.answer", "call.candidate",
"call.media", "call.left", "call.ended", "call.waiting".
The database is the source of truth: channel layers drop messages under load and forget groups
when Redis restarts, so a client that reconnects sends "sync" and gets every message it missed.
A bad frame gets an "error" frame and the socket stays open.
"""

import json
import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from counselling import presence, selectors, services
from counselling.models import Call, Message, Participant
from counselling.selectors import calls as call_selectors
from counselling.services import calls as call_services
from frontend.templatetags.when import clock_text

MAX_FRAME_BYTES = 16 * 1024
# A person types a few messages a second at most; a burst allows a queue sent on reconnect.
RATE_PER_SECOND = 5.0
RATE_BURST = 20.0
TYPING_EVERY_SECONDS = 3.0
# Setting up a call sends a burst of ICE candidates: signalling has its own, larger allowance.
SIGNAL_RATE_PER_SECOND = 20.0
SIGNAL_BURST = 100.0
SIGNAL_TYPES = frozenset({"call.offer", "call.answer", "call.candidate"})
SYNC_PAGE = 200
SYNC_KNOWN_MAX = 500

CLOSE_SIGNED_OUT = 4401
CLOSE_NOT_ALLOWED = 4403


def conversation_group(conversation_id: int) -> str:
    return f"conv.{conversation_id}"


def session_group(session_key: str) -> str:
    return f"session.{session_key}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "type": "message",
        "id": message.pk,
        "client_id": str(message.client_id),
        "sender": message.sender_id,
        "sender_name": message.sender.display_name,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def broadcast_message(message: Message) -> None:
    """Fan a message stored outside a socket (a form post) out to the open pages. At most once,
    like every fan-out: a page that misses it gets it from its next sync."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            conversation_group(message.conversation_id),
            {"type": "chat.message", "message": message_payload(message)},
        )


class ConversationConsumer(AsyncWebsocketConsumer):
    user: User
    participant: Participant
    groups_joined: list[str]
    # The call this socket is in (one device per person takes part; others only ring).
    call_ref: str | None = None

    async def connect(self) -> None:
        self.groups_joined = []
        self.language = settings.LANGUAGE_CODE
        # Accept first: a socket closed before accept() shows the browser only code 1006.
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_SIGNED_OUT, _("Please sign in again."))
            return
        self.user = user
        self.language = user.language or settings.LANGUAGE_CODE
        conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        participant = await database_sync_to_async(selectors.participant_get)(
            user=user, conversation_id=conversation_id
        )
        if participant is None:
            await self._refuse(CLOSE_NOT_ALLOWED, _("You are not part of this conversation."))
            return
        self.participant = participant
        self.tokens = RATE_BURST
        self.signal_tokens = SIGNAL_BURST
        self.refilled_at = self.signal_refilled_at = time.monotonic()
        self.typing_at = 0.0
        session = self.scope.get("session")
        groups = [conversation_group(conversation_id), user_group(user.pk)]
        if session is not None and session.session_key:
            groups.append(session_group(session.session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        await database_sync_to_async(presence.presence_touch)(user_id=user.pk)
        await self.channel_layer.group_send(
            conversation_group(conversation_id),
            {"type": "chat.presence", "user": user.pk, "online": True, "channel": self.channel_name},
        )
        await self._send(
            {
                "type": "hello",
                "user": user.pk,
                "last_id": await database_sync_to_async(self._last_id)(),
                "online": await database_sync_to_async(self._others_online)(),
                "limits": {"message_chars": services.MESSAGE_MAX_CHARS, "frame_bytes": MAX_FRAME_BYTES},
                **await database_sync_to_async(self._call_state)(),
            }
        )
        since = _since(self.scope.get("query_string", b""))
        if since is not None:
            await self._replay(since, set())

    async def disconnect(self, code: int) -> None:
        # Not always called (django/channels#1466): presence also expires by itself, and calls
        # nobody is connected to any more are ended by a periodic task.
        if self.call_ref is not None:
            await self._leave_call(self.call_ref, "lost")
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.groups_joined:
            await self.channel_layer.group_send(
                self.groups_joined[0],
                {
                    "type": "chat.presence",
                    "user": self.user.pk,
                    "online": False,
                    "channel": self.channel_name,
                },
            )

    # --- From the browser ------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "participant"):
            return  # refused at connect; the close is under way
        if text_data is None:
            await self._error("binary", _("Send text frames only."))
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self._error("too_large", _("This message is too long to send."))
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        kind = frame.get("type") if isinstance(frame, dict) else None
        kind = kind if isinstance(kind, str) else None
        if not self._take_token(signal=kind in SIGNAL_TYPES):
            await self._error("slow_down", _("You are sending too fast. Please wait a moment."))
            return
        if not isinstance(frame, dict) or kind is None:
            await self._error("malformed", _("This message could not be read."))
            return
        handler = {
            "message": self._on_message,
            "sync": self._on_sync,
            "read": self._on_position,
            "delivered": self._on_position,
            "typing": self._on_typing,
            "ping": self._on_ping,
            "call.invite": self._on_call_invite,
            "call.accept": self._on_call_accept,
            "call.reject": self._on_call_reject,
            "call.offer": self._on_call_signal,
            "call.answer": self._on_call_signal,
            "call.candidate": self._on_call_signal,
            "call.media": self._on_call_media,
            "call.hangup": self._on_call_hangup,
            "call.wait": self._on_call_wait,
        }.get(kind)
        if handler is None:
            await self._error("unknown_type", _("This message could not be read."))
            return
        await handler(frame)

    async def _on_message(self, frame: dict[str, Any]) -> None:
        try:
            client_id = uuid.UUID(str(frame.get("client_id")))
        except ValueError:
            await self._error("malformed", _("This message could not be read."))
            return
        body = frame.get("body")
        if not isinstance(body, str):
            await self._error("malformed", _("This message could not be read."), client_id=client_id)
            return
        try:
            message, created = await database_sync_to_async(self._store)(client_id, body)
        except ValidationError as error:
            code = error.error_dict["body"][0].code if hasattr(error, "error_dict") else error.code
            await self._error(code or "refused", " ".join(error.messages), client_id=client_id)
            return
        # Stored (committed), then acknowledged, then fanned out.
        await self._send(
            self._with_time(
                {
                    "type": "ack",
                    "client_id": str(client_id),
                    "id": message.pk,
                    "created_at": message.created_at.isoformat(),
                }
            )
        )
        if created:
            await self.channel_layer.group_send(
                conversation_group(self.participant.conversation_id),
                {"type": "chat.message", "message": message_payload(message)},
            )

    def _store(self, client_id: uuid.UUID, body: str) -> tuple[Message, bool]:
        with translation.override(self.language):
            message, created = services.message_send(
                conversation=self.participant.conversation, sender=self.user, body=body, client_id=client_id
            )
        message.sender = self.user
        return message, created

    async def _on_sync(self, frame: dict[str, Any]) -> None:
        """Everything after `after` that the page does not have. `known` lists ids the page
        received live since then: they are not sent again (a phone on a paid connection does not
        download a burst twice), yet they count towards the new sync point."""
        after, known = frame.get("after", 0), frame.get("known", [])
        if not _count(after) or not isinstance(known, list) or len(known) > SYNC_KNOWN_MAX:
            await self._error("malformed", _("This message could not be read."))
            return
        if not all(_count(pk) for pk in known):
            await self._error("malformed", _("This message could not be read."))
            return
        await self._replay(after, set(known))

    async def _replay(self, after: int, known: set[int]) -> None:
        missed = await database_sync_to_async(self._missed)(after, known)
        for message in missed[:SYNC_PAGE]:
            await self._send(self._with_time(message_payload(message)))
        more = len(missed) > SYNC_PAGE
        last = missed[min(len(missed), SYNC_PAGE) - 1].pk if missed else after
        if not more:
            last = max([last, *(pk for pk in known if pk > after)])
        await self._send({"type": "synced", "last_id": last, "more": more})

    def _missed(self, after: int, known: set[int]) -> list[Message]:
        return selectors.message_list_after(
            participant=self.participant, after_id=after, limit=SYNC_PAGE + 1, exclude_ids=known
        )

    async def _on_position(self, frame: dict[str, Any]) -> None:
        up_to = frame.get("up_to")
        if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to < 0:
            await self._error("malformed", _("This message could not be read."))
            return
        kind = frame["type"]
        stored = await database_sync_to_async(self._record_position)(kind, up_to)
        if kind == "read" and not self.user.read_receipts:
            kind = "delivered"  # this person keeps to themselves what they have read
        await self.channel_layer.group_send(
            conversation_group(self.participant.conversation_id),
            {"type": "chat.receipt", "user": self.user.pk, "kind": kind, "up_to": stored},
        )

    def _record_position(self, kind: str, up_to: int) -> int:
        if kind == "read":
            return services.conversation_mark_read(
                conversation=self.participant.conversation, user=self.user, up_to_id=up_to
            )
        return services.conversation_mark_delivered(
            conversation=self.participant.conversation, user=self.user, up_to_id=up_to
        )

    async def _on_typing(self, frame: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.typing_at < TYPING_EVERY_SECONDS:
            return
        self.typing_at = now
        await self.channel_layer.group_send(
            conversation_group(self.participant.conversation_id),
            {"type": "chat.typing", "user": self.user.pk},
        )

    async def _on_ping(self, frame: dict[str, Any]) -> None:
        await database_sync_to_async(presence.presence_touch)(user_id=self.user.pk)
        await self._send({"type": "pong", "online": await database_sync_to_async(self._others_online)()})

    # --- Calls -----------------------------------------------------------------------------

    async def _on_call_invite(self, frame: dict[str, Any]) -> None:
        ref = _uuid(frame.get("ref"))
        media = frame.get("media")
        appointment = frame.get("appointment")
        if ref is None or not isinstance(media, str) or not _optional_id(appointment):
            await self._error("malformed", _("This message could not be read."))
            return
        try:
            call, created = await database_sync_to_async(self._invite)(ref, media, appointment)
        except ValidationError as error:
            await self._call_error(error, ref)
            return
        self.call_ref = str(call.ref)
        await self._send_joined(call)
        if created:
            await self._to_conversation(
                {
                    "type": "call.invite",
                    "ref": str(call.ref),
                    "from": self.user.pk,
                    "from_name": self.user.display_name,
                    "media": call.media,
                    "ring_seconds": call_services.RING_SECONDS,
                    "appointment": call.appointment_id,
                },
                skip_user=self.user.pk,
            )

    def _invite(self, ref: uuid.UUID, media: str, appointment: int | None) -> tuple[Call, bool]:
        with translation.override(self.language):
            return call_services.call_invite(
                conversation=self.participant.conversation,
                caller=self.user,
                ref=ref,
                media=media,
                appointment_id=appointment,
            )

    async def _on_call_accept(self, frame: dict[str, Any]) -> None:
        ref = _uuid(frame.get("ref"))
        if ref is None:
            await self._error("malformed", _("This message could not be read."))
            return
        try:
            call = await database_sync_to_async(self._accept)(ref)
        except ValidationError as error:
            await self._call_error(error, ref)
            return
        self.call_ref = str(call.ref)
        await self._send_joined(call)
        await self._to_conversation(
            {
                "type": "call.accept",
                "ref": str(call.ref),
                "user": self.user.pk,
                "name": self.user.display_name,
            },
            skip_channel=self.channel_name,
        )

    def _accept(self, ref: uuid.UUID) -> Call:
        with translation.override(self.language):
            return call_services.call_accept(
                conversation=self.participant.conversation, user=self.user, ref=ref
            )

    async def _on_call_reject(self, frame: dict[str, Any]) -> None:
        ref = _uuid(frame.get("ref"))
        if ref is None:
            await self._error("malformed", _("This message could not be read."))
            return
        try:
            call = await database_sync_to_async(self._reject)(ref)
        except ValidationError as error:
            await self._call_error(error, ref)
            return
        await self._to_conversation({"type": "call.reject", "ref": str(ref), "user": self.user.pk})
        if call.ended_at is not None:
            await self._to_conversation({"type": "call.ended", "ref": str(ref), "reason": call.end_reason})

    def _reject(self, ref: uuid.UUID) -> Call:
        with translation.override(self.language):
            return call_services.call_reject(
                conversation=self.participant.conversation, user=self.user, ref=ref
            )

    async def _on_call_signal(self, frame: dict[str, Any]) -> None:
        """Relay an offer, answer or ICE candidate to one person in the same call. Nothing of it
        is stored or logged; the receiving socket drops it unless it is in that call."""
        ref, to = frame.get("ref"), frame.get("to")
        if ref is None or ref != self.call_ref:
            await self._error("not_in_call", _("You are not in this call."))
            return
        if not _optional_id(to) or to is None:
            await self._error("malformed", _("This message could not be read."))
            return
        event: dict[str, Any] = {"type": frame["type"], "ref": ref, "from": self.user.pk}
        if frame["type"] == "call.candidate":
            candidate = frame.get("candidate")
            if not (candidate is None or _valid_candidate(candidate)):
                await self._error("malformed", _("This message could not be read."))
                return
            event["candidate"] = candidate
        else:
            description = frame.get("description")
            if not _valid_description(description, frame["type"].removeprefix("call.")):
                await self._error("malformed", _("This message could not be read."))
                return
            event["description"] = description
        await self._to_conversation(event, to_user=to, call_ref=ref)

    async def _on_call_media(self, frame: dict[str, Any]) -> None:
        ref, video = frame.get("ref"), frame.get("video")
        if ref is None or ref != self.call_ref:
            await self._error("not_in_call", _("You are not in this call."))
            return
        if not isinstance(video, bool):
            await self._error("malformed", _("This message could not be read."))
            return
        await self._to_conversation(
            {"type": "call.media", "ref": ref, "user": self.user.pk, "video": video},
            skip_channel=self.channel_name,
            call_ref=ref,
        )

    async def _on_call_hangup(self, frame: dict[str, Any]) -> None:
        ref = _uuid(frame.get("ref"))
        reason = frame.get("reason", "hangup")
        if ref is None or reason not in call_services.LEAVE_REASONS or reason == "lost":
            await self._error("malformed", _("This message could not be read."))
            return
        await self._leave_call(str(ref), reason)

    async def _leave_call(self, ref: str, reason: str) -> None:
        if ref == self.call_ref:
            self.call_ref = None
        try:
            call = await database_sync_to_async(self._leave)(uuid.UUID(ref), reason)
        except ValidationError as error:
            await self._call_error(error, uuid.UUID(ref))
            return
        await self._to_conversation({"type": "call.left", "ref": ref, "user": self.user.pk, "reason": reason})
        if call.ended_at is not None:
            await self._to_conversation({"type": "call.ended", "ref": ref, "reason": call.end_reason})

    def _leave(self, ref: uuid.UUID, reason: str) -> Call:
        with translation.override(self.language):
            return call_services.call_leave(
                conversation=self.participant.conversation, user=self.user, ref=ref, reason=reason
            )

    async def _on_call_wait(self, frame: dict[str, Any]) -> None:
        appointment = frame.get("appointment")
        if not _optional_id(appointment) or appointment is None:
            await self._error("malformed", _("This message could not be read."))
            return
        entered = await database_sync_to_async(call_services.waiting_room_enter)(
            user=self.user, conversation_id=self.participant.conversation_id, appointment_id=appointment
        )
        if not entered:
            await self._error("not_joinable", _("This appointment cannot be joined now."))
            return
        await self._to_conversation(
            {"type": "call.waiting", "appointment": appointment, "user": self.user.pk, "waiting": True},
            skip_user=self.user.pk,
        )

    def _call_state(self) -> dict[str, Any]:
        """For "hello": the call ringing or running now (a reloaded page can rejoin it, a late
        interpreter can join it) and who is in the waiting room."""
        conversation_id = self.participant.conversation_id
        state: dict[str, Any] = {
            "waiting": [a.pk for a in call_selectors.waiting_in_conversation(conversation_id=conversation_id)]
        }
        call = call_selectors.call_live(conversation_id=conversation_id)
        if call is not None:
            state["call"] = {
                "ref": str(call.ref),
                "from": call.started_by_id,
                "from_name": call.started_by.display_name,
                "media": call.media,
                "answered": call.answered_at is not None,
                "ring_seconds": max(0, int((call.ring_until - timezone.now()).total_seconds())),
                "attendees": call_selectors.call_attendee_ids(call=call),
                "appointment": call.appointment_id,
            }
        return state

    async def _send_joined(self, call: Call) -> None:
        ice = call_services.ice_config_for(user=self.user)
        attendees = await database_sync_to_async(call_selectors.call_attendee_ids)(
            call=call, exclude=self.user.pk
        )
        await self._send(
            {
                "type": "call.joined",
                "ref": str(call.ref),
                "media": call.media,
                "attendees": attendees,
                "ice_servers": ice.servers,
                "ice_transport_policy": ice.transport_policy,
            }
        )

    async def _call_error(self, error: ValidationError, ref: uuid.UUID) -> None:
        code = getattr(error, "code", None) or "refused"
        payload: dict[str, Any] = {"type": "error", "code": code, "message": " ".join(error.messages)}
        payload["ref"] = str(ref)
        await self._send(payload)

    async def _to_conversation(
        self,
        event: dict[str, Any],
        *,
        skip_user: int | None = None,
        skip_channel: str | None = None,
        to_user: int | None = None,
        call_ref: str | None = None,
    ) -> None:
        await self.channel_layer.group_send(
            conversation_group(self.participant.conversation_id),
            {
                "type": "call.event",
                "event": event,
                "skip_user": skip_user,
                "skip_channel": skip_channel,
                "to_user": to_user,
                "call_ref": call_ref,
            },
        )

    # --- From the channel layer ------------------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self._send(self._with_time(event["message"]))

    async def chat_receipt(self, event: dict[str, Any]) -> None:
        if event["user"] != self.user.pk:
            await self._send(
                {"type": "receipt", "user": event["user"], "kind": event["kind"], "up_to": event["up_to"]}
            )

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["user"] != self.user.pk:
            await self._send({"type": "typing", "user": event["user"]})

    async def chat_presence(self, event: dict[str, Any]) -> None:
        if event["user"] != self.user.pk:
            await self._send({"type": "presence", "user": event["user"], "online": event["online"]})
        elif not event["online"] and event.get("channel") != self.channel_name:
            # Another tab or phone of this person closed; this socket is still open.
            await self.channel_layer.group_send(
                conversation_group(self.participant.conversation_id),
                {"type": "chat.presence", "user": self.user.pk, "online": True, "channel": self.channel_name},
            )

    async def call_event(self, event: dict[str, Any]) -> None:
        if event["skip_user"] == self.user.pk or event["skip_channel"] == self.channel_name:
            return
        if event["to_user"] is not None and event["to_user"] != self.user.pk:
            return
        if event["call_ref"] is not None and event["call_ref"] != self.call_ref:
            return  # signalling for a call this socket is not in (another tab, or too late)
        payload = event["event"]
        if payload["type"] == "call.ended" and payload["ref"] == self.call_ref:
            self.call_ref = None
        await self._send(payload)

    async def session_closed(self, event: dict[str, Any]) -> None:
        """Signed out or deactivated: this socket closes at once."""
        await self._refuse(CLOSE_SIGNED_OUT, _("You have been signed out."))

    async def participant_removed(self, event: dict[str, Any]) -> None:
        if event["user"] == self.user.pk:
            await self._refuse(CLOSE_NOT_ALLOWED, _("You are no longer part of this conversation."))

    # --- Helpers ---------------------------------------------------------------------------

    def _take_token(self, *, signal: bool = False) -> bool:
        now = time.monotonic()
        if signal:
            elapsed = now - self.signal_refilled_at
            self.signal_tokens = min(SIGNAL_BURST, self.signal_tokens + elapsed * SIGNAL_RATE_PER_SECOND)
            self.signal_refilled_at = now
            if self.signal_tokens < 1:
                return False
            self.signal_tokens -= 1
            return True
        self.tokens = min(RATE_BURST, self.tokens + (now - self.refilled_at) * RATE_PER_SECOND)
        self.refilled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def _last_id(self) -> int:
        return selectors.last_message_id(conversation_id=self.participant.conversation_id)

    def _others_online(self) -> list[int]:
        return presence.online_among(user_ids=selectors.other_participant_ids(participant=self.participant))

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))

    def _with_time(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The time as this person's page shows it: their zone, their language (CLDR)."""
        moment = datetime.fromisoformat(payload["created_at"])
        return {**payload, "time": clock_text(moment, self.user.time_zone or "UTC", self.language)}

    def _text(self, message: str | Promise) -> str:
        with translation.override(self.language):
            return str(message)

    async def _error(self, code: str, message: str | Promise, *, client_id: uuid.UUID | None = None) -> None:
        payload: dict[str, Any] = {"type": "error", "code": code, "message": self._text(message)}
        if client_id is not None:
            payload["client_id"] = str(client_id)
        await self._send(payload)

    async def _refuse(self, code: int, message: str | Promise) -> None:
        await self._send({"type": "error", "code": "closed", "message": self._text(message)})
        await self.close(code=code)


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _optional_id(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63)


def _valid_description(value: object, kind: str) -> bool:
    return (
        isinstance(value, dict)
        and set(value) <= {"type", "sdp"}
        and value.get("type") == kind
        and isinstance(value.get("sdp"), str)
    )


def _valid_candidate(value: object) -> bool:
    if not isinstance(value, dict) or not set(value) <= {
        "candidate",
        "sdpMid",
        "sdpMLineIndex",
        "usernameFragment",
    }:
        return False
    index = value.get("sdpMLineIndex")
    return (
        isinstance(value.get("candidate"), str)
        and (value.get("sdpMid") is None or isinstance(value.get("sdpMid"), str))
        and (index is None or (isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 1024))
        and (value.get("usernameFragment") is None or isinstance(value.get("usernameFragment"), str))
    )


def _since(query_string: bytes) -> int | None:
    """`?since=<id>` on the socket URL: replay every message after it at once."""
    values = parse_qs(query_string.decode("latin-1")).get("since", [])
    try:
        since = int(values[0]) if values else None
    except ValueError:
        return None
    return since if since is not None and 0 <= since < 2**63 else None
