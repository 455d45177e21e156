"""The audit log: hash-chained, append-only, and `verify_audit` tells when it was tampered with."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from accounts.models import Role
from allowances.models import AuditEvent
from allowances.services.audit import GENESIS, audit_append, audit_verify
from config.append_only import AppendOnlyError
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    actor = make_user(Role.COORDINATOR, mfa=False)
    return [audit_append(actor=actor, action=f"step.{n}", obj=actor, data={"n": n}) for n in range(5)]


def test_each_event_links_to_the_one_before(chain):
    assert chain[0].previous_hash == GENESIS
    for before, after in itertools.pairwise(chain):
        assert after.previous_hash == before.hash
    assert audit_verify().intact


def test_the_command_says_an_intact_log_is_intact(chain, capsys):
    call_command("verify_audit")
    assert "intact: 5 events" in capsys.readouterr().out


def raw(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.skipif("connection.vendor == 'postgresql'", reason="PostgreSQL refuses the change itself")
def test_a_changed_event_breaks_the_chain_there(chain):
    raw("UPDATE allowances_auditevent SET data = %s WHERE id = %s", ['{"n": 99}', chain[2].pk])
    verdict = audit_verify()
    assert (verdict.intact, verdict.broken_at) == (False, chain[2].pk)
    assert "changed" in verdict.reason
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("verify_audit")


@pytest.mark.skipif("connection.vendor == 'postgresql'", reason="PostgreSQL refuses the change itself")
def test_a_removed_event_breaks_the_chain_after_it(chain):
    raw("DELETE FROM allowances_auditevent WHERE id = %s", [chain[1].pk])
    verdict = audit_verify()
    assert (verdict.intact, verdict.broken_at) == (False, chain[2].pk)


def test_events_cannot_be_changed_or_deleted_through_django(chain):
    event = chain[0]
    event.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert audit_verify().intact


@pytest.mark.postgres
def test_postgresql_refuses_changes_to_the_audit_log(chain):
    for statement in (
        "UPDATE allowances_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM allowances_auditevent WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            raw(statement, [chain[2].pk])
    assert audit_verify().intact
