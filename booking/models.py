"""Availability (in the counsellor's own time zone) and appointments (stored in UTC)."""

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.reference import Topic


class Modality(models.TextChoices):
    CHAT = "chat", _("Chat")
    AUDIO = "audio", _("Audio call")
    VIDEO = "video", _("Video call")


class Schedule(models.Model):
    """A counsellor's booking settings. Times of rules and overrides are wall-clock times in
    `user.time_zone`, so that "Mondays 09:00" stays 09:00 through every DST change."""

    counsellor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule"
    )
    durations = models.JSONField(_("appointment lengths (minutes)"), default=list)
    buffer_before = models.PositiveSmallIntegerField(
        _("free minutes before"), default=0, validators=[MaxValueValidator(120)]
    )
    buffer_after = models.PositiveSmallIntegerField(
        _("free minutes after"), default=0, validators=[MaxValueValidator(120)]
    )
    min_notice = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=120, validators=[MaxValueValidator(60 * 24 * 14)]
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("how many days ahead clients may book"),
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    max_per_day = models.PositiveSmallIntegerField(
        _("most appointments per day"), default=8, validators=[MinValueValidator(1), MaxValueValidator(48)]
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The counsellor's next free time (any client), kept by booking.tasks so that the directory
    # can sort and page in SQL; the exact time on each card is computed when it is shown.
    next_free_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"schedule of {self.counsellor}"


class WeeklyRule(models.Model):
    """Available every `weekday` (0 = Monday) from `start` to `end`, counsellor's local time
    (an `end` of 00:00 is midnight at the end of the day)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            # 00:00 as an end is the midnight that ends the day.
            models.CheckConstraint(
                condition=Q(end__gt=F("start")) | Q(end=datetime.time(0)), name="weekly_rule_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_rule_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start}-{self.end}"


class DateOverride(models.Model):
    """One date that differs from the weekly rules: other hours, or (no times) a day off."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    date = models.DateField()
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start__isnull=True) & Q(end__isnull=True))
                | (Q(start__isnull=False) & (Q(end__gt=F("start")) | Q(end=datetime.time(0)))),
                name="date_override_day_off_or_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {'off' if self.is_day_off else f'{self.start}-{self.end}'}"

    @property
    def is_day_off(self) -> bool:
        return self.start is None


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Did not come")

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counsellor_appointments"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_appointments"
    )
    conversation = models.ForeignKey(
        "counselling.Conversation", on_delete=models.PROTECT, related_name="appointments"
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    modality = models.CharField(max_length=8, choices=Modality.choices)
    topic = models.CharField(max_length=24, choices=Topic.choices)
    language = models.CharField(max_length=3)
    interpreter_requested = models.BooleanField(default=False)
    note = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    # The client's own id for this booking: a retried request returns the first answer.
    idempotency_key = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    # Why the last change of time was made (shown to both people on the appointment page).
    reschedule_reason = models.CharField(max_length=300, blank=True)
    # Calendar files: one UID per appointment, SEQUENCE raised by every change (RFC 5545).
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["start_at"]
        indexes = [
            models.Index(fields=["counsellor", "start_at"], name="appointment_counsellor_start"),
            models.Index(fields=["client", "start_at"], name="appointment_client_start"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client", "idempotency_key"], name="appointment_idempotent"),
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="appointment_end_after_start"),
            models.CheckConstraint(condition=~Q(client=F("counsellor")), name="appointment_two_people"),
            models.CheckConstraint(
                condition=Q(status__in=["booked", "cancelled", "completed", "no_show"]),
                name="appointment_status_known",
            ),
            # No overlap of active appointments per counsellor and per client: on PostgreSQL an
            # exclusion constraint added by migration 0002 (SQLite serialises writers instead).
        ]

    def __str__(self) -> str:
        return f"{self.counsellor} / {self.client} {self.start_at:%Y-%m-%d %H:%M}Z"

    @property
    def duration_minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)


class GroupSession(models.Model):
    """A group information session or webinar that migrants register for, up to `capacity`.

    `seats_taken` counts registered people; the database refuses more than `capacity`, so two
    people taking the last seat at once cannot both get it. Others join the waiting list."""

    class Kind(models.TextChoices):
        INFORMATION = "information", _("Information session")
        WEBINAR = "webinar", _("Webinar")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_sessions"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_sessions",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INFORMATION)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("what it is about"), max_length=2000, blank=True)
    topic = models.CharField(_("topic"), max_length=24, choices=Topic.choices)
    language = models.CharField(_("language"), max_length=3)
    # The country of origin it is about (return to Afghanistan, ...); empty: for everyone.
    country = models.CharField(_("country"), max_length=2, blank=True)
    # A meeting link or a place: shown to registered people only.
    location = models.CharField(_("where (link or place)"), max_length=300, blank=True)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(
        _("places"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    seats_taken = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["start_at"]
        indexes = [models.Index(fields=["status", "start_at"], name="group_session_upcoming")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="group_session_end_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="group_session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity")), name="group_session_capacity_never_exceeded"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled"]), name="group_session_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.start_at:%Y-%m-%d %H:%M}Z"

    @property
    def duration_minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


class GroupRegistration(models.Model):
    """One person's place in a group session, or on its waiting list (first come, first served:
    `queued_at` orders the list and is renewed when someone registers again)."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="registrations")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_registrations"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    queued_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Raised by every change of status, so that each change has its own notice.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["queued_at", "pk"]
        indexes = [models.Index(fields=["session", "status", "queued_at"], name="group_registration_queue")]
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="group_registration_once"),
            models.CheckConstraint(
                condition=Q(status__in=["registered", "waitlisted", "cancelled"]),
                name="group_registration_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.status} for {self.session_id}"


class Notice(models.Model):
    """One message to one person about one appointment or one group session (confirmation,
    change, reminder, a place from the waiting list).

    Written in the same transaction as the change it reports (an outbox), sent by the worker;
    the unique keys make every notice happen once even when jobs run twice or late.
    """

    class Event(models.TextChoices):
        BOOKED = "booked"
        RESCHEDULED = "rescheduled"
        CANCELLED = "cancelled"
        REMINDER_24H = "reminder_24h"
        REMINDER_1H = "reminder_1h"
        # Group sessions only:
        REGISTERED = "registered"
        WAITLISTED = "waitlisted"
        PROMOTED = "promoted"

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    group_session = models.ForeignKey(
        GroupSession, on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=16, choices=Event.choices)
    # The appointment's or session's sequence; for registration events the registration's revision.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=8, blank=True)  # "email", "sms" or "none"
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "recipient", "event", "sequence"], name="notice_once"
            ),
            models.UniqueConstraint(
                fields=["group_session", "recipient", "event", "sequence"], name="group_notice_once"
            ),
            models.CheckConstraint(
                condition=Q(appointment__isnull=True) ^ Q(group_session__isnull=True),
                name="notice_about_one_thing",
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "created_at"], name="notice_pending")]

    def __str__(self) -> str:
        about = f"#{self.appointment_id}" if self.appointment_id else f"group #{self.group_session_id}"
        return f"{self.event} {about} to {self.recipient_id}"


class CalendarFeed(models.Model):
    """A counsellor's private calendar subscription URL. The token is the only secret: revoking
    replaces it, and the old URL stops working at once."""

    counsellor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.counsellor}"
