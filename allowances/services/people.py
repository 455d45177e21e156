"""Writes for the people side of allowances: answering the digital-needs questionnaire, and
joining (consenting to) or leaving a programme. Every change is audited.

The audit log is append-only and kept for good, so it records *that* someone gave their sex or
year of birth, never the values themselves (those can be changed or withdrawn later).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allowances.models import Assessment, Connection, Consent, Device, Programme, Sex
from allowances.services.audit import audit_append

OLDEST_BIRTH_YEAR = 1900


@transaction.atomic
def assessment_record(
    *,
    user: User,
    devices: list[str],
    connection: str,
    monthly_data_cost_minor: int | None,
    currency: str,
    needs_tech_support: bool,
    needs_connectivity_support: bool,
) -> Assessment:
    """Store a new answer to the questionnaire (earlier answers stay; the newest counts)."""
    chosen = list(dict.fromkeys(devices))
    if not chosen:
        raise ValidationError({"devices": _("Choose at least one answer.")}, code="required")
    if any(d not in Device.values for d in chosen):
        raise ValidationError({"devices": _("Choose from the list.")}, code="invalid_choice")
    if Device.NONE in chosen and len(chosen) > 1:
        raise ValidationError(
            {"devices": _("“None of these” cannot go with a device you own.")}, code="none_and_device"
        )
    if connection not in Connection.values:
        raise ValidationError({"connection": _("Choose from the list.")}, code="invalid_choice")
    if monthly_data_cost_minor is not None and monthly_data_cost_minor < 0:
        raise ValidationError(
            {"monthly_data_cost_minor": _("Enter an amount of 0 or more.")}, code="negative"
        )
    assessment = Assessment(
        user=user,
        devices=chosen,
        connection=connection,
        monthly_data_cost_minor=monthly_data_cost_minor,
        currency=currency if monthly_data_cost_minor is not None else "",
        needs_tech_support=needs_tech_support,
        needs_connectivity_support=needs_connectivity_support,
        answered_at=timezone.now(),
    )
    assessment.full_clean()
    assessment.save()
    audit_append(
        actor=user,
        action="assessment.record",
        obj=assessment,
        data={
            "needs_tech_support": needs_tech_support,
            "needs_connectivity_support": needs_connectivity_support,
        },
    )
    return assessment


def _check_birth_year(birth_year: int | None) -> None:
    if birth_year is None:
        return
    this_year = timezone.now().year
    if not OLDEST_BIRTH_YEAR <= birth_year <= this_year:
        raise ValidationError(
            {
                "birth_year": _("Enter a year between %(first)s and %(last)s.")
                % {"first": OLDEST_BIRTH_YEAR, "last": this_year}
            },
            code="birth_year_range",
        )


@transaction.atomic
def consent_give(
    *,
    user: User,
    programme: Programme,
    sex: str = "",
    birth_year: int | None = None,
    share_demographics: bool = False,
) -> Consent:
    """Join a programme, or join again after leaving it (the same row, given again)."""
    if not programme.active:
        raise ValidationError(_("This programme is not taking part in new people."), code="inactive")
    if sex and sex not in Sex.values:
        raise ValidationError({"sex": _("Choose from the list.")}, code="invalid_choice")
    _check_birth_year(birth_year)
    consent = Consent.objects.select_for_update().filter(user=user, programme=programme).first()
    now = timezone.now()
    if consent is None:
        consent = Consent(user=user, programme=programme)
    consent.sex = sex
    consent.birth_year = birth_year
    consent.share_demographics = share_demographics
    if consent.pk is None or consent.withdrawn_at is not None:
        consent.given_at = now
    consent.withdrawn_at = None
    consent.full_clean(validate_unique=False)
    consent.save()
    audit_append(
        actor=user,
        action="consent.give",
        obj=consent,
        data={
            "programme": programme.pk,
            "share_demographics": share_demographics,
            "sex_given": bool(sex),
            "birth_year_given": birth_year is not None,
        },
    )
    return consent


@transaction.atomic
def consent_withdraw(*, user: User, programme: Programme) -> Consent:
    """Leave a programme: the consent is kept with the time it was withdrawn; demographics are
    no longer counted in reports, and the person is not eligible from then on."""
    consent = Consent.objects.select_for_update().filter(user=user, programme=programme).first()
    if consent is None or consent.withdrawn_at is not None:
        raise ValidationError(_("You are not taking part in this programme."), code="not_joined")
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    audit_append(actor=user, action="consent.withdraw", obj=consent, data={"programme": programme.pk})
    return consent
