"""Case notes: stored only encrypted, opened only by the client's counsellors and their
organisation's coordinators, every read recorded in a log that cannot be changed."""

import base64
import re
import uuid
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from config.append_only import AppendOnlyError
from counselling import crypto, selectors, services
from counselling.models import CaseNote, CaseNoteAccess
from counselling.services import NOTE_MAX_CHARS, case_note_create, case_note_update, case_notes_open
from tests.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db

KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
SECRET = "Amina fears her brother in Kano; she has not told the embassy."


@pytest.fixture(autouse=True)
def _key_a(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]


@pytest.fixture
def org():
    return OrganisationFactory(name="Lagos Partner")


@pytest.fixture
def other_org():
    return OrganisationFactory(name="Kabul Partner")


@pytest.fixture
def amina():
    return make_user(Role.MIGRANT, display_name="Amina")


@pytest.fixture
def farid():
    return make_user(Role.MIGRANT, display_name="Farid")


@pytest.fixture
def chinedu(org, amina, farid):
    """Amina's counsellor (and Farid's)."""
    counsellor = make_user(Role.COUNSELLOR, organisation=org, display_name="Chinedu")
    services.conversation_get_or_create(client=amina, counsellor=counsellor)
    services.conversation_get_or_create(client=farid, counsellor=counsellor)
    return counsellor


@pytest.fixture
def ngozi(org, chinedu):
    """A counsellor of the same organisation, not Amina's."""
    return make_user(Role.COUNSELLOR, organisation=org, display_name="Ngozi")


@pytest.fixture
def mariam(other_org):
    """A counsellor of another organisation."""
    return make_user(Role.COUNSELLOR, organisation=other_org, display_name="Mariam")


@pytest.fixture
def sofia(org):
    return make_user(Role.COORDINATOR, organisation=org, display_name="Sofia")


@pytest.fixture
def eleni(other_org):
    return make_user(Role.COORDINATOR, organisation=other_org, display_name="Eleni")


@pytest.fixture
def note(chinedu, amina):
    return case_note_create(author=chinedu, client=amina, body=SECRET)


def notes_url(client):
    return reverse("counselling:case_notes", args=[client.pk])


def post_note(browser, client, body, ref=None):
    return browser.post(
        reverse("counselling:case_note_add", args=[client.pk]),
        {"body": body, "ref": str(ref or uuid.uuid4())},
    )


def text_columns_of(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        return [str(value) for row in cursor.fetchall() for value in row]


# --- At rest ----------------------------------------------------------------------------------


def test_the_database_column_holds_the_note_only_encrypted(note):
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_sealed FROM counselling_casenote WHERE id = %s", [note.pk])
        (stored,) = cursor.fetchone()

    assert stored.startswith(f"v1:{crypto.key_id(base64.urlsafe_b64decode(KEY_A))}:")
    for word in ("Amina", "brother", "Kano", "embassy", SECRET):
        assert word not in stored
    # Nor anywhere else in the two tables (the access log holds no text at all).
    for value in text_columns_of("counselling_casenote") + text_columns_of("counselling_casenoteaccess"):
        assert "brother" not in value


def test_two_notes_with_the_same_text_are_stored_differently(chinedu, amina):
    first = case_note_create(author=chinedu, client=amina, body=SECRET)
    second = case_note_create(author=chinedu, client=amina, body=SECRET)

    assert first.body_sealed != second.body_sealed  # a fresh nonce each time


def test_the_database_refuses_a_note_that_is_not_sealed(chinedu, amina, org):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseNote.objects.create(client=amina, author=chinedu, organisation=org, body_sealed=SECRET)


def test_a_wrong_key_raises_instead_of_returning_any_text(settings, note, chinedu):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]

    with pytest.raises(crypto.UnknownKeyError):
        crypto.decrypt(note.body_sealed, context=note.encryption_context)
    with pytest.raises(crypto.DecryptionError):
        case_notes_open(reader=chinedu, notes=[note])
    assert not CaseNoteAccess.objects.filter(action="list").exists()  # nothing shown, nothing logged


def test_a_ciphertext_naming_the_right_key_but_sealed_with_another_fails_its_check(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    sealed_with_b = crypto.encrypt(SECRET, context="test:1")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    # The id of key A on text sealed with key B: the tag check, not the id, has the last word.
    forged = f"v1:{crypto.current_key_id()}:{sealed_with_b.split(':', 2)[2]}"

    with pytest.raises(crypto.DecryptionError) as raised:
        crypto.decrypt(forged, context="test:1")
    assert not isinstance(raised.value, crypto.UnknownKeyError)
    assert SECRET not in str(raised.value)


def test_an_altered_ciphertext_raises(note):
    head, payload = note.body_sealed.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload))
    raw[-1] ^= 1
    altered = f"{head}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(altered, context=note.encryption_context)


def test_a_ciphertext_copied_to_another_note_does_not_decrypt(note, chinedu, amina, farid):
    other_of_amina = case_note_create(author=chinedu, client=amina, body="Short session.")
    of_farid = case_note_create(author=chinedu, client=farid, body="First session.")
    CaseNote.objects.filter(pk__in=[other_of_amina.pk, of_farid.pk]).update(body_sealed=note.body_sealed)

    for moved in CaseNote.objects.filter(pk__in=[other_of_amina.pk, of_farid.pk]):
        with pytest.raises(crypto.DecryptionError):
            case_notes_open(reader=chinedu, notes=[moved])


def test_a_note_moved_to_another_client_does_not_decrypt(note, chinedu, farid):
    CaseNote.objects.filter(pk=note.pk).update(client=farid)
    moved = CaseNote.objects.get(pk=note.pk)

    with pytest.raises(crypto.DecryptionError):
        case_notes_open(reader=chinedu, notes=[moved])


def test_without_keys_nothing_is_encrypted(settings, chinedu, amina):
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured):
        case_note_create(author=chinedu, client=amina, body=SECRET)
    assert not CaseNote.objects.exists()


def test_a_malformed_key_is_refused_without_being_shown(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A, "not-a-key"]

    with pytest.raises(ImproperlyConfigured, match="key 2 is not 32 bytes") as raised:
        crypto.encrypt(SECRET, context="test:1")
    assert "not-a-key" not in str(raised.value)


# --- Rotation ---------------------------------------------------------------------------------


def rotate(*args):
    out = StringIO()
    call_command("rotate_field_keys", *args, stdout=out)
    return out.getvalue()


def test_rotation_reencrypts_with_the_new_key_after_which_the_old_key_can_go(settings, note, chinedu, amina):
    others = [case_note_create(author=chinedu, client=amina, body=f"Session {n}.") for n in range(2)]
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    report = rotate("--batch-size", "2")

    key_b = crypto.key_id(base64.urlsafe_b64decode(KEY_B))
    assert f"3 re-encrypted with key {key_b}, 0 already used it, 0 could not be opened" in report
    assert all(n.body_sealed.startswith(f"v1:{key_b}:") for n in CaseNote.objects.all())
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    opened = case_notes_open(reader=chinedu, notes=list(CaseNote.objects.order_by("pk")))
    assert [o.body for o in opened] == [SECRET, "Session 0.", "Session 1."]
    assert len(others) == 2


def test_rotation_run_again_changes_nothing(settings, note):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    rotate()
    sealed = CaseNote.objects.get(pk=note.pk).body_sealed

    report = rotate()

    assert "0 re-encrypted" in report
    assert "1 already used it" in report
    assert CaseNote.objects.get(pk=note.pk).body_sealed == sealed


def test_rotation_does_not_count_as_a_read(settings, note):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    before = CaseNoteAccess.objects.count()

    rotate()

    assert CaseNoteAccess.objects.count() == before


def test_rotation_names_the_notes_no_key_opens_and_leaves_them_as_they_were(settings, note, chinedu, amina):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    readable = case_note_create(author=chinedu, client=amina, body="Sealed with B.")
    sealed = note.body_sealed

    with pytest.raises(CommandError, match=rf"case notes {note.pk} cannot be opened") as raised:
        rotate()

    assert SECRET not in str(raised.value)
    assert CaseNote.objects.get(pk=note.pk).body_sealed == sealed
    assert CaseNote.objects.get(pk=readable.pk).body_sealed == readable.body_sealed


# --- Who may read and write -------------------------------------------------------------------

# Person -> (what the notes page answers, what writing a note answers).
MATRIX = {
    "amina": (403, 403),  # the client herself
    "farid": (403, 403),  # another client
    "chinedu": (200, 302),  # her counsellor
    "ngozi": (404, 404),  # a counsellor of the same organisation, not hers
    "mariam": (404, 404),  # a counsellor of another organisation
    "sofia": (200, 403),  # a coordinator of the organisation
    "eleni": (404, 403),  # a coordinator of another organisation
}


@pytest.mark.parametrize(("person", "outcomes"), MATRIX.items())
def test_who_may_read_and_write_a_clients_notes(request, client_for, note, amina, person, outcomes):
    user = request.getfixturevalue(person)
    browser = client_for(user)

    page = browser.get(notes_url(amina))
    written = post_note(browser, amina, "Follow-up.")

    assert (page.status_code, written.status_code) == outcomes
    may_read = outcomes[0] == 200
    assert (SECRET in page.content.decode()) is may_read
    assert (selectors.case_note_scope(reader=user, client_id=amina.pk) is not None) is may_read
    if may_read:
        assert [o.body for o in case_notes_open(reader=user, notes=[note])] == [SECRET]
    else:
        with pytest.raises(PermissionDenied):
            case_notes_open(reader=user, notes=[note])
    if outcomes[1] != 302:
        with pytest.raises(PermissionDenied):
            case_note_create(author=user, client=amina, body="Follow-up.")
    assert CaseNote.objects.filter(client=amina).count() == (2 if outcomes[1] == 302 else 1)


def test_a_counsellor_of_the_client_in_another_organisation_sees_only_their_organisations_notes(
    note, mariam, amina, client_for
):
    services.conversation_get_or_create(client=amina, counsellor=mariam)
    own = case_note_create(author=mariam, client=amina, body="Kabul side.")

    response = client_for(mariam).get(notes_url(amina))

    assert [o.note.pk for o in response.context["notes"]] == [own.pk]
    with pytest.raises(PermissionDenied):
        case_notes_open(reader=mariam, notes=[note])


def test_after_a_change_of_counsellor_the_new_and_the_former_counsellor_both_read_the_notes(
    note, chinedu, ngozi, amina
):
    # A reassignment gives the client a conversation with the new counsellor and keeps the old one.
    services.conversation_get_or_create(client=amina, counsellor=ngozi)
    by_ngozi = case_note_create(author=ngozi, client=amina, body="Took over from Chinedu.")
    notes = list(CaseNote.objects.filter(client=amina).order_by("pk"))

    assert [o.body for o in case_notes_open(reader=ngozi, notes=notes)] == [SECRET, "Took over from Chinedu."]
    assert [o.body for o in case_notes_open(reader=chinedu, notes=notes)][1] == "Took over from Chinedu."
    assert by_ngozi.organisation_id == note.organisation_id


def test_notes_stay_with_the_organisation_when_their_author_leaves_it(note, chinedu, other_org, sofia, amina):
    chinedu.organisation = other_org
    chinedu.save(update_fields=["organisation"])

    with pytest.raises(PermissionDenied):
        case_notes_open(reader=chinedu, notes=[note])
    assert [o.body for o in case_notes_open(reader=sofia, notes=[note])] == [SECRET]


def test_a_closed_account_reads_nothing(note, chinedu):
    chinedu.is_active = False
    chinedu.save(update_fields=["is_active"])

    with pytest.raises(PermissionDenied):
        case_notes_open(reader=chinedu, notes=[note])


def test_only_the_author_changes_a_note(note, chinedu, ngozi, amina, client_for):
    services.conversation_get_or_create(client=amina, counsellor=ngozi)
    edit_url = reverse("counselling:case_note_edit", args=[amina.pk, note.pk])

    assert client_for(ngozi).get(edit_url).status_code == 404
    assert client_for(ngozi).post(edit_url, {"body": "Rewritten."}).status_code == 404
    with pytest.raises(PermissionDenied):
        case_note_update(editor=ngozi, note=note, body="Rewritten.")
    assert case_notes_open(reader=chinedu, notes=[note])[0].body == SECRET


def test_the_author_changes_their_note_and_it_is_sealed_again(note, chinedu, amina, client_for):
    edit_url = reverse("counselling:case_note_edit", args=[amina.pk, note.pk])
    browser = client_for(chinedu)

    form = browser.get(edit_url)
    response = browser.post(edit_url, {"body": "She has now told the embassy."})

    assert SECRET in form.content.decode()
    assert response.status_code == 302
    assert "embassy" not in response["Location"]
    changed = CaseNote.objects.get(pk=note.pk)
    assert changed.body_sealed != note.body_sealed
    assert changed.updated_at > changed.created_at
    assert case_notes_open(reader=chinedu, notes=[changed])[0].body == "She has now told the embassy."


def test_a_note_too_long_or_empty_is_refused_with_a_reason_and_nothing_is_stored(chinedu, amina, client_for):
    with pytest.raises(ValidationError) as raised:
        case_note_create(author=chinedu, client=amina, body="x" * (NOTE_MAX_CHARS + 1))
    with pytest.raises(ValidationError):
        case_note_create(author=chinedu, client=amina, body="   ")

    response = post_note(client_for(chinedu), amina, "y" * (NOTE_MAX_CHARS + 5))

    assert raised.value.message_dict["body"] == [
        f"A note can have at most {NOTE_MAX_CHARS} characters; this one has {NOTE_MAX_CHARS + 1}."
    ]
    assert response.status_code == 400
    assert "at most 10000 characters; this one has 10005" in response.content.decode()
    assert not CaseNote.objects.exists()


def test_writing_a_note_puts_no_text_in_the_address_or_the_confirmation(chinedu, amina, client_for):
    browser = client_for(chinedu)

    response = post_note(browser, amina, SECRET)
    page = browser.get(response["Location"])

    assert "brother" not in response["Location"]
    assert [str(m) for m in page.context["messages"]] == ["Note saved."]
    assert SECRET in page.content.decode()


def test_a_note_sent_twice_is_stored_once(chinedu, amina, client_for):
    browser = client_for(chinedu)
    ref = uuid.uuid4()

    first = post_note(browser, amina, SECRET, ref)
    again = post_note(browser, amina, SECRET, ref)

    assert first["Location"] == again["Location"]
    assert CaseNote.objects.filter(client=amina).count() == 1
    assert CaseNoteAccess.objects.filter(action="create").count() == 1


def test_a_form_id_of_another_persons_note_is_refused(note, chinedu, farid, ngozi, amina):
    services.conversation_get_or_create(client=amina, counsellor=ngozi)

    with pytest.raises(ValidationError):
        case_note_create(author=ngozi, client=amina, body="Mine.", ref=note.ref)
    with pytest.raises(ValidationError):
        case_note_create(author=chinedu, client=farid, body="Mine.", ref=note.ref)
    assert CaseNote.objects.count() == 1


def test_the_notes_page_tells_that_the_client_never_sees_them(note, chinedu, amina, client_for):
    page = client_for(chinedu).get(notes_url(amina)).content.decode()

    assert "The client never sees them." in page


def test_the_client_has_no_way_to_the_notes(note, chinedu, amina, client_for):
    conversation = services.conversation_get_or_create(client=amina, counsellor=chinedu)
    url = reverse("counselling:conversation", args=[conversation.pk])

    for_client = client_for(amina).get(url).content.decode()
    for_counsellor = client_for(chinedu).get(url).content.decode()

    assert notes_url(amina) not in for_client
    assert notes_url(amina) in for_counsellor


# --- The access log ---------------------------------------------------------------------------


def log_of(client):
    return list(
        CaseNoteAccess.objects.filter(client=client)
        .order_by("pk")
        .values_list("reader_id", "action", "note_id")
    )


def test_every_read_and_change_is_logged(note, chinedu, sofia, amina, client_for):
    second = case_note_create(author=chinedu, client=amina, body="Second.")
    edit_url = reverse("counselling:case_note_edit", args=[amina.pk, note.pk])

    client_for(sofia).get(notes_url(amina))
    client_for(chinedu).get(edit_url)
    client_for(chinedu).post(edit_url, {"body": "Changed."})

    assert log_of(amina) == [
        (chinedu.pk, "create", note.pk),
        (chinedu.pk, "create", second.pk),
        # The list shows both, newest first: one row each, written together.
        (sofia.pk, "list", second.pk),
        (sofia.pk, "list", note.pk),
        (chinedu.pk, "read", note.pk),
        (chinedu.pk, "update", note.pk),
    ]


def test_a_refused_reader_leaves_no_read_in_the_log(note, ngozi, eleni, amina, client_for):
    client_for(ngozi).get(notes_url(amina))
    client_for(eleni).get(notes_url(amina))

    assert [action for _reader, action, _note in log_of(amina)] == ["create"]


def test_the_log_refuses_changes_and_deletion(note):
    entry = CaseNoteAccess.objects.get(note=note)

    entry.action = "read"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        CaseNoteAccess.objects.filter(pk=entry.pk).update(action="read")
    with pytest.raises(AppendOnlyError):
        CaseNoteAccess.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        CaseNoteAccess.objects.bulk_update([entry], ["action"])
    # A new object with the id of an existing row inserts (and fails); it never overwrites.
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseNoteAccess(
            pk=entry.pk, note=note, client_id=note.client_id, reader_id=note.author_id, action="read"
        ).save()
    assert CaseNoteAccess.objects.get(pk=entry.pk).action == "create"


def test_a_read_note_cannot_be_deleted(note):
    with pytest.raises(IntegrityError), transaction.atomic():
        note.delete()


@pytest.mark.postgres
def test_postgresql_refuses_raw_updates_and_deletes_of_the_log(note):
    entry = CaseNoteAccess.objects.get(note=note)

    for statement in (
        "UPDATE counselling_casenoteaccess SET action = 'read' WHERE id = %s",
        "DELETE FROM counselling_casenoteaccess WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(statement, [entry.pk])

    assert CaseNoteAccess.objects.filter(pk=entry.pk, action="create").exists()


def test_the_coordinator_reviews_who_read_which_note(note, chinedu, sofia, amina, client_for):
    client_for(chinedu).get(notes_url(amina))
    browser = client_for(sofia)

    client_page = browser.get(reverse("booking:org_client", args=[amina.pk])).content.decode()
    response = browser.get(reverse("counselling:org_case_note_log", args=[amina.pk]))

    log_url = reverse("counselling:org_case_note_log", args=[amina.pk])
    assert log_url in client_page
    entries = list(response.context["page"].object_list)
    assert [(e.reader.display_name, e.action) for e in entries] == [
        ("Chinedu", "list"),
        ("Chinedu", "create"),
    ]
    page = response.content.decode()
    assert "Saw it in the list" in page
    assert SECRET not in page
    assert not CaseNoteAccess.objects.filter(reader=sofia).exists()  # the log shows no text


def test_a_coordinator_of_another_organisation_finds_no_log(note, eleni, amina, client_for):
    response = client_for(eleni).get(reverse("counselling:org_case_note_log", args=[amina.pk]))

    assert response.status_code == 404


def test_the_notes_page_costs_the_same_queries_for_one_note_or_a_full_page(
    note, chinedu, amina, client_for, django_assert_num_queries
):
    browser = client_for(chinedu)
    with CaptureQueriesContext(connection) as one:
        browser.get(notes_url(amina))

    for n in range(24):
        case_note_create(author=chinedu, client=amina, body=f"Session {n}.")
    with django_assert_num_queries(len(one.captured_queries)):
        response = browser.get(notes_url(amina))

    shown = response.context["notes"]
    assert len(shown) == 20
    assert shown[0].body == "Session 23."  # newest first
    assert CaseNoteAccess.objects.filter(reader=chinedu, action="list").count() == 1 + 20


def test_the_key_id_is_a_short_fingerprint_of_the_key():
    assert re.fullmatch(r"[0-9a-f]{8}", crypto.current_key_id())
    assert crypto.current_key_id() != crypto.key_id(base64.urlsafe_b64decode(KEY_B))
