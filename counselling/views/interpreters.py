"""Interpreters in a conversation: a coordinator proposes, withdraws and removes; the client
allows or declines on their conversation page (the banner of `_interpreter_consent.html`), and
can remove the interpreter too.

A conversation outside the coordinator's organisation, or a proposal that is not for the
client's own conversation, does not exist for them (404). Nobody here reads messages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role, User
from accounts.permissions import role_required
from accounts.reference import language_name
from counselling import selectors
from counselling.forms_interpreters import InterpreterAnswerForm, InterpreterProposeForm
from counselling.models import Conversation, InterpreterInvitation, Participant
from counselling.selectors import interpreters as interpreter_selectors
from counselling.services import interpreters as services
from frontend.forms import apply_errors, flash_errors


def _org_conversation_or_404(request: HttpRequest, conversation_id: int) -> Conversation:
    conversation = interpreter_selectors.conversation_get_for_coordinator(
        coordinator=request.user,  # type: ignore[arg-type]
        conversation_id=conversation_id,
    )
    if conversation is None:
        raise Http404
    return conversation


def _propose_form(
    conversation: Conversation, data: object = None
) -> tuple[InterpreterProposeForm, dict[int, User]]:
    """The form, and every interpreter it offers by id (the view turns the choice into a person)."""
    coordinator_org = conversation.counsellor.organisation_id
    candidates = [
        person
        for person in interpreter_selectors.interpreter_candidate_list(organisation_id=coordinator_org)
        if person.pk not in (conversation.client_id, conversation.counsellor_id)
    ]
    spoken = {code for person in candidates for code in (lang.code for lang in person.languages.all())}
    client_codes = [lang.code for lang in conversation.client.languages.all()]
    # The client's languages first (in their order), then the others by name.
    first = [code for code in client_codes if code in spoken]
    rest = sorted(
        (code for code in spoken if code not in first), key=lambda code: language_name(code).lower()
    )

    def label(person: User) -> str:
        names = ", ".join(language_name(lang.code) for lang in person.languages.all())
        return f"{person.display_name} ({names})" if names else person.display_name

    form = InterpreterProposeForm(
        data,
        languages=[(code, language_name(code)) for code in [*first, *rest]],
        interpreters=[(person.pk, label(person)) for person in candidates],
    )
    return form, {person.pk: person for person in candidates}


def _coordinator_page(
    request: HttpRequest,
    conversation: Conversation,
    form: InterpreterProposeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if form is None:
        form, _people = _propose_form(conversation)
    invitations = list(interpreter_selectors.interpreter_invitation_list(conversation=conversation))
    for invitation in invitations:
        invitation.language_label = language_name(invitation.language)  # type: ignore[attr-defined]
    return render(
        request,
        "counselling/interpreters/coordinator.html",
        {
            "conversation": conversation,
            "people": interpreter_selectors.conversation_people(conversation_id=conversation.pk),
            "invitations": invitations,
            "pending": any(i.status == InterpreterInvitation.Status.PENDING for i in invitations),
            "client_languages": [language_name(lang.code) for lang in conversation.client.languages.all()],
            "form": form,
            "has_candidates": len(form.fields["interpreter"].choices) > 1,  # type: ignore[attr-defined]
            "zone": user.time_zone,
        },
        status=status,
    )


@role_required(Role.COORDINATOR)
@require_GET
def coordinator_conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """For a coordinator: who is in one conversation, its interpreter proposals, and the form to
    propose one (never the messages)."""
    return _coordinator_page(request, _org_conversation_or_404(request, conversation_id))


@role_required(Role.COORDINATOR)
@require_POST
def propose(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _org_conversation_or_404(request, conversation_id)
    form, people = _propose_form(conversation, request.POST)
    if form.is_valid():
        interpreter = people[form.cleaned_data["interpreter"]]
        try:
            services.interpreter_invitation_create(
                by=request.user,  # type: ignore[arg-type]
                conversation=conversation,
                interpreter=interpreter,
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("The client is asked. %(name)s joins only if they agree.")
                % {"name": interpreter.display_name},
            )
            return redirect("counselling:org_interpreters", conversation.pk)
    return _coordinator_page(request, conversation, form, status=400)


@role_required(Role.COORDINATOR)
@require_POST
def withdraw(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = interpreter_selectors.interpreter_invitation_get_for_coordinator(
        coordinator=request.user,  # type: ignore[arg-type]
        invitation_id=invitation_id,
    )
    if invitation is None:
        raise Http404
    try:
        services.interpreter_invitation_withdraw(by=request.user, invitation=invitation)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The proposal is withdrawn."))
    return redirect("counselling:org_interpreters", invitation.conversation_id)


def _interpreter_or_404(conversation_id: int, user_id: int) -> Participant:
    participant = interpreter_selectors.interpreter_participant_get(
        conversation_id=conversation_id, user_id=user_id
    )
    if participant is None:
        raise Http404
    return participant


def _remove(request: HttpRequest, participant: Participant) -> None:
    try:
        services.interpreter_remove(by=request.user, participant=participant)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s no longer takes part in this conversation.")
            % {"name": participant.user.display_name},
        )


@role_required(Role.COORDINATOR)
@require_POST
def coordinator_remove(request: HttpRequest, conversation_id: int, user_id: int) -> HttpResponse:
    conversation = _org_conversation_or_404(request, conversation_id)
    _remove(request, _interpreter_or_404(conversation.pk, user_id))
    return redirect("counselling:org_interpreters", conversation.pk)


def _client_place_or_404(request: HttpRequest, conversation_id: int) -> Participant:
    """The signed-in person's place in the conversation, when they are its client."""
    participant = selectors.participant_get(user=request.user, conversation_id=conversation_id)  # type: ignore[arg-type]
    if participant is None or participant.role != Participant.Role.CLIENT:
        raise Http404
    return participant


@require_POST
@login_required
def answer(request: HttpRequest, conversation_id: int, invitation_id: int) -> HttpResponse:
    """The client allows the proposed interpreter in (with or without earlier messages) or not."""
    _client_place_or_404(request, conversation_id)
    invitation = interpreter_selectors.interpreter_invitation_get_for_client(
        client=request.user,  # type: ignore[arg-type]
        invitation_id=invitation_id,
    )
    if invitation is None or invitation.conversation_id != conversation_id:
        raise Http404
    form = InterpreterAnswerForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form)
        return redirect("counselling:conversation", conversation_id)
    name = invitation.interpreter.display_name
    try:
        if form.cleaned_data["answer"] == InterpreterAnswerForm.ALLOW:
            services.interpreter_invitation_accept(
                client=request.user,  # type: ignore[arg-type]
                invitation=invitation,
                shares_history=form.cleaned_data["shares_history"],
            )
            messages.success(
                request,
                _("%(name)s now takes part in this conversation. You can remove them at any time.")
                % {"name": name},
            )
        else:
            services.interpreter_invitation_decline(client=request.user, invitation=invitation)  # type: ignore[arg-type]
            messages.success(
                request, _("You said no. %(name)s does not join this conversation.") % {"name": name}
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("counselling:conversation", conversation_id)


@require_POST
@login_required
def client_remove(request: HttpRequest, conversation_id: int, user_id: int) -> HttpResponse:
    """The client removes an interpreter from their conversation."""
    _client_place_or_404(request, conversation_id)
    _remove(request, _interpreter_or_404(conversation_id, user_id))
    return redirect("counselling:conversation", conversation_id)


urlpatterns: list[URLPattern] = [
    # Beside the coordinator's other pages of a client (the "Team" tab stays lit: "org_").
    path(
        "organisation/conversations/<int:conversation_id>/interpreters/",
        coordinator_conversation,
        name="org_interpreters",
    ),
    path(
        "organisation/conversations/<int:conversation_id>/interpreters/propose/",
        propose,
        name="org_interpreter_propose",
    ),
    path(
        "organisation/conversations/<int:conversation_id>/interpreters/<int:user_id>/remove/",
        coordinator_remove,
        name="org_interpreter_remove",
    ),
    path(
        "organisation/interpreter-proposals/<int:invitation_id>/withdraw/",
        withdraw,
        name="org_interpreter_withdraw",
    ),
    path(
        "conversations/<int:conversation_id>/interpreter-proposals/<int:invitation_id>/answer/",
        answer,
        name="interpreter_answer",
    ),
    path(
        "conversations/<int:conversation_id>/interpreters/<int:user_id>/remove/",
        client_remove,
        name="interpreter_remove",
    ),
]
