"""Conversations over plain HTTP: the list, one conversation page by page, and a form to write.
The page works without JavaScript or WebSockets (old phones, proxies that block them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from booking import selectors as booking_selectors
from counselling import selectors, services
from counselling.forms import MessageForm
from counselling.models import Participant
from frontend.forms import apply_errors

app_name = "counselling"
PAGE = 30


def _participant_or_404(request: HttpRequest, conversation_id: int) -> Participant:
    participant = selectors.participant_get(user=request.user, conversation_id=conversation_id)  # type: ignore[arg-type]
    if participant is None:
        raise Http404
    return participant


def _before(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rows = list(selectors.conversation_list_for_user(user=user))
    for row in rows:
        conversation = row.conversation
        row.other = conversation.counsellor if conversation.client_id == user.pk else conversation.client  # type: ignore[attr-defined]
    return render(request, "counselling/conversations.html", {"rows": rows, "zone": user.time_zone})


def _page(
    request: HttpRequest, participant: Participant, form: MessageForm, status: int = 200
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    conversation = participant.conversation
    before = _before(request.GET.get("before"))
    page, has_earlier = selectors.message_page(participant=participant, before_id=before, limit=PAGE)
    if before is None and page:
        # The latest messages are on screen: they are read now.
        services.conversation_mark_read(conversation=conversation, user=user, up_to_id=page[-1].pk)
    other = conversation.counsellor if conversation.client_id == user.pk else conversation.client
    read_up_to, delivered_up_to = selectors.others_positions(participant=participant)
    now = timezone.now()
    appointment = (
        booking_selectors.appointment_list_for_client(client=conversation.client)
        .filter(conversation=conversation, status="booked", end_at__gt=now)
        .order_by("start_at")
        .first()
    )
    context = {
        "conversation": conversation,
        "participant": participant,
        "other": other,
        "messages_page": page,
        "earlier_url": f"{request.path}?before={page[0].pk}" if has_earlier and page else "",
        "later_url": request.path if before is not None else "",
        "read_up_to": read_up_to,
        "delivered_up_to": delivered_up_to,
        # Live updates on the latest page only (an earlier page is for reading back).
        "live": before is None,
        "last_id": page[-1].pk if page else 0,
        "form": form,
        "zone": user.time_zone,
        "appointment": appointment,
        "is_client": conversation.client_id == user.pk,
    }
    return render(request, "counselling/conversation.html", context, status=status)


@login_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    participant = _participant_or_404(request, conversation_id)
    return _page(request, participant, MessageForm())


@require_POST
@login_required
def message_send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    participant = _participant_or_404(request, conversation_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message, _created = services.message_send(
                conversation=participant.conversation,
                sender=request.user,  # type: ignore[arg-type]
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            url = reverse("counselling:conversation", args=[conversation_id])
            return redirect(f"{url}#m{message.pk}")
    # Nothing typed is lost: the page comes back with the text and the reason.
    messages.error(request, _("Your message was not sent."))
    return _page(request, participant, form, status=400)


urlpatterns: list[URLPattern] = [
    path("conversations/", conversation_list, name="conversations"),
    path("conversations/<int:conversation_id>/", conversation_detail, name="conversation"),
    path("conversations/<int:conversation_id>/send/", message_send, name="send"),
]
