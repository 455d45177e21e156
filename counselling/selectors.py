from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Organisation, User
from counselling.models import ReassignedAppointment, Reassignment


def reassignment_list_for_organisation_client(
    *, organisation: Organisation, client: User
) -> QuerySet[Reassignment]:
    """The client's reassignments between counsellors of the organisation, newest first, each
    with its people and what it did to each appointment (never the appointments' notes)."""
    return (
        Reassignment.objects.filter(client=client)
        .filter(Q(from_counsellor__organisation=organisation) | Q(to_counsellor__organisation=organisation))
        .select_related("from_counsellor", "to_counsellor", "by")
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=ReassignedAppointment.objects.select_related("old", "new")
                .defer("old__note", "new__note")
                .order_by("old__start_at"),
            )
        )
        .order_by("-created_at", "-pk")
    )
