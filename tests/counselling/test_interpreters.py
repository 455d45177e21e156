"""An interpreter as a third participant: proposed by a coordinator of the counsellor's
organisation, let in only by the client, who decides whether they read earlier messages; removed
by the client or a coordinator, which closes their sockets on that conversation."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import user_roles_set
from counselling import selectors, services
from counselling.models import InterpreterInvitation, Message, Participant
from counselling.selectors import interpreters as interpreter_selectors
from counselling.services import interpreters as interpreter_services
from tests.concurrency import run_together
from tests.counselling.interpreter_factories import make_interpreter
from tests.counselling.test_consumer import connect, receive, receive_type
from tests.factories import OrganisationFactory, make_user

BEFORE = datetime(2026, 6, 1, 8, tzinfo=UTC)
JOINED = datetime(2026, 6, 2, 8, tzinfo=UTC)
AFTER = JOINED + timedelta(minutes=5)


def send(conversation, sender, body):
    message, _created = services.message_send(
        conversation=conversation, sender=sender, body=body, client_id=uuid.uuid4()
    )
    return message


def signed_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def team(db):
    """An organisation with a counsellor, a coordinator and an interpreter of Pashto and
    Persian; a client of the counsellor with one earlier message in their conversation."""
    org = OrganisationFactory(name="Kabul partner", country="AF")
    counsellor = make_user(Role.COUNSELLOR, organisation=org, display_name="Mariam")
    coordinator = make_user(Role.COORDINATOR, organisation=org, display_name="Sofia")
    interpreter = make_interpreter(organisation=org, display_name="Dawood")
    client = make_user(Role.MIGRANT, display_name="Farid", languages=["ps", "fa"])
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    with time_machine.travel(BEFORE, tick=False):
        send(conversation, client, "private before")
    return {
        "org": org,
        "counsellor": counsellor,
        "coordinator": coordinator,
        "interpreter": interpreter,
        "client": client,
        "conversation": conversation,
    }


def propose(team, language="ps", **overrides):
    arguments = {
        "by": team["coordinator"],
        "conversation": team["conversation"],
        "interpreter": team["interpreter"],
        "language": language,
        **overrides,
    }
    return interpreter_services.interpreter_invitation_create(**arguments)


def allow(team, invitation, *, shares_history=False, at=JOINED):
    with time_machine.travel(at, tick=False):
        return interpreter_services.interpreter_invitation_accept(
            client=team["client"], invitation=invitation, shares_history=shares_history
        )


def joined(team, *, shares_history=False) -> Participant:
    """The interpreter let in at JOINED, and a message written after."""
    participant = allow(team, propose(team), shares_history=shares_history)
    with time_machine.travel(AFTER, tick=False):
        send(team["conversation"], team["counsellor"], "after joining")
    return participant


def status_of(invitation) -> str:
    invitation.refresh_from_db()
    return invitation.status


# --- Proposing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_proposal_waits_for_the_client_who_is_told_after_commit_without_names(
    team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = propose(team)

    assert invitation.status == InterpreterInvitation.Status.PENDING
    assert invitation.invited_by == team["coordinator"]
    assert not Participant.objects.filter(user=team["interpreter"]).exists()
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [team["client"].email]
    assert reverse("counselling:conversation", args=[team["conversation"].pk]) in notice.body
    assert "Dawood" not in notice.body + notice.subject
    assert "private before" not in notice.body


@pytest.mark.django_db
def test_nothing_is_sent_when_the_proposal_is_rolled_back(team, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        propose(team)
        raise RuntimeError

    assert callbacks == []
    assert mail.outbox == []
    assert not InterpreterInvitation.objects.exists()


@pytest.mark.django_db
def test_a_coordinator_of_another_organisation_cannot_propose(team):
    outsider = make_user(Role.COORDINATOR)

    with pytest.raises(ValidationError):
        propose(team, by=outsider)
    assert not InterpreterInvitation.objects.exists()


@pytest.mark.django_db
def test_a_counsellor_cannot_propose_an_interpreter(team):
    with pytest.raises(ValidationError):
        propose(team, by=team["counsellor"])


@pytest.mark.django_db
def test_an_interpreter_of_another_organisation_cannot_be_proposed(team):
    elsewhere = make_interpreter()

    with pytest.raises(ValidationError) as refused:
        propose(team, interpreter=elsewhere)
    assert "interpreter" in refused.value.error_dict


@pytest.mark.django_db
def test_a_colleague_without_the_interpreter_role_cannot_be_proposed(team):
    colleague = make_user(Role.COUNSELLOR, organisation=team["org"], languages=["ps"])

    with pytest.raises(ValidationError) as refused:
        propose(team, interpreter=colleague)
    assert "interpreter" in refused.value.error_dict


@pytest.mark.django_db
def test_an_interpreter_who_does_not_speak_the_language_cannot_be_proposed(team):
    with pytest.raises(ValidationError) as refused:
        propose(team, language="ar")
    assert "interpreter" in refused.value.error_dict


@pytest.mark.django_db
def test_an_unknown_language_is_refused(team):
    with pytest.raises(ValidationError) as refused:
        propose(team, language="klingon")
    assert "language" in refused.value.error_dict


@pytest.mark.django_db
def test_a_deactivated_interpreter_cannot_be_proposed(team):
    team["interpreter"].is_active = False
    team["interpreter"].save(update_fields=["is_active"])

    with pytest.raises(ValidationError):
        propose(team)


@pytest.mark.django_db
def test_a_second_proposal_while_one_waits_is_refused(team):
    other = make_interpreter(organisation=team["org"])
    propose(team)

    with pytest.raises(ValidationError):
        propose(team, interpreter=other)
    assert InterpreterInvitation.objects.count() == 1


@pytest.mark.django_db
def test_an_interpreter_already_in_the_conversation_cannot_be_proposed_again(team):
    allow(team, propose(team))

    with pytest.raises(ValidationError) as refused:
        propose(team)
    assert "interpreter" in refused.value.error_dict


# --- The client's answer --------------------------------------------------------------------


@pytest.mark.django_db
def test_allowing_without_history_hides_every_earlier_message_from_the_interpreter(team):
    participant = joined(team)

    page, earlier = selectors.message_page(participant=participant)
    replay = selectors.message_list_after(participant=participant, after_id=0)
    assert participant.role == Participant.Role.INTERPRETER
    assert participant.sees_history_from == JOINED
    assert [m.body for m in page] == ["after joining"]
    assert [m.body for m in replay] == ["after joining"]
    assert not earlier
    invitation = InterpreterInvitation.objects.get()
    assert (invitation.status, invitation.shares_history, invitation.answered_at) == (
        "accepted",
        False,
        JOINED,
    )


@pytest.mark.django_db
def test_allowing_with_history_shows_the_interpreter_every_message(team):
    participant = joined(team, shares_history=True)

    page, _earlier = selectors.message_page(participant=participant)

    assert participant.sees_history_from is None
    assert [m.body for m in page] == ["private before", "after joining"]
    assert InterpreterInvitation.objects.get().shares_history


@pytest.mark.django_db
def test_an_earlier_message_does_not_count_as_unread_for_a_new_interpreter(team):
    joined(team)

    assert selectors.unread_total(user=team["interpreter"]) == 1  # "after joining" only


@pytest.mark.django_db
def test_the_interpreter_can_write_in_the_conversation(team):
    joined(team)

    message = send(team["conversation"], team["interpreter"], "I translate for you")

    client_place = selectors.participant_get(user=team["client"], conversation_id=team["conversation"].pk)
    page, _earlier = selectors.message_page(participant=client_place)
    assert page[-1] == message


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["counsellor", "coordinator", "interpreter"])
def test_only_the_client_can_allow_or_decline(team, who):
    invitation = propose(team)

    with pytest.raises(ValidationError):
        interpreter_services.interpreter_invitation_accept(
            client=team[who], invitation=invitation, shares_history=True
        )
    with pytest.raises(ValidationError):
        interpreter_services.interpreter_invitation_decline(client=team[who], invitation=invitation)
    assert status_of(invitation) == "pending"
    assert not Participant.objects.filter(user=team["interpreter"]).exists()


@pytest.mark.django_db
def test_declining_is_recorded_and_the_interpreter_never_joins(team):
    invitation = propose(team)

    interpreter_services.interpreter_invitation_decline(client=team["client"], invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert invitation.answered_at is not None
    assert not Participant.objects.filter(user=team["interpreter"]).exists()


@pytest.mark.django_db
def test_a_declined_proposal_cannot_be_accepted(team):
    invitation = propose(team)
    interpreter_services.interpreter_invitation_decline(client=team["client"], invitation=invitation)

    with pytest.raises(ValidationError) as refused:
        allow(team, invitation)
    assert refused.value.code == "declined"
    assert status_of(invitation) == "declined"
    assert not Participant.objects.filter(user=team["interpreter"]).exists()


@pytest.mark.django_db
def test_a_withdrawn_proposal_can_be_neither_accepted_nor_declined(team):
    invitation = propose(team)
    interpreter_services.interpreter_invitation_withdraw(by=team["coordinator"], invitation=invitation)

    with pytest.raises(ValidationError) as accepting:
        allow(team, invitation)
    with pytest.raises(ValidationError):
        interpreter_services.interpreter_invitation_decline(client=team["client"], invitation=invitation)
    assert accepting.value.code == "withdrawn"
    assert status_of(invitation) == "withdrawn"
    assert not Participant.objects.filter(user=team["interpreter"]).exists()


@pytest.mark.django_db
def test_allowing_twice_adds_the_interpreter_once(team):
    invitation = propose(team)
    allow(team, invitation)

    with pytest.raises(ValidationError) as refused:
        allow(team, invitation, shares_history=True)
    assert refused.value.code == "accepted"
    participant = Participant.objects.get(user=team["interpreter"])
    assert participant.sees_history_from == JOINED  # the first answer stands


@pytest.mark.django_db
def test_allowing_is_refused_once_the_interpreter_has_left_the_organisation(team):
    invitation = propose(team)
    team["interpreter"].organisation = OrganisationFactory()
    team["interpreter"].save(update_fields=["organisation"])

    with pytest.raises(ValidationError) as refused:
        allow(team, invitation)
    assert refused.value.code == "unavailable"
    assert status_of(invitation) == "pending"


@pytest.mark.django_db
def test_allowing_is_refused_once_the_interpreter_role_is_taken_away(team):
    invitation = propose(team)
    user_roles_set(user=team["interpreter"], roles=[Role.MIGRANT])
    team["interpreter"]._role_set = None

    with pytest.raises(ValidationError):
        allow(team, invitation)
    assert not Participant.objects.filter(user=team["interpreter"]).exists()


# --- Withdrawing and removing ---------------------------------------------------------------


@pytest.mark.django_db
def test_only_a_waiting_proposal_can_be_withdrawn(team):
    invitation = propose(team)
    allow(team, invitation)

    with pytest.raises(ValidationError):
        interpreter_services.interpreter_invitation_withdraw(by=team["coordinator"], invitation=invitation)
    assert status_of(invitation) == "accepted"


@pytest.mark.django_db
def test_a_coordinator_of_another_organisation_cannot_withdraw(team):
    invitation = propose(team)

    with pytest.raises(ValidationError):
        interpreter_services.interpreter_invitation_withdraw(
            by=make_user(Role.COORDINATOR), invitation=invitation
        )
    assert status_of(invitation) == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["client", "coordinator"])
def test_the_client_or_a_coordinator_removes_the_interpreter_who_then_has_no_access(team, who):
    participant = joined(team)

    interpreter_services.interpreter_remove(by=team[who], participant=participant)

    participant.refresh_from_db()
    assert participant.removed_at is not None
    assert (
        selectors.participant_get(user=team["interpreter"], conversation_id=team["conversation"].pk) is None
    )
    assert not selectors.conversation_list_for_user(user=team["interpreter"]).exists()
    with pytest.raises(ValidationError):
        send(team["conversation"], team["interpreter"], "still here?")


@pytest.mark.django_db
def test_removing_closes_the_sockets_only_after_commit(team, django_capture_on_commit_callbacks):
    participant = joined(team)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        interpreter_services.interpreter_remove(by=team["client"], participant=participant)
        interpreter_services.interpreter_remove(by=team["client"], participant=participant)

    assert len(callbacks) == 1  # the second removal changes nothing


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["counsellor", "interpreter"])
def test_the_counsellor_or_the_interpreter_cannot_remove_the_interpreter(team, who):
    participant = joined(team)

    with pytest.raises(ValidationError):
        interpreter_services.interpreter_remove(by=team[who], participant=participant)
    participant.refresh_from_db()
    assert participant.removed_at is None


@pytest.mark.django_db
def test_only_an_interpreter_can_be_removed(team):
    counsellor_place = Participant.objects.get(user=team["counsellor"])

    with pytest.raises(ValidationError):
        interpreter_services.interpreter_remove(by=team["coordinator"], participant=counsellor_place)
    counsellor_place.refresh_from_db()
    assert counsellor_place.removed_at is None


@pytest.mark.django_db
def test_an_interpreter_allowed_back_gets_the_new_consent_only(team):
    participant = joined(team, shares_history=True)
    interpreter_services.interpreter_remove(by=team["client"], participant=participant)
    back_at = AFTER + timedelta(days=1)

    again = allow(team, propose(team), shares_history=False, at=back_at)

    assert again.pk == participant.pk
    assert (again.removed_at, again.sees_history_from) == (None, back_at)
    assert selectors.message_page(participant=again)[0] == []


# --- Concurrency ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_give_one_participant_and_one_refusal(team):
    invitation = propose(team)

    def accept():
        return interpreter_services.interpreter_invitation_accept(
            client=team["client"], invitation=invitation, shares_history=False
        )

    def decline():
        return interpreter_services.interpreter_invitation_decline(
            client=team["client"], invitation=invitation
        )

    results = run_together([accept, accept, decline])

    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 2, results
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
    assert Participant.objects.filter(user=team["interpreter"]).count() <= 1
    assert status_of(invitation) in ("accepted", "declined")


# --- Pages ----------------------------------------------------------------------------------


def conversation_url(team) -> str:
    return reverse("counselling:conversation", args=[team["conversation"].pk])


@pytest.mark.django_db
def test_the_page_shows_an_interpreter_without_history_only_later_messages(team):
    joined(team)
    earlier = Message.objects.get(body="private before")
    browser = signed_in(team["interpreter"])

    page = browser.get(conversation_url(team))
    back = browser.get(conversation_url(team) + f"?before={earlier.pk + 100}")
    report = browser.get(reverse("counselling:report", args=[team["conversation"].pk, earlier.pk]))

    assert page.status_code == 200
    assert "after joining" in page.text
    assert "private before" not in page.text + back.text
    assert "Messages written before you joined are not shown to you." in page.text
    assert report.status_code == 404


@pytest.mark.django_db
def test_the_page_shows_an_interpreter_with_history_every_message(team):
    joined(team, shares_history=True)

    page = signed_in(team["interpreter"]).get(conversation_url(team))

    assert "private before" in page.text
    assert "after joining" in page.text


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["client", "counsellor", "interpreter"])
def test_everyone_in_the_conversation_sees_who_is_in_it_with_their_role(team, who):
    joined(team)

    page = signed_in(team[who]).get(conversation_url(team))

    assert "In this conversation" in page.text
    for name, role in (("Farid", "Client"), ("Mariam", "Counsellor"), ("Dawood", "Interpreter")):
        assert f"<bdi>{name}</bdi>" in page.text
        assert role in page.text


@pytest.mark.django_db
def test_a_conversation_without_interpreter_shows_no_people_box(team):
    page = signed_in(team["client"]).get(conversation_url(team))

    assert "In this conversation" not in page.text


@pytest.mark.django_db
def test_the_client_sees_the_proposal_with_the_history_box_unticked(team):
    propose(team)

    page = signed_in(team["client"]).get(conversation_url(team))

    assert "Your organisation proposes an interpreter, <bdi>Dawood</bdi>, for Pashto." in page.text
    assert 'name="shares_history" id="interpreter-shares-history">' in page.text  # not checked
    assert "No, thank you" in page.text


@pytest.mark.django_db
def test_the_counsellor_sees_where_the_proposal_stands_but_no_buttons(team):
    propose(team)

    page = signed_in(team["counsellor"]).get(conversation_url(team))

    assert "Waiting for the client" in page.text
    assert "No, thank you" not in page.text


def answer_url(team, invitation) -> str:
    return reverse("counselling:interpreter_answer", args=[team["conversation"].pk, invitation.pk])


@pytest.mark.django_db
def test_the_client_allows_with_history_by_the_form(team):
    invitation = propose(team)

    response = signed_in(team["client"]).post(
        answer_url(team, invitation), {"answer": "allow", "shares_history": "on"}, follow=True
    )

    assert response.redirect_chain[-1][0] == conversation_url(team)
    assert "Dawood now takes part in this conversation." in response.text
    participant = Participant.objects.get(user=team["interpreter"])
    assert participant.sees_history_from is None


@pytest.mark.django_db
def test_the_client_declines_by_the_form(team):
    invitation = propose(team)

    signed_in(team["client"]).post(
        answer_url(team, invitation), {"answer": "decline", "shares_history": "on"}
    )

    assert status_of(invitation) == "declined"
    assert not Participant.objects.filter(user=team["interpreter"]).exists()


@pytest.mark.django_db
def test_a_broken_answer_is_refused_with_a_message_and_changes_nothing(team):
    invitation = propose(team)

    response = signed_in(team["client"]).post(answer_url(team, invitation), {"answer": "maybe"}, follow=True)

    assert response.status_code == 200
    assert "Select a valid choice" in response.text or "Choose Allow" in response.text
    assert status_of(invitation) == "pending"


@pytest.mark.django_db
def test_answering_a_withdrawn_proposal_says_so_instead_of_failing(team):
    invitation = propose(team)
    interpreter_services.interpreter_invitation_withdraw(by=team["coordinator"], invitation=invitation)

    response = signed_in(team["client"]).post(answer_url(team, invitation), {"answer": "allow"}, follow=True)

    assert response.status_code == 200
    assert "This proposal was withdrawn by your organisation." in response.text
    assert not Participant.objects.filter(user=team["interpreter"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["counsellor", "interpreter", "coordinator"])
def test_nobody_but_the_client_can_post_an_answer(team, who):
    invitation = propose(team)

    response = signed_in(team[who]).post(answer_url(team, invitation), {"answer": "allow"})

    assert response.status_code == 404
    assert status_of(invitation) == "pending"


@pytest.mark.django_db
def test_the_client_removes_the_interpreter_by_the_form(team):
    participant = joined(team)
    url = reverse("counselling:interpreter_remove", args=[team["conversation"].pk, team["interpreter"].pk])
    page = signed_in(team["client"]).get(conversation_url(team))
    assert url in page.text

    response = signed_in(team["client"]).post(url, follow=True)

    assert "Dawood no longer takes part in this conversation." in response.text
    participant.refresh_from_db()
    assert participant.removed_at is not None
    assert signed_in(team["interpreter"]).get(conversation_url(team)).status_code == 404


@pytest.mark.django_db
def test_the_counsellor_cannot_use_the_clients_remove_button(team):
    participant = joined(team)
    url = reverse("counselling:interpreter_remove", args=[team["conversation"].pk, team["interpreter"].pk])

    assert signed_in(team["counsellor"]).post(url).status_code == 404
    participant.refresh_from_db()
    assert participant.removed_at is None


@pytest.mark.django_db
def test_the_interpreter_finds_the_conversation_in_their_list_and_a_card_on_the_dashboard(team):
    joined(team)
    browser = signed_in(team["interpreter"])

    listing = browser.get(reverse("counselling:conversations"))
    dashboard = browser.get(reverse("frontend:dashboard"))

    assert conversation_url(team) in listing.text
    assert "Interpreting" in dashboard.text
    assert "You take part in 1 conversation." in dashboard.text


@pytest.mark.django_db
def test_an_interpreter_without_two_step_sign_in_is_sent_to_set_it_up(team):
    newcomer = make_user(Role.INTERPRETER, organisation=team["org"], mfa=False)

    response = signed_in(newcomer).get(reverse("counselling:conversations"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_an_interpreter_must_belong_to_an_organisation():
    with pytest.raises(ValidationError):
        make_user(Role.INTERPRETER, mfa=False)


@pytest.mark.django_db
def test_the_list_preview_never_shows_an_interpreter_an_earlier_message(team):
    allow(team, propose(team))  # nothing written since

    listing = signed_in(team["interpreter"]).get(reverse("counselling:conversations"))

    assert "private before" not in listing.text


# --- The coordinator's page -----------------------------------------------------------------


def org_url(team) -> str:
    return reverse("counselling:org_interpreters", args=[team["conversation"].pk])


@pytest.mark.django_db
def test_the_coordinator_reaches_the_page_from_the_clients_history(team):
    page = signed_in(team["coordinator"]).get(reverse("booking:org_client", args=[team["client"].pk]))

    assert org_url(team) in page.text


@pytest.mark.django_db
def test_the_coordinator_proposes_by_the_form_and_sees_the_status(team, django_capture_on_commit_callbacks):
    browser = signed_in(team["coordinator"])
    form_page = browser.get(org_url(team))
    assert "Dawood (Pashto, Persian)" in form_page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("counselling:org_interpreter_propose", args=[team["conversation"].pk]),
            {"interpreter": team["interpreter"].pk, "language": "ps"},
            follow=True,
        )

    assert "The client is asked. Dawood joins only if they agree." in response.text
    assert "Waiting for the client" in response.text
    assert "private before" not in response.text  # never the messages
    assert InterpreterInvitation.objects.get().language == "ps"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_proposal_with_a_language_the_interpreter_lacks_is_shown_again_with_the_reason(team):
    make_interpreter(organisation=team["org"], display_name="Layla", languages=("ar",))

    response = signed_in(team["coordinator"]).post(
        reverse("counselling:org_interpreter_propose", args=[team["conversation"].pk]),
        {"interpreter": team["interpreter"].pk, "language": "ar"},
    )

    assert response.status_code == 400
    assert "Dawood does not interpret this language." in response.text
    assert not InterpreterInvitation.objects.exists()


@pytest.mark.django_db
def test_a_proposal_of_someone_not_offered_is_refused_by_the_form(team):
    outsider = make_interpreter()

    response = signed_in(team["coordinator"]).post(
        reverse("counselling:org_interpreter_propose", args=[team["conversation"].pk]),
        {"interpreter": outsider.pk, "language": "ps"},
    )

    assert response.status_code == 400
    assert not InterpreterInvitation.objects.exists()


@pytest.mark.django_db
def test_the_coordinator_withdraws_and_removes_by_the_forms(team):
    invitation = propose(team)
    browser = signed_in(team["coordinator"])

    browser.post(reverse("counselling:org_interpreter_withdraw", args=[invitation.pk]))
    participant = allow(team, propose(team))
    browser.post(
        reverse("counselling:org_interpreter_remove", args=[team["conversation"].pk, team["interpreter"].pk])
    )

    assert status_of(invitation) == "withdrawn"
    participant.refresh_from_db()
    assert participant.removed_at is not None


@pytest.mark.django_db
def test_another_organisations_coordinator_finds_nothing(team):
    invitation = propose(team)
    outsider = signed_in(make_user(Role.COORDINATOR))

    assert outsider.get(org_url(team)).status_code == 404
    assert (
        outsider.post(reverse("counselling:org_interpreter_withdraw", args=[invitation.pk])).status_code
        == 404
    )
    assert status_of(invitation) == "pending"


@pytest.mark.django_db
def test_the_coordinators_page_lists_proposals_in_few_queries(team, django_assert_max_num_queries):
    for _ in range(3):
        invitation = propose(team)
        interpreter_services.interpreter_invitation_withdraw(by=team["coordinator"], invitation=invitation)
    browser = signed_in(team["coordinator"])
    browser.get(org_url(team))

    with django_assert_max_num_queries(20):
        browser.get(org_url(team))


# --- The socket -----------------------------------------------------------------------------


def _setup_socket_team(shares_history: bool):
    org = OrganisationFactory()
    counsellor = make_user(Role.COUNSELLOR, organisation=org)
    coordinator = make_user(Role.COORDINATOR, organisation=org)
    interpreter = make_interpreter(organisation=org)
    client = make_user(Role.MIGRANT)
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    with time_machine.travel(BEFORE, tick=False):
        send(conversation, client, "private before")
    team = {"client": client, "conversation": conversation, "coordinator": coordinator}
    invitation = interpreter_services.interpreter_invitation_create(
        by=coordinator, conversation=conversation, interpreter=interpreter, language="ps"
    )
    participant = allow(team, invitation, shares_history=shares_history)
    with time_machine.travel(AFTER, tick=False):
        send(conversation, counsellor, "after joining")
    return {**team, "interpreter": interpreter, "participant": participant, "counsellor": counsellor}


async def replayed(socket) -> list[str]:
    await socket.send_to(text_data=json.dumps({"type": "sync", "after": 0}))
    bodies = []
    while True:
        frame = await receive(socket)
        if frame["type"] == "synced":
            return bodies
        if frame["type"] == "message":
            bodies.append(frame["body"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("shares_history", "expected"), [(False, ["after joining"]), (True, ["private before", "after joining"])]
)
async def test_the_socket_replays_to_an_interpreter_only_what_the_client_allowed(shares_history, expected):
    team = await sync_to_async(_setup_socket_team)(shares_history)
    socket, _ = await connect(team["conversation"].pk, team["interpreter"])
    assert (await receive(socket))["type"] == "hello"

    assert await replayed(socket) == expected
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_removed_interpreter_is_refused_on_connect():
    team = await sync_to_async(_setup_socket_team)(False)
    await sync_to_async(interpreter_services.interpreter_remove)(
        by=team["client"], participant=team["participant"]
    )

    socket, _ = await connect(team["conversation"].pk, team["interpreter"])

    assert (await receive(socket))["type"] == "error"
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


@pytest.mark.django_db(transaction=True)
async def test_removing_an_interpreter_closes_their_open_socket_and_no_one_elses():
    team = await sync_to_async(_setup_socket_team)(False)
    theirs, _ = await connect(team["conversation"].pk, team["interpreter"])
    clients, _ = await connect(team["conversation"].pk, team["client"])
    await receive_type(theirs, "hello"), await receive_type(clients, "hello")

    await sync_to_async(interpreter_services.interpreter_remove)(
        by=team["coordinator"], participant=team["participant"]
    )

    closing = await receive_type(theirs, "error")
    assert closing["code"] == "closed"
    assert await theirs.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    await clients.send_to(text_data=json.dumps({"type": "ping"}))
    assert (await receive_type(clients, "pong"))["type"] == "pong"
    await clients.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_removal_from_one_conversation_leaves_the_interpreters_other_conversations_open():
    team = await sync_to_async(_setup_socket_team)(False)

    def second_conversation():
        client = make_user(Role.MIGRANT)
        conversation = services.conversation_get_or_create(client=client, counsellor=team["counsellor"])
        invitation = interpreter_services.interpreter_invitation_create(
            by=team["coordinator"], conversation=conversation, interpreter=team["interpreter"], language="fa"
        )
        interpreter_services.interpreter_invitation_accept(
            client=client, invitation=invitation, shares_history=False
        )
        return conversation

    other = await sync_to_async(second_conversation)()
    removed, _ = await connect(team["conversation"].pk, team["interpreter"])
    kept, _ = await connect(other.pk, team["interpreter"])
    await receive_type(removed, "hello"), await receive_type(kept, "hello")

    await sync_to_async(interpreter_services.interpreter_remove)(
        by=team["client"], participant=team["participant"]
    )

    assert (await receive_type(removed, "error"))["code"] == "closed"
    assert await removed.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}
    await kept.send_to(text_data=json.dumps({"type": "ping"}))
    assert (await receive_type(kept, "pong"))["type"] == "pong"
    await kept.disconnect()


@pytest.mark.django_db
def test_the_selectors_scope_proposals_to_the_clients_own_conversations(team):
    invitation = propose(team)
    stranger = make_user(Role.MIGRANT)

    assert (
        interpreter_selectors.interpreter_invitation_get_for_client(
            client=team["client"], invitation_id=invitation.pk
        )
        == invitation
    )
    assert (
        interpreter_selectors.interpreter_invitation_get_for_client(
            client=stranger, invitation_id=invitation.pk
        )
        is None
    )


@pytest.mark.django_db
def test_administrators_see_interpreters_with_their_roles_and_languages(team):
    admin = make_user(Role.ADMIN)

    page = signed_in(admin).get(reverse("admin:accounts_user_changelist") + "?roles__role=interpreter")

    assert page.status_code == 200
    assert "Dawood" in page.text
    assert "Interpreter" in page.text
    assert "ps, fa" in page.text
