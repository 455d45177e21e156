from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class Participant(models.Model):
    """Someone in a conversation: its client, its counsellor, or an interpreter a coordinator
    added. Only participants read and write; what each has read is kept here."""

    class Role(models.TextChoices):
        CLIENT = "client", _("Client")
        COUNSELLOR = "counsellor", _("Counsellor")
        INTERPRETER = "interpreter", _("Interpreter")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)
    # Messages sent before this instant are not shown to this participant (an interpreter sees
    # no earlier history unless the client agrees); None: the whole conversation.
    sees_history_from = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Ids of the last message this participant's devices received and read (never go back).
    last_delivered_id = models.PositiveBigIntegerField(default=0)
    last_read_id = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_once"),
            models.CheckConstraint(
                condition=Q(role__in=["client", "counsellor", "interpreter"]), name="participant_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.conversation_id}"


class Message(models.Model):
    """One message. Its id is the server's order of the conversation; `client_id` is the id the
    sender's device gave it, so that sending it again after a network drop changes nothing."""

    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField()
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_order")]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "sender", "client_id"], name="message_once"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.conversation_id}"


class Reassignment(models.Model):
    """A coordinator moved a client from one counsellor of their organisation to another.

    Nothing of the old relationship is deleted: the old conversation and every past appointment
    stay (history). The client is told once; `notified_at` records when."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reassignments"
    )
    from_counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # For the organisation's records; never sent to the client.
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "created_at"], name="reassignment_client_created")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_counsellor=F("to_counsellor")), name="reassignment_other_counsellor"
            ),
            models.CheckConstraint(condition=~Q(client=F("to_counsellor")), name="reassignment_two_people"),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.from_counsellor} → {self.to_counsellor}"


class ReassignedAppointment(models.Model):
    """What a reassignment did to one upcoming appointment: cancelled, and booked again at the
    same time with the new counsellor (`new`), or only cancelled (`new` empty: the new
    counsellor was not free then, and the client is asked to choose another time)."""

    reassignment = models.ForeignKey(Reassignment, on_delete=models.CASCADE, related_name="appointments")
    old = models.OneToOneField("booking.Appointment", on_delete=models.PROTECT, related_name="reassigned")
    new = models.OneToOneField(
        "booking.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["old__start_at"]

    def __str__(self) -> str:
        return f"#{self.old_id} → {f'#{self.new_id}' if self.new_id else 'cancelled'}"
