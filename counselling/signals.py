"""Sockets follow the account: signing out closes that session's sockets, deactivating an
account closes all of that person's sockets (no one keeps reading after access ends)."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User


def _close(group: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, {"type": "session.closed"})


@receiver(user_logged_out)
def close_session_sockets(sender: object, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    from counselling.consumers import session_group

    if request is not None and request.session.session_key:
        _close(session_group(request.session.session_key))


@receiver(post_save, sender=User)
def close_sockets_of_deactivated_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    from counselling.consumers import user_group

    if not instance.is_active:
        _close(user_group(instance.pk))
