"""Reads of public information requests, each scoped to who may see them.

Which coordinators see a request: those of an organisation that is "in" the request's country,
meaning that the organisation is based there (`Organisation.country`) or that one of its active
counsellors serves it (`CounsellorCountry`). A request about a country that only a counsellor
of a partner abroad serves still reaches someone who can assign it; an organisation that
neither is based in that country nor serves it never sees it.
"""

from django.db.models import QuerySet

from accounts.models import CounsellorCountry, Organisation, Role, User
from booking.selectors.directory import directory_countries
from counselling.models import InformationRequest

# Statuses a coordinator still has to act on, and the ones a counsellor still has to answer.
OPEN_STATUSES = (InformationRequest.Status.NEW, InformationRequest.Status.ASSIGNED)


def intake_country_codes() -> list[str]:
    """The countries a request may be about: those the directory's counsellors serve."""
    return directory_countries()


def organisation_country_codes(*, organisation: Organisation) -> set[str]:
    """The countries an organisation handles: where it is based and what its counsellors serve."""
    served = CounsellorCountry.objects.filter(
        profile__user__organisation=organisation,
        profile__user__is_active=True,
        profile__user__roles__role=Role.COUNSELLOR,
    ).values_list("country", flat=True)
    return {organisation.country, *served} - {""}


def information_request_list_for_coordinator(
    *, organisation: Organisation, status: str = "", oldest_first: bool = False
) -> QuerySet[InformationRequest]:
    """Requests about the organisation's countries (see the module), newest first by default."""
    requests = InformationRequest.objects.filter(
        country__in=organisation_country_codes(organisation=organisation)
    )
    if status:
        requests = requests.filter(status=status)
    order = ["created_at", "pk"] if oldest_first else ["-created_at", "-pk"]
    return requests.select_related("assigned_to").order_by(*order)


def information_request_get_for_coordinator(
    *, organisation: Organisation, request_id: int
) -> InformationRequest | None:
    return (
        information_request_list_for_coordinator(organisation=organisation)
        .select_related("assigned_by")
        .filter(pk=request_id)
        .first()
    )


def information_request_list_for_counsellor(
    *, counsellor: User, open_only: bool = False
) -> QuerySet[InformationRequest]:
    """Requests assigned to this counsellor; open ones (to answer) first, then newest."""
    requests = InformationRequest.objects.filter(assigned_to=counsellor)
    if open_only:
        requests = requests.filter(status=InformationRequest.Status.ASSIGNED)
    return requests.select_related("assigned_to").order_by("-created_at", "-pk")


def information_request_get_for_counsellor(*, counsellor: User, request_id: int) -> InformationRequest | None:
    return (
        InformationRequest.objects.filter(pk=request_id, assigned_to=counsellor)
        .select_related("assigned_by")
        .first()
    )


def information_request_get_by_reference(*, reference: str) -> InformationRequest | None:
    """The request with this reference (already normalised), or None."""
    if not reference:
        return None
    return InformationRequest.objects.filter(reference=reference).first()


def information_request_counsellor_choices(
    *, request: InformationRequest, organisation: Organisation
) -> QuerySet[User]:
    """Active counsellors of the organisation who serve the request's country and speak its
    language: the only people it may be assigned to."""
    matching = User.objects.filter(
        organisation=organisation,
        is_active=True,
        roles__role=Role.COUNSELLOR,
        counsellor_profile__countries__country=request.country,
        languages__code=request.language,
    )
    return User.objects.filter(pk__in=matching.values("pk")).order_by("display_name", "pk")


def information_request_new_count(*, organisation: Organisation) -> int:
    """How many requests about the organisation's countries wait to be assigned."""
    return information_request_list_for_coordinator(
        organisation=organisation, status=InformationRequest.Status.NEW
    ).count()


def information_request_assigned_count(*, counsellor: User) -> int:
    """How many requests assigned to this counsellor wait for an answer."""
    return information_request_list_for_counsellor(counsellor=counsellor, open_only=True).count()
