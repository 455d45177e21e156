"""Live chat over `ws[s]://HOST/ws/conversations/<id>/` (one socket per open conversation page).

Frames are JSON objects with a `type`. From the browser:

    {"type": "message", "client_id": "<uuid>", "body": "..."}   store, then ack, then fan out
    {"type": "sync", "after": <last seen id>}                    everything missed, in order
    {"type": "read", "up_to": <id>} / {"type": "delivered", "up_to": <id>}
    {"type": "typing"}                                           not stored
    {"type": "ping"}                                             keeps presence; answered by "pong"

To the browser: "hello", "ack", "message", "synced", "receipt", "typing", "presence", "pong",
"error".
The database is the source of truth: channel layers drop messages under load and forget groups
when Redis restarts, so a client that reconnects sends "sync" and gets every message it missed.
A bad frame gets an "error" frame and the socket stays open.
"""

import json
import time
import uuid
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from counselling import presence, selectors, services
from counselling.models import Message, Participant
from frontend.templatetags.when import clock_text

MAX_FRAME_BYTES = 16 * 1024
# A person types a few messages a second at most; a burst allows a queue sent on reconnect.
RATE_PER_SECOND = 5.0
RATE_BURST = 20.0
TYPING_EVERY_SECONDS = 3.0
SYNC_PAGE = 200

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


class ConversationConsumer(AsyncWebsocketConsumer):
    user: User
    participant: Participant
    groups_joined: list[str]

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
        self.refilled_at = time.monotonic()
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
            }
        )

    async def disconnect(self, code: int) -> None:
        # Not always called (django/channels#1466): presence also expires by itself.
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
        if not self._take_token():
            await self._error("slow_down", _("You are sending too fast. Please wait a moment."))
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error("malformed", _("This message could not be read."))
            return
        handler = {
            "message": self._on_message,
            "sync": self._on_sync,
            "read": self._on_position,
            "delivered": self._on_position,
            "typing": self._on_typing,
            "ping": self._on_ping,
        }.get(frame["type"])
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
        after = frame.get("after", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            await self._error("malformed", _("This message could not be read."))
            return
        missed = await database_sync_to_async(self._missed)(after)
        for message in missed[:SYNC_PAGE]:
            await self._send(self._with_time(message_payload(message)))
        last = missed[min(len(missed), SYNC_PAGE) - 1].pk if missed else after
        await self._send({"type": "synced", "last_id": last, "more": len(missed) > SYNC_PAGE})

    def _missed(self, after: int) -> list[Message]:
        return selectors.message_list_after(participant=self.participant, after_id=after, limit=SYNC_PAGE + 1)

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

    async def session_closed(self, event: dict[str, Any]) -> None:
        """Signed out or deactivated: this socket closes at once."""
        await self._refuse(CLOSE_SIGNED_OUT, _("You have been signed out."))

    async def participant_removed(self, event: dict[str, Any]) -> None:
        if event["user"] == self.user.pk:
            await self._refuse(CLOSE_NOT_ALLOWED, _("You are no longer part of this conversation."))

    # --- Helpers ---------------------------------------------------------------------------

    def _take_token(self) -> bool:
        now = time.monotonic()
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
