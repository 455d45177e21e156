"""Programmes and their versioned eligibility rules.

Money: a programme's amounts are integers in its currency's minor unit. People type amounts in
major units ("12.50"); `allowances.money.amount_to_minor` parses them with `Decimal` (never a
float) and refuses more decimals than the currency has, negative amounts, and absurd sizes.

Rules: a `RuleVersion` that a closed period used (`used_at`) is never changed. Editing the rule
of a programme whose newest version is used makes the next version; an unused newest version is
edited in place. The in-place edit is a conditional UPDATE (`used_at IS NULL`), so a period that
is being closed at the same moment can never see its rule change under it.
"""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from allowances.models import Method, Programme, RuleVersion
from allowances.money import MAX_MINOR, currency_check
from allowances.services.audit import audit_append

MAX_LIFETIME_MINOR = 100_000_000_000
PROGRAMME_FIELDS = (
    "name",
    "funding_source",
    "grant_code",
    "currency",
    "period",
    "amount_per_period_minor",
    "cap_per_period_minor",
    "lifetime_cap_minor",
    "methods",
)
RULE_FIELDS = (
    "min_lessons_completed",
    "min_active_days",
    "min_sessions_attended",
    "any_activity",
    "require_consent",
    "require_connectivity_need",
)
MAX_THRESHOLD = 366


# --- Programmes -----------------------------------------------------------------------------


def _whole(value: object, *, label: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            _("%(label)s must be a whole number of the currency's smallest unit.") % {"label": label},
            code="not_integer",
        )
    if value < 0:
        raise ValidationError(_("%(label)s cannot be negative.") % {"label": label}, code="negative")
    if value < minimum:
        raise ValidationError(_("%(label)s must be more than zero.") % {"label": label}, code="zero")
    if value > maximum:
        raise ValidationError(_("%(label)s is far too large.") % {"label": label}, code="too_large")
    return value


def _clean_programme(values: dict[str, Any]) -> dict[str, Any]:
    """Check every field of a programme; raise one ValidationError naming the fields that are wrong."""
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, Any] = {}

    def check(name: str, fn: Any) -> None:
        try:
            cleaned[name] = fn(values.get(name))
        except ValidationError as error:
            errors[name] = [error]

    def text(limit: int, label: str) -> Any:
        def fn(value: object) -> str:
            result = str(value or "").strip()
            if not result:
                raise ValidationError(_("%(label)s is needed.") % {"label": label}, code="required")
            if len(result) > limit:
                raise ValidationError(
                    _("%(label)s is at most %(limit)s characters.") % {"label": label, "limit": limit},
                    code="too_long",
                )
            return result

        return fn

    def period(value: object) -> str:
        if value not in Programme.Period.values:
            raise ValidationError(_("Choose weekly or monthly."), code="unknown_period")
        return str(value)

    def methods(value: object) -> list[str]:
        chosen = list(value) if isinstance(value, list | tuple) else []
        if not chosen or any(m not in Method.values for m in chosen):
            raise ValidationError(_("Choose at least one way of paying."), code="unknown_method")
        return sorted(set(chosen), key=Method.values.index)

    check("name", text(200, _("The name")))
    check("funding_source", text(200, _("The funding source")))
    check("grant_code", text(64, _("The grant code")))
    check("currency", currency_check)
    check("period", period)
    check("methods", methods)
    check(
        "amount_per_period_minor",
        lambda v: _whole(v, label=_("The amount per period"), minimum=1, maximum=MAX_MINOR),
    )
    check(
        "cap_per_period_minor",
        lambda v: _whole(v, label=_("The most per person per period"), minimum=1, maximum=MAX_MINOR),
    )
    check(
        "lifetime_cap_minor",
        lambda v: _whole(v, label=_("The most per person in all"), minimum=1, maximum=MAX_LIFETIME_MINOR),
    )
    amount, cap, lifetime = (
        cleaned.get("amount_per_period_minor"),
        cleaned.get("cap_per_period_minor"),
        cleaned.get("lifetime_cap_minor"),
    )
    if amount is not None and cap is not None and cap < amount:
        errors.setdefault("cap_per_period_minor", []).append(
            ValidationError(
                _("The most per period cannot be less than the amount per period."), code="caps_ordered"
            )
        )
    if cap is not None and lifetime is not None and lifetime < cap:
        errors.setdefault("lifetime_cap_minor", []).append(
            ValidationError(
                _("The most in all cannot be less than the most per period."), code="caps_ordered"
            )
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _require_coordinator(actor: User) -> None:
    if not actor.has_role(Role.COORDINATOR) or actor.organisation_id is None:
        raise ValidationError(
            _("Only a coordinator of an organisation can manage programmes."), code="not_coordinator"
        )


def _may_manage(actor: User, programme: Programme) -> None:
    _require_coordinator(actor)
    if programme.organisation_id != actor.organisation_id:
        raise ValidationError(_("This programme belongs to another organisation."), code="other_organisation")


@transaction.atomic
def programme_create(*, actor: User, rule: dict[str, Any] | None = None, **values: Any) -> Programme:
    """Create a programme of the coordinator's organisation, with its first rule version."""
    _require_coordinator(actor)
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")
    cleaned = _clean_programme(values)
    organisation = actor.organisation
    if organisation is None:  # checked by _require_coordinator; keeps the type exact
        raise ValidationError(
            _("Only a coordinator of an organisation can manage programmes."), code="not_coordinator"
        )
    programme = Programme.objects.create(**cleaned, organisation=organisation, created_by=actor)
    audit_append(actor=actor, action="programme.create", obj=programme, data=_snapshot(programme))
    first = RuleVersion(programme=programme, version=1, created_by=actor, **_clean_rule(rule or {}))
    first.save()
    audit_append(actor=actor, action="rule.create", obj=first, data=_rule_snapshot(first))
    return programme


def _snapshot(programme: Programme) -> dict[str, Any]:
    return {name: getattr(programme, name) for name in PROGRAMME_FIELDS}


@transaction.atomic
def programme_update(*, programme: Programme, actor: User, **values: Any) -> Programme:
    """Change a programme's terms. The currency stays once a period has been closed (its ledger
    accounts and entitlements are in that currency)."""
    _may_manage(actor, programme)
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    before = _snapshot(locked)
    cleaned = _clean_programme({**before, **values})
    if cleaned["currency"] != locked.currency and (
        locked.periods.filter(closed_at__isnull=False).exists() or locked.ledger_accounts.exists()
    ):
        raise ValidationError(
            {
                "currency": ValidationError(
                    _("The currency cannot change once a period has been closed."), code="currency_fixed"
                )
            }
        )
    changed = {
        name: [before[name], cleaned[name]] for name in PROGRAMME_FIELDS if before[name] != cleaned[name]
    }
    if not changed:
        return locked
    for name, value in cleaned.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changed))
    audit_append(actor=actor, action="programme.update", obj=locked, data={"changed": changed})
    return locked


# --- Rules ------------------------------------------------------------------------------------


def _clean_rule(values: dict[str, Any]) -> dict[str, Any]:
    defaults = {
        "min_lessons_completed": 0,
        "min_active_days": 0,
        "min_sessions_attended": 0,
        "any_activity": True,
        "require_consent": True,
        "require_connectivity_need": False,
    }
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")
    merged = {**defaults, **values}
    errors: dict[str, ValidationError] = {}
    for name in ("min_lessons_completed", "min_active_days", "min_sessions_attended"):
        value = merged[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THRESHOLD:
            errors[name] = ValidationError(
                _("Use a whole number from 0 to %(most)s.") % {"most": MAX_THRESHOLD}, code="bad_threshold"
            )
    for name in ("any_activity", "require_consent", "require_connectivity_need"):
        if not isinstance(merged[name], bool):
            errors[name] = ValidationError(_("Answer yes or no."), code="not_boolean")
    if errors:
        raise ValidationError(errors)
    return merged


def _rule_snapshot(rule: RuleVersion) -> dict[str, Any]:
    return {"version": rule.version, **{name: getattr(rule, name) for name in RULE_FIELDS}}


def rule_current(*, programme: Programme) -> RuleVersion | None:
    return programme.rule_versions.order_by("-version").first()


@transaction.atomic
def rule_update(*, programme: Programme, actor: User, **values: Any) -> RuleVersion:
    """Change a programme's rule: in place while its newest version is unused, as a new version
    once a closed period has used it. A used version is never changed."""
    _may_manage(actor, programme)
    cleaned = _clean_rule(values)
    # Serialise rule edits of one programme (and period closings, which lock it too).
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    current = rule_current(programme=programme)
    if current is not None:
        if all(getattr(current, name) == cleaned[name] for name in RULE_FIELDS):
            return current
        edited = RuleVersion.objects.filter(pk=current.pk, used_at__isnull=True).update(
            **cleaned, created_by=actor, created_at=timezone.now()
        )
        if edited:
            current.refresh_from_db()
            audit_append(actor=actor, action="rule.update", obj=current, data=_rule_snapshot(current))
            return current
    created = RuleVersion.objects.create(
        programme=programme,
        version=(current.version + 1) if current else 1,
        created_by=actor,
        **cleaned,
    )
    audit_append(
        actor=actor,
        action="rule.create",
        obj=created,
        data={**_rule_snapshot(created), "replaces": current.pk if current else None},
    )
    return created


def rule_version_change(*, rule_version: RuleVersion, actor: User, **values: Any) -> RuleVersion:
    """Change one given version in place; refused when a closed period used it."""
    _may_manage(actor, rule_version.programme)
    cleaned = _clean_rule({name: getattr(rule_version, name) for name in RULE_FIELDS} | values)
    with transaction.atomic():
        if not RuleVersion.objects.filter(pk=rule_version.pk, used_at__isnull=True).update(**cleaned):
            raise ValidationError(
                _("This rule version was used to close a period and can no longer change."), code="rule_used"
            )
        rule_version.refresh_from_db()
        audit_append(actor=actor, action="rule.update", obj=rule_version, data=_rule_snapshot(rule_version))
    return rule_version


def methods_label(methods: Sequence[str]) -> list[str]:
    labels = dict(Method.choices)
    return [str(labels.get(m, m)) for m in methods]
