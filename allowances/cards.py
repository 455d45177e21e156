"""Dashboard cards that allowances contributes; registered in AllowancesConfig.ready().

People: "My allowance" (their latest allowance, or the way to join a programme) and, until
they have answered it, the digital-needs questionnaire, which is how onboarding offers it
(sign-up ends on the dashboard, where this card comes first). Coordinators: key figures of
their organisation's programmes.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from allowances.models import Assessment, Consent, Entitlement, Payment
from allowances.selectors import people as selectors
from frontend.dashboard import Card


def _is_beneficiary(user: User) -> bool:
    return user.has_role(Role.MIGRANT)


def assessment_card(user: User) -> Card | None:
    """People who never answered the questionnaire: a way to it, first on the dashboard."""
    if not _is_beneficiary(user) or Assessment.objects.filter(user=user).exists():
        return None
    return Card(
        title=_("Tell us what you need to get online"),
        template="allowances/cards/assessment.html",
        order=25,
        needs_action=True,
    )


def my_allowance_card(user: User) -> Card | None:
    """Their newest allowance and its state; for people in no programme yet, a way to join."""
    if not _is_beneficiary(user):
        return None
    latest = (
        Entitlement.objects.filter(beneficiary=user)
        .select_related("period__programme")
        .order_by("-period__starts_on", "-pk")
        .first()
    )
    payment = latest.payments.order_by("-created_at", "-pk").first() if latest else None
    in_programme = Consent.objects.filter(user=user, withdrawn_at__isnull=True).exists()
    if latest is None and not in_programme and not selectors.programme_list_open().exists():
        return None
    return Card(
        title=_("My allowance"),
        template="allowances/cards/my_allowance.html",
        context={
            "latest": latest,
            "amount": selectors.money_text(latest.amount_minor, latest.currency) if latest else "",
            "payment": payment,
            "in_programme": in_programme,
        },
        order=35,
        needs_action=payment is not None and payment.status == Payment.Status.FAILED,
    )


def coordinator_allowances_card(user: User) -> Card | None:
    """Coordinators: delivered, waiting and failed payments of their organisation's programmes."""
    if not user.has_role(Role.COORDINATOR) or user.organisation is None:
        return None
    from allowances.selectors.reports import organisation_key_figures

    figures = organisation_key_figures(organisation=user.organisation)
    if not figures.programmes:
        return None
    return Card(
        title=_("Communication allowances"),
        template="allowances/cards/coordinator.html",
        context={
            "figures": figures,
            "delivered": [selectors.money_text(v, k) for k, v in sorted(figures.delivered.items())],
            "people_text": ngettext(
                "%(n)s person received an allowance", "%(n)s people received an allowance", figures.people
            )
            % {"n": selectors.number_text(figures.people)},
            "failed_text": ngettext(
                "%(n)s payment did not arrive", "%(n)s payments did not arrive", figures.failed
            )
            % {"n": selectors.number_text(figures.failed)},
        },
        order=18,
        needs_action=bool(figures.failed),
    )
