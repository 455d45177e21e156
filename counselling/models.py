from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Conversation(models.Model):
    """The lasting thread between one migrant and one counsellor: every appointment, message
    and call between them belongs to it, across the whole migration journey."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_conversations"
    )
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counsellor_conversations"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "counsellor"], name="conversation_one_per_pair"),
            models.CheckConstraint(condition=~Q(client=F("counsellor")), name="conversation_two_people"),
        ]

    def __str__(self) -> str:
        return f"{self.client} ↔ {self.counsellor}"
