"""Every URL pattern, for every role, against one declarative policy.

A new URL without an entry in POLICY fails `test_every_url_pattern_has_a_policy`, so nobody
adds a page without deciding who may see it.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from tests.counselling.interpreter_factories import make_interpreter
from tests.factories import make_user

ROLES = (
    "anonymous",
    Role.MIGRANT,
    Role.COUNSELLOR,
    Role.COORDINATOR,
    Role.INTERPRETER,
    Role.AUTHOR,
    Role.ADMIN,
)

# Outcomes of a GET, as a person would experience them:
OK = "ok"  # the page is shown
LOGIN = "login"  # sent to the sign-in page
FORBIDDEN = "forbidden"  # 403
NOT_FOUND = "not_found"  # 404
AWAY = "away"  # redirected elsewhere (e.g. a signed-in person opening the sign-in page)
POST_ONLY = "post_only"  # 405: the URL only takes form posts
ERROR_OK = "error_ok"  # a handled error page (e.g. 400 for a broken link, 429, 503)
UNAUTHENTICATED = "401"  # the API without a session
INVALID = "422"  # the API without its required parameters


def everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


def signed_in(outcome: str = OK, anonymous: str = LOGIN) -> dict[str, str]:
    return {**everyone(outcome), "anonymous": anonymous}


def only(*roles: str, anonymous: str = LOGIN) -> dict[str, str]:
    return {**everyone(FORBIDDEN), "anonymous": anonymous, **dict.fromkeys(roles, OK)}


def staff(outcome: str, others: str, anonymous: str = LOGIN) -> dict[str, str]:
    """Staff (who have two-step sign-in) get `outcome`, migrants and authors `others`."""
    return {
        "anonymous": anonymous,
        Role.MIGRANT: others,
        Role.AUTHOR: others,
        Role.COUNSELLOR: outcome,
        Role.COORDINATOR: outcome,
        Role.INTERPRETER: outcome,
        Role.ADMIN: outcome,
    }


# An administrator is let in; the sample object of a change page may not exist (404 or a
# redirect to the list): what matters is that nobody else gets in.
LET_IN = frozenset({OK, AWAY, NOT_FOUND})


def visitors_only() -> dict[str, str]:
    """Pages for people who are not signed in (sign-up, sign-in...)."""
    return {**everyone(AWAY), "anonymous": OK}


@dataclass(frozen=True)
class Rule:
    expect: dict[str, str | frozenset[str]]
    kwargs: dict[str, str] | None = None


# URL name (or a glob over names) -> who gets what.
POLICY: dict[str, Rule] = {
    "healthz": Rule(everyone(OK)),
    # Uploaded course files, by their random names; a name that is not there does not exist.
    "media": Rule(everyone(NOT_FOUND), {"path": "courses/videos/missing.mp4"}),
    "frontend:home": Rule({**everyone(AWAY), "anonymous": OK}),
    "frontend:dashboard": Rule(signed_in()),
    "frontend:help": Rule(everyone(OK)),
    "frontend:offline": Rule(everyone(OK)),
    "frontend:service_worker": Rule(everyone(OK)),
    "frontend:manifest": Rule(everyone(OK)),
    # Development outboxes exist only with DEBUG (tests run without).
    "frontend:dev_mail": Rule(everyone(NOT_FOUND)),
    "frontend:dev_sms": Rule(everyone(NOT_FOUND)),
    "accounts:profile": Rule(signed_in()),
    "accounts:counsellor_profile": Rule(only(Role.COUNSELLOR)),
    "accounts:language_set": Rule(everyone(POST_ONLY)),
    # Counsellors' availability and agenda; the form posts are theirs alone too.
    "booking:availability": Rule(only(Role.COUNSELLOR)),
    "booking:agenda": Rule(only(Role.COUNSELLOR)),
    "booking:availability_settings": Rule({**only(Role.COUNSELLOR), Role.COUNSELLOR: POST_ONLY}),
    "booking:availability_hours": Rule({**only(Role.COUNSELLOR), Role.COUNSELLOR: POST_ONLY}),
    "booking:availability_dates": Rule({**only(Role.COUNSELLOR), Role.COUNSELLOR: POST_ONLY}),
    "booking:availability_date_remove": Rule(
        {**only(Role.COUNSELLOR), Role.COUNSELLOR: POST_ONLY}, {"day": "2026-06-01"}
    ),
    "booking:mark": Rule({**only(Role.COUNSELLOR), Role.COUNSELLOR: POST_ONLY}),
    "booking:counsellor_cancel": Rule({**only(Role.COUNSELLOR), Role.COUNSELLOR: POST_ONLY}),
    # Coordinators' pages about their own organisation; a client outside it does not exist.
    "booking:org_appointments": Rule(only(Role.COORDINATOR)),
    "booking:org_utilisation": Rule(only(Role.COORDINATOR)),
    "booking:org_clients": Rule(only(Role.COORDINATOR)),
    "booking:org_client": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND}, {"client_id": "999999"}
    ),
    "booking:org_reassign": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}, {"client_id": "999999"}
    ),
    # Booking, client side: anyone may browse counsellors; booking and appointments need an
    # account; an appointment exists only for its two people (no such counsellor/appointment: 404).
    "booking:directory": Rule(everyone(OK)),
    "booking:counsellor": Rule(everyone(NOT_FOUND), {"counsellor_id": "999999"}),
    "booking:book": Rule(signed_in(NOT_FOUND), {"counsellor_id": "999999"}),
    "booking:appointments": Rule(signed_in()),
    "booking:appointment": Rule(signed_in(NOT_FOUND), {"appointment_id": "999999"}),
    "counselling:appointment_join": Rule(signed_in(NOT_FOUND), {"appointment_id": "999999"}),
    "booking:cancel": Rule(everyone(POST_ONLY), {"appointment_id": "999999"}),
    # The admin site: administrators only; everyone else is refused, visitors sign in first.
    "admin:logout": Rule({**everyone(AWAY), "anonymous": AWAY, Role.ADMIN: POST_ONLY}),
    "admin:autocomplete": Rule({**only(Role.ADMIN), Role.ADMIN: FORBIDDEN}),  # needs query
    # Activities and their libraries come only from a checked upload, never from the admin.
    "admin:courses_h5pcontent_add": Rule({**only(Role.ADMIN), Role.ADMIN: FORBIDDEN}),
    "admin:courses_h5plibrary_add": Rule({**only(Role.ADMIN), Role.ADMIN: FORBIDDEN}),
    "admin:*": Rule({**only(Role.ADMIN), Role.ADMIN: LET_IN}),
    # Counsellors' private calendar feed: the page is theirs; the feed itself is found by
    # its secret token (an unknown token does not exist).
    "counselling:conversations": Rule(signed_in()),
    "counselling:conversation": Rule(signed_in(NOT_FOUND), {"conversation_id": "999999"}),
    "counselling:send": Rule(everyone(POST_ONLY), {"conversation_id": "999999"}),
    "counselling:report": Rule(signed_in(NOT_FOUND), {"conversation_id": "999999", "message_id": "1"}),
    "counselling:org_reports": Rule(only(Role.COORDINATOR)),
    "counselling:org_report_resolve": Rule({**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}),
    # Interpreters: coordinators propose, withdraw and remove within their organisation (another
    # conversation does not exist for them); the client answers and removes by form posts.
    "counselling:org_interpreters": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND}, {"conversation_id": "999999"}
    ),
    "counselling:org_interpreter_propose": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}, {"conversation_id": "999999"}
    ),
    "counselling:org_interpreter_remove": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}, {"conversation_id": "999999", "user_id": "1"}
    ),
    "counselling:org_interpreter_withdraw": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}, {"invitation_id": "999999"}
    ),
    "counselling:interpreter_answer": Rule(
        everyone(POST_ONLY), {"conversation_id": "999999", "invitation_id": "999999"}
    ),
    "counselling:interpreter_remove": Rule(
        everyone(POST_ONLY), {"conversation_id": "999999", "user_id": "1"}
    ),
    # Case notes: the client's counsellors and the organisation's coordinators; a client they
    # may not read about does not exist for them. Only counsellors write; only coordinators see
    # the access log.
    "counselling:case_notes": Rule(
        {**only(Role.COUNSELLOR, Role.COORDINATOR), Role.COUNSELLOR: NOT_FOUND, Role.COORDINATOR: NOT_FOUND},
        {"client_id": "999999"},
    ),
    "counselling:case_note_add": Rule(
        {**only(Role.COUNSELLOR), Role.COUNSELLOR: POST_ONLY}, {"client_id": "999999"}
    ),
    "counselling:case_note_edit": Rule(
        {**only(Role.COUNSELLOR), Role.COUNSELLOR: NOT_FOUND}, {"client_id": "999999", "note_id": "999999"}
    ),
    "counselling:org_case_note_log": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND}, {"client_id": "999999"}
    ),
    # Public questions and feedback: anyone asks, sends and checks a reference code; only
    # coordinators triage and handle; only counsellors answer what is assigned to them.
    "counselling:intake_ask": Rule(everyone(OK)),
    "counselling:intake_check": Rule(everyone(OK)),
    "counselling:intake_triage": Rule(only(Role.COORDINATOR)),
    "counselling:intake_triage_detail": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND}, {"request_id": "999999"}
    ),
    "counselling:intake_assign": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}, {"request_id": "999999"}
    ),
    "counselling:intake_close": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}, {"request_id": "999999"}
    ),
    "counselling:intake_mine": Rule(only(Role.COUNSELLOR)),
    "counselling:intake_mine_detail": Rule(
        {**only(Role.COUNSELLOR), Role.COUNSELLOR: NOT_FOUND}, {"request_id": "999999"}
    ),
    "counselling:feedback_new": Rule(everyone(OK)),
    "counselling:feedback_check": Rule(everyone(OK)),
    "counselling:feedback_queue": Rule(only(Role.COORDINATOR)),
    "counselling:feedback_item": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND}, {"feedback_id": "999999"}
    ),
    "counselling:org_ratings": Rule(only(Role.COORDINATOR)),
    # Rating an appointment: form posts from its page, for its client only.
    "counselling:rate": Rule(everyone(POST_ONLY), {"appointment_id": "999999"}),
    "counselling:rate_comment": Rule(everyone(POST_ONLY), {"appointment_id": "999999"}),
    "booking:group_sessions": Rule(everyone(OK)),
    "booking:group_session": Rule(everyone(NOT_FOUND), {"session_id": "999999"}),
    "booking:group_session_new": Rule(only(Role.COUNSELLOR, Role.COORDINATOR)),
    "booking:group_session_edit": Rule(signed_in(NOT_FOUND), {"session_id": "999999"}),
    "booking:group_session_cancel": Rule(everyone(POST_ONLY), {"session_id": "999999"}),
    "booking:group_register": Rule(everyone(POST_ONLY), {"session_id": "999999"}),
    "booking:group_unregister": Rule(everyone(POST_ONLY), {"session_id": "999999"}),
    "booking:feed_settings": Rule(only(Role.COUNSELLOR)),
    "booking:feed_rotate": Rule(everyone(POST_ONLY)),
    "booking:feed_revoke": Rule(everyone(POST_ONLY)),
    "booking:feed": Rule(everyone(NOT_FOUND), {"token": "not-a-token"}),
    # The sandboxed H5P player and its files: public to anyone holding the (random, 128-bit)
    # content id, whatever their role; an unknown id or file does not exist.
    "courses:h5p_embed": Rule(everyone(NOT_FOUND), {"content_id": "f" * 32}),
    "courses:h5p_assets": Rule(everyone(NOT_FOUND), {"content_id": "f" * 32}),
    "courses:h5p_library_file": Rule(everyone(NOT_FOUND), {"path": "Unknown.Library-1.1/library.json"}),
    "courses:h5p_content_file": Rule(everyone(NOT_FOUND), {"content_id": "f" * 32, "path": "h5p.json"}),
    # A lesson's offline manifest: for learners enrolled in its published course; for anyone
    # else the lesson does not exist.
    "courses:lesson_offline": Rule(signed_in(NOT_FOUND), {"slug": "no-such-course", "lesson_id": "999999"}),
    # Learning: anyone may browse the catalogue and a course's outline; "My learning" and lessons
    # need an account (an unknown course or lesson does not exist); enrolling is a form post.
    "courses:catalogue": Rule(everyone(OK)),
    "courses:my_learning": Rule(signed_in()),
    "courses:course": Rule(everyone(NOT_FOUND), {"slug": "no-such-course"}),
    "courses:enrol": Rule(everyone(POST_ONLY), {"slug": "no-such-course"}),
    "courses:lesson": Rule(signed_in(NOT_FOUND), {"slug": "no-such-course", "lesson_id": "999999"}),
    # Learning records: the signed-in learner's own; an unknown lesson does not exist.
    "api:xapi_statements": Rule(everyone(POST_ONLY)),
    "api:lesson_progress": Rule(signed_in(NOT_FOUND, anonymous=UNAUTHENTICATED), {"lesson_id": "999999"}),
    "api:lesson_h5p_state": Rule(everyone(POST_ONLY), {"lesson_id": "999999"}),
    # Course reports: authors (their own courses), coordinators and admins (every course); an
    # unknown course, or another author's, does not exist for them.
    "courses:report_list": Rule(only(Role.AUTHOR, Role.COORDINATOR, Role.ADMIN)),
    **{
        name: Rule(
            {
                **only(Role.AUTHOR, Role.COORDINATOR, Role.ADMIN),
                Role.AUTHOR: NOT_FOUND,
                Role.COORDINATOR: NOT_FOUND,
                Role.ADMIN: NOT_FOUND,
            },
            {"slug": "no-such-course", **({"user_id": "999999"} if name.endswith("learner") else {})},
        )
        for name in ("courses:progress", "courses:progress_csv", "courses:progress_learner")
    },
    # Certificates: the page and PDF are their owner's alone (an unknown code does not exist);
    # anyone may check a code.
    "courses:certificate": Rule(signed_in(NOT_FOUND), {"code": "K7M2QX9P4HTD"}),
    "courses:certificate_pdf": Rule(signed_in(NOT_FOUND), {"code": "K7M2QX9P4HTD"}),
    "courses:certificate_verify": Rule(everyone(OK)),
    # Course authoring: authors and admins; a course they may not edit (or none) does not exist
    # for them; changes are form posts.
    "courses:author_home": Rule(only(Role.AUTHOR, Role.ADMIN)),
    "courses:author_course_new": Rule(only(Role.AUTHOR, Role.ADMIN)),
    **{
        f"courses:author_{name}": Rule(
            {**only(Role.AUTHOR, Role.ADMIN), Role.AUTHOR: outcome_, Role.ADMIN: outcome_},
            {"slug": "no-such-course", **kwargs},
        )
        for name, outcome_, kwargs in (
            ("course", NOT_FOUND, {}),
            ("course_publish", POST_ONLY, {}),
            ("course_unpublish", POST_ONLY, {}),
            ("module_new", POST_ONLY, {}),
            ("module", NOT_FOUND, {"module_id": "999999"}),
            ("module_move", POST_ONLY, {"module_id": "999999"}),
            ("module_delete", NOT_FOUND, {"module_id": "999999"}),
            ("lesson_new", NOT_FOUND, {"module_id": "999999", "kind": "text"}),
            ("lesson", NOT_FOUND, {"lesson_id": "999999"}),
            ("lesson_move", POST_ONLY, {"lesson_id": "999999"}),
            ("lesson_delete", NOT_FOUND, {"lesson_id": "999999"}),
            ("lesson_image_add", POST_ONLY, {"lesson_id": "999999"}),
            ("lesson_image_remove", POST_ONLY, {"lesson_id": "999999", "image_id": "999999"}),
        )
    },
    # Allowance payments: coordinators of the programme's organisation; a batch or payment of
    # another organisation (or none) does not exist for them; changes are form posts.
    "allowances:batches": Rule(only(Role.COORDINATOR)),
    **{
        f"allowances:{name}": Rule(
            {**only(Role.COORDINATOR), Role.COORDINATOR: outcome_}, {"batch_id": "999999"}
        )
        for name, outcome_ in (
            ("batch", NOT_FOUND),
            ("batch_submit", POST_ONLY),
            ("batch_approve", POST_ONLY),
            ("batch_reject", POST_ONLY),
            ("batch_send", POST_ONLY),
            ("batch_export", NOT_FOUND),
            ("batch_results", NOT_FOUND),
        )
    },
    "allowances:payment_reissue": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: POST_ONLY}, {"payment_id": "999999"}
    ),
    # Providers' signed callbacks: no session; posts only.
    "api:allowances_callback": Rule(everyone(POST_ONLY), {"provider": "simulated"}),
    # Allowance programmes: coordinators, for their own organisation; another organisation's
    # programme (or period) does not exist for them.
    "allowances:programme_list": Rule(only(Role.COORDINATOR)),
    "allowances:programme_new": Rule(only(Role.COORDINATOR)),
    **{
        f"allowances:{name}": Rule(
            {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND},
            {"programme_id": "999999", **({"period_id": "999999"} if "period" in name else {})},
        )
        for name in (
            "programme",
            "programme_edit",
            "programme_rules",
            "programme_period",
            "programme_period_close",
        )
    },
    # The JSON API: the schema is public; everything else needs a session (401 without).
    "api:openapi-json": Rule(everyone(OK)),
    "api:openapi-view": Rule(everyone(OK)),
    "api:api-root": Rule(everyone(NOT_FOUND)),
    "api:slots": Rule(signed_in(INVALID, anonymous=UNAUTHENTICATED), {"counsellor_id": "1"}),
    "api:book": Rule(everyone(POST_ONLY)),
    "api:cancel": Rule(everyone(POST_ONLY), {"appointment_id": "1"}),
    "api:reschedule": Rule(everyone(POST_ONLY), {"appointment_id": "1"}),
    # allauth: account pages.
    "account_login": Rule(visitors_only()),
    "account_signup": Rule(visitors_only()),
    "account_logout": Rule(signed_in(anonymous=AWAY)),
    "account_inactive": Rule(everyone(OK)),
    "account_reauthenticate": Rule(signed_in()),
    "account_email": Rule(signed_in()),
    "account_email_verification_sent": Rule(everyone(OK)),
    "account_confirm_email": Rule(everyone(OK), {"key": "not-a-real-key"}),
    "account_change_password": Rule(signed_in()),
    "account_set_password": Rule(signed_in(AWAY)),
    "account_reset_password": Rule(everyone(OK)),
    "account_reset_password_done": Rule(everyone(OK)),
    "account_reset_password_from_key": Rule(everyone(OK), {"uidb36": "1", "key": "bad-key"}),
    "account_reset_password_from_key_done": Rule(everyone(OK)),
    # Steps of a flow started elsewhere: without one, back to the start.
    "account_confirm_login_code": Rule({**everyone(AWAY), "anonymous": LOGIN}),
    "account_verify_phone": Rule({**everyone(AWAY), "anonymous": LOGIN}),
    "account_change_phone": Rule(signed_in()),
    # allauth: two-step sign-in (MFA).
    "mfa_index": Rule(signed_in()),
    "mfa_authenticate": Rule({**everyone(AWAY), "anonymous": LOGIN}),
    "mfa_reauthenticate": Rule(staff(OK, others=AWAY)),
    "mfa_activate_totp": Rule(signed_in(AWAY)),
    "mfa_deactivate_totp": Rule(staff(AWAY, others=NOT_FOUND)),
    "mfa_view_recovery_codes": Rule(signed_in(NOT_FOUND)),  # none generated in these tests
    "mfa_generate_recovery_codes": Rule(signed_in(AWAY)),
    "mfa_download_recovery_codes": Rule(signed_in(NOT_FOUND)),
    # Allowances, people: the questionnaire and "My allowance" are the signed-in person's own;
    # an unknown (or closed) programme does not exist; leaving is a form post.
    "allowances:assessment": Rule(signed_in()),
    "allowances:mine": Rule(signed_in()),
    "allowances:join": Rule(signed_in(NOT_FOUND), {"programme_id": "999999"}),
    "allowances:leave": Rule(signed_in(POST_ONLY), {"programme_id": "999999"}),
    # Allowances, reports: coordinators, about their own organisation's programmes only.
    "allowances:report_list": Rule(only(Role.COORDINATOR)),
    "allowances:assessment_report": Rule(only(Role.COORDINATOR)),
    "allowances:report": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND}, {"programme_id": "999999"}
    ),
    "allowances:report_export": Rule(
        {**only(Role.COORDINATOR), Role.COORDINATOR: NOT_FOUND}, {"programme_id": "999999"}
    ),
}


def iter_url_names(
    resolver: URLResolver | None = None, namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from iter_url_names(entry, ns)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


def rule_for(name: str) -> Rule | None:
    if name in POLICY:
        return POLICY[name]
    for pattern, rule in POLICY.items():
        if "*" in pattern and fnmatch(name, pattern):
            return rule
    return None


def test_every_url_pattern_has_a_policy():
    missing = sorted({name for name, _ in iter_url_names() if rule_for(name) is None})

    assert not missing, f"URL patterns without an entry in POLICY: {missing}"


def test_every_policy_entry_names_a_real_url_pattern():
    names = {name for name, _ in iter_url_names()}
    stale = [p for p in POLICY if not any(fnmatch(n, p) for n in names)]

    assert not stale, f"POLICY entries that match no URL: {stale}"


def sample_kwargs(pattern: URLPattern, rule: Rule, users: dict[str, object]) -> dict[str, str]:
    """Arguments for URLs that take some: the rule's own, or plausible ones by name."""
    if rule.kwargs is not None:
        return rule.kwargs
    samples = {"app_label": "accounts", "object_id": str(users[Role.ADMIN].pk), "url": "x"}
    return {key: samples.get(key, "1") for key in pattern.pattern.regex.groupindex}


def outcome(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith("/admin/login/"):
            # The admin hands visitors to allauth and refuses signed-in non-staff.
            return outcome(client, location)
        if location.startswith(reverse("account_login")):
            return LOGIN
        return AWAY
    known = {200: OK, 403: FORBIDDEN, 404: NOT_FOUND, 405: POST_ONLY, 400: ERROR_OK, 429: ERROR_OK}
    return known.get(response.status_code, str(response.status_code))


@pytest.fixture
def users(db) -> dict[str, object]:
    # An interpreter is staff of an organisation with two-step sign-in, like a counsellor.
    return {
        role: make_interpreter() if role == Role.INTERPRETER else make_user(role)
        for role in ROLES
        if role != "anonymous"
    }


CASES = sorted({name for name, _ in iter_url_names()})


@pytest.mark.django_db
@pytest.mark.parametrize("name", CASES)
def test_each_role_gets_what_the_policy_says(name, users):
    patterns = dict(iter_url_names())
    rule = rule_for(name)
    assert rule is not None, f"{name} has no policy"
    url = reverse(name, kwargs=sample_kwargs(patterns[name], rule, users) or None)
    got = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(users[role])
        got[role] = outcome(client, url)

    wrong = {
        role: (got[role], expected)
        for role, expected in rule.expect.items()
        if got[role] != expected and not (isinstance(expected, frozenset) and got[role] in expected)
    }
    assert not wrong, f"{name} ({url}): role -> (got, expected): {wrong}"
