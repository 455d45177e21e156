"""Conversations over plain HTTP: the list, one conversation page by page, and a form to write.
The page works without JavaScript or WebSockets (old phones, proxies that block them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import role_required
from booking import selectors as booking_selectors
from counselling import selectors, services
from counselling.consumers import broadcast_message
from counselling.forms import MessageForm, ReportForm, ReportResolveForm
from counselling.forms_notes import CaseNoteForm, NewCaseNoteForm
from counselling.models import CaseNote, CaseNoteAccess, Participant
from counselling.selectors import CaseNoteScope
from counselling.selectors import calls as call_selectors
from counselling.views import calls, feedback, intake, interpreters
from frontend.forms import apply_errors, flash_errors

app_name = "counselling"
PAGE = 30


def _participant_or_404(request: HttpRequest, conversation_id: int) -> Participant:
    participant = selectors.participant_get(user=request.user, conversation_id=conversation_id)  # type: ignore[arg-type]
    if participant is None:
        raise Http404
    return participant


def _positive_int(value: str | None) -> int | None:
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
    before = _positive_int(request.GET.get("before"))
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
    is_client = conversation.client_id == user.pk
    office = (
        booking_selectors.counsellor_next_working_time(counsellor=conversation.counsellor, now=now)
        if is_client
        else None
    )
    context = {
        "conversation": conversation,
        "participant": participant,
        # When the counsellor is next at work (they answer messages then): shown to the client.
        "office_from": office[0] if office else None,
        "office_now": bool(office and office[1]),
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
        "is_client": is_client,
        **_call_context(request, user, conversation.pk, before is None),
    }
    return render(request, "counselling/conversation.html", context, status=status)


def _call_context(request: HttpRequest, user: User, conversation_id: int, live: bool) -> dict[str, object]:
    """What the call panel needs: the appointment joined from its "Join" link (the client waits
    in the waiting room, the counsellor lets them in) and the latest calls of the log."""
    session = None
    appointment_id = _positive_int(request.GET.get("appointment"))
    if live and appointment_id is not None:
        session = call_selectors.appointment_for_session(user=user, appointment_id=appointment_id)
        if session is not None and session.conversation_id != conversation_id:
            session = None
    return {
        "session": session,
        "calls": call_selectors.call_list_for_conversation(conversation_id=conversation_id),
        # Calls start audio-only for people who save data (they can turn video on).
        "start_audio_only": user.data_saver,
    }


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
            message, created = services.message_send(
                conversation=participant.conversation,
                sender=request.user,  # type: ignore[arg-type]
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created:
                # Sent without a socket (no JavaScript, a blocked proxy): the other person's open
                # page shows it at once all the same.
                transaction.on_commit(lambda: broadcast_message(message))
            url = reverse("counselling:conversation", args=[conversation_id])
            return redirect(f"{url}#m{message.pk}")
    # Nothing typed is lost: the page comes back with the text and the reason.
    messages.error(request, _("Your message was not sent."))
    return _page(request, participant, form, status=400)


# --- Case notes -----------------------------------------------------------------------------
# One client's notes: the client's counsellors read and write them, the organisation's
# coordinators read them and see who read them. For anyone else the page does not exist (404).
# Each page that shows note text records the read (services.case_notes_open); note text never
# goes into a URL, a message or a log, and the posted text is hidden from error reports.

NOTES_PER_PAGE = 20
LOG_PER_PAGE = 50


def _note_scope_or_404(request: HttpRequest, client_id: int) -> CaseNoteScope:
    scope = selectors.case_note_scope(reader=request.user, client_id=client_id)  # type: ignore[arg-type]
    if scope is None:
        raise Http404
    return scope


def _notes_url(client_id: int, note_id: int | None = None) -> str:
    url = reverse("counselling:case_notes", args=[client_id])
    return f"{url}#note-{note_id}" if note_id else url


@sensitive_variables("opened")
def _notes_page(
    request: HttpRequest, scope: CaseNoteScope, form: NewCaseNoteForm | None, status: int = 200
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(selectors.case_note_list(scope=scope), NOTES_PER_PAGE).get_page(request.GET.get("page"))
    opened = services.case_notes_open(reader=user, notes=list(page.object_list))
    if scope.conversation_id is not None:
        back = (reverse("counselling:conversation", args=[scope.conversation_id]), _("Messages"))
    else:
        back = (reverse("booking:org_client", args=[scope.client.pk]), scope.client.display_name)
    return render(
        request,
        "counselling/case_notes.html",
        {
            "client": scope.client,
            "page": page,
            "notes": opened,
            "form": form if scope.may_write else None,
            "back_url": back[0],
            "back_label": back[1],
            "sees_log": user.has_role(Role.COORDINATOR),
            "zone": user.time_zone,
        },
        status=status,
    )


@role_required(Role.COUNSELLOR, Role.COORDINATOR)
@require_GET
def case_notes(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's notes, newest first, and (for their counsellors) the form to write one."""
    scope = _note_scope_or_404(request, client_id)
    return _notes_page(request, scope, NewCaseNoteForm())


@role_required(Role.COUNSELLOR)
@require_POST
@sensitive_post_parameters("body")
def case_note_add(request: HttpRequest, client_id: int) -> HttpResponse:
    scope = _note_scope_or_404(request, client_id)
    form = NewCaseNoteForm(request.POST)
    if form.is_valid():
        try:
            note = services.case_note_create(
                author=request.user,  # type: ignore[arg-type]
                client=scope.client,
                body=form.cleaned_data["body"],
                ref=form.cleaned_data["ref"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Note saved."))
            return redirect(_notes_url(client_id, note.pk))
    # Nothing typed is lost: the page comes back with the text and the reason.
    messages.error(request, _("The note was not saved."))
    return _notes_page(request, scope, form, status=400)


def _own_note_or_404(request: HttpRequest, scope: CaseNoteScope, note_id: int) -> CaseNote:
    """One of the scope's notes that the signed-in counsellor wrote (only its author changes it)."""
    note = selectors.case_note_get(scope=scope, note_id=note_id)
    if note is None or note.author_id != request.user.pk or not scope.may_write:
        raise Http404
    return note


@role_required(Role.COUNSELLOR)
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("body")
@sensitive_variables("opened")
def case_note_edit(request: HttpRequest, client_id: int, note_id: int) -> HttpResponse:
    """The author changes their note. Showing it to change it is a read, and is recorded."""
    user: User = request.user  # type: ignore[assignment]
    scope = _note_scope_or_404(request, client_id)
    note = _own_note_or_404(request, scope, note_id)
    status = 200
    if request.method == "POST":
        form = CaseNoteForm(request.POST)
        if form.is_valid():
            try:
                services.case_note_update(editor=user, note=note, body=form.cleaned_data["body"])
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Note changed."))
                return redirect(_notes_url(client_id, note.pk))
        messages.error(request, _("The note was not changed."))
        status = 400
    else:
        opened = services.case_notes_open(reader=user, notes=[note], action=CaseNoteAccess.Action.READ)
        form = CaseNoteForm(initial={"body": opened[0].body})
    return render(
        request,
        "counselling/case_note_edit.html",
        {"client": scope.client, "note": note, "form": form, "zone": user.time_zone},
        status=status,
    )


@role_required(Role.COORDINATOR)
@require_GET
def case_note_log(request: HttpRequest, client_id: int) -> HttpResponse:
    """For coordinators: who listed, opened, wrote or changed the client's notes, and when."""
    user: User = request.user  # type: ignore[assignment]
    scope = _note_scope_or_404(request, client_id)
    organisation = user.organisation
    if organisation is None or organisation.pk != scope.organisation_id:
        raise Http404
    entries = selectors.case_note_access_list(organisation=organisation, client=scope.client)
    page = Paginator(entries, LOG_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "counselling/case_note_log.html",
        {"client": scope.client, "organisation": organisation, "page": page, "zone": user.time_zone},
    )


# --- Reports of messages ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """A participant flags a message of someone else for the coordinators."""
    participant = _participant_or_404(request, conversation_id)
    message = selectors.message_get_for_participant(participant=participant, message_id=message_id)
    if message is None:
        raise Http404
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_report(
                message=message, reporter=request.user, reason=form.cleaned_data["reason"]
            )  # type: ignore[arg-type]
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Thank you. A coordinator will look at this message."))
            return redirect("counselling:conversation", conversation_id)
    return render(
        request, "counselling/report.html", {"message": message, "form": form, "zone": request.user.time_zone}
    )  # type: ignore[union-attr]


@role_required(Role.COORDINATOR)
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """For coordinators: reported messages in their organisation's conversations, open first."""
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        return render(request, "booking/organisation/no_organisation.html", status=200)
    reports = selectors.message_report_list_for_organisation(organisation=user.organisation)
    page = Paginator(reports, LOG_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "counselling/reports.html",
        {
            "page": page,
            "form": ReportResolveForm(),
            "zone": user.time_zone,
            "organisation": user.organisation,
        },
    )


@role_required(Role.COORDINATOR)
@require_POST
def report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.organisation is None:
        raise Http404
    report = (
        selectors.message_report_list_for_organisation(organisation=user.organisation)
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise Http404
    form = ReportResolveForm(request.POST)
    if form.is_valid():
        try:
            services.message_report_resolve(report=report, by=user, outcome=form.cleaned_data["outcome"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The report is closed."))
    else:
        flash_errors(request, form)
    return redirect("counselling:org_reports")


urlpatterns: list[URLPattern] = [
    path("conversations/", conversation_list, name="conversations"),
    path("conversations/<int:conversation_id>/", conversation_detail, name="conversation"),
    path("conversations/<int:conversation_id>/send/", message_send, name="send"),
    path("clients/<int:client_id>/notes/", case_notes, name="case_notes"),
    path("clients/<int:client_id>/notes/add/", case_note_add, name="case_note_add"),
    path("clients/<int:client_id>/notes/<int:note_id>/edit/", case_note_edit, name="case_note_edit"),
    # Beside the coordinator's other pages of a client (the "Team" tab stays lit: "org_").
    path("organisation/clients/<int:client_id>/notes/log/", case_note_log, name="org_case_note_log"),
    path(
        "conversations/<int:conversation_id>/messages/<int:message_id>/report/", message_report, name="report"
    ),
    path("organisation/reports/", report_list, name="org_reports"),
    path("organisation/reports/<int:report_id>/resolve/", report_resolve, name="org_report_resolve"),
    *calls.urlpatterns,
    *interpreters.urlpatterns,
    *intake.urlpatterns,
    *feedback.urlpatterns,
]
