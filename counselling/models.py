import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.append_only import AppendOnly


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
    # The newest message this participant was told about while away (one notice per burst:
    # another only once they have read up to here).
    notified_up_to_id = models.PositiveBigIntegerField(default=0)

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


# --- Case notes -----------------------------------------------------------------------------


class CaseNote(models.Model):
    """A counsellor's confidential working note about a client; the client never sees it.

    The text is stored only sealed (`counselling.crypto`, AES-GCM): the model has no plaintext
    field at all, so querysets, the admin, fixtures, database dumps and SQL logs hold ciphertext
    only, and the one way to the text is `services.case_notes_open`, which checks who asks and
    records the read in `CaseNoteAccess` in the same transaction.

    `organisation` is the author's when the note is written: the note belongs to that
    organisation's record of the client, and stays with it when the author moves on."""

    # Names the note in its encryption context, and exists before the row has a primary key.
    ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    # "v1:<key id>:<nonce, ciphertext and tag>" (see counselling/crypto.py).
    body_sealed = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "organisation", "created_at"], name="casenote_client_org_created")
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(client=F("author")), name="casenote_not_about_author"),
            # Text reaches this column sealed or not at all, whatever code writes it.
            models.CheckConstraint(condition=Q(body_sealed__startswith="v1:"), name="casenote_body_sealed"),
        ]

    def __str__(self) -> str:
        return f"case note {self.pk} about user {self.client_id}"

    @property
    def encryption_context(self) -> str:
        """What the ciphertext is bound to: this note and its client. Sealed text copied into
        another note, or a note moved to another client, no longer decrypts."""
        return f"counselling.casenote.body:{self.ref}:{self.client_id}"


class CaseNoteAccess(AppendOnly):
    """Who listed, opened, wrote or changed a case note, and when; coordinators review it.

    Append-only. In Python: saving an existing row, deleting one, and queryset updates and
    deletes raise `AppendOnlyError`. On PostgreSQL a trigger also refuses UPDATE and DELETE from
    any client (migration 0004). Notes and people in the log are protected from deletion."""

    class Action(models.TextChoices):
        LIST = "list", _("Saw it in the list")
        READ = "read", _("Opened it")
        CREATE = "create", _("Wrote it")
        UPDATE = "update", _("Changed it")

    note = models.ForeignKey(CaseNote, on_delete=models.PROTECT, related_name="accesses")
    # The note's client, copied: a coordinator's log of one client is one index range.
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["client", "at"], name="casenoteaccess_client_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["list", "read", "create", "update"]),
                name="casenoteaccess_action_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader_id} {self.action} note {self.note_id} at {self.at:%Y-%m-%d %H:%M}"


class MessageReport(models.Model):
    """Someone in a conversation flagged a message (abuse, threat, fraud, anything that worries
    them); a coordinator of the counsellor's organisation looks at it and closes it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("what is wrong"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("what was done"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="message_report_queue")]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="message_report_once"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "resolved"]), name="message_report_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} of message {self.message_id} ({self.status})"


# --- Calls ----------------------------------------------------------------------------------


class Call(models.Model):
    """One audio or video call in a conversation: who started it, when it rang, was answered
    and ended, and why it ended. Signalling (SDP, ICE candidates) passes through the socket and
    is never stored or logged."""

    class Media(models.TextChoices):
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")

    class EndReason(models.TextChoices):
        HANGUP = "hangup", _("Hung up")
        REJECTED = "rejected", _("Declined")
        NO_ANSWER = "no_answer", _("Not answered")
        CANCELLED = "cancelled", _("Cancelled before an answer")
        FAILED = "failed", _("Could not connect")
        LOST = "lost", _("Connection lost")

    # Chosen by the caller's device: an invite sent twice is one call.
    ref = models.UUIDField(unique=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="calls")
    appointment = models.ForeignKey(
        "booking.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    media = models.CharField(max_length=5, choices=Media.choices)
    invited_at = models.DateTimeField(default=timezone.now)
    # An invite nobody accepts by then ends as "not answered".
    ring_until = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-invited_at", "-pk"]
        indexes = [models.Index(fields=["conversation", "invited_at"], name="call_conversation_invited")]
        constraints = [
            # At most one call rings or runs in a conversation at a time.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(ended_at__isnull=True),
                name="call_one_live_per_conversation",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="")
                | Q(
                    ended_at__isnull=False,
                    end_reason__in=["hangup", "rejected", "no_answer", "cancelled", "failed", "lost"],
                ),
                name="call_end_reason_when_ended",
            ),
            models.CheckConstraint(condition=Q(media__in=["audio", "video"]), name="call_media_known"),
        ]

    def __str__(self) -> str:
        return f"{self.media} call {self.pk} in {self.conversation_id}"

    @property
    def duration(self) -> timedelta | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.answered_at

    @property
    def duration_minutes(self) -> int | None:
        """The length of an answered call in whole minutes, at least 1 (for the call log)."""
        duration = self.duration
        return None if duration is None else max(1, round(duration.total_seconds() / 60))


class CallAttendee(models.Model):
    """A participant who joined a call (the caller, and each person who accepted): when they
    joined and left. Two or more attendees at once make the call "answered"."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["call", "user"], name="call_attendee_once")]

    def __str__(self) -> str:
        return f"{self.user_id} in call {self.call_id}"


# --- Interpreters ---------------------------------------------------------------------------


class InterpreterInvitation(models.Model):
    """A coordinator proposes an interpreter for a conversation; the client decides.

    Only the client's consent makes the interpreter a participant. The client also decides
    whether the interpreter may read what was written before they joined (`shares_history`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the client")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="interpreter_invitations"
    )
    interpreter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The language the interpreter works in with the client (a code from settings.LANGUAGES or
    # the counsellor-language list).
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    shares_history = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "interpreter"],
                condition=Q(status="pending"),
                name="interpreter_invitation_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "declined", "withdrawn"]),
                name="interpreter_invitation_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", answered_at__isnull=True) | ~Q(status="pending"),
                name="interpreter_invitation_pending_unanswered",
            ),
        ]

    def __str__(self) -> str:
        return f"interpreter {self.interpreter_id} for conversation {self.conversation_id} ({self.status})"


# --- A way in without an account: information requests ------------------------------------


class InformationRequest(models.Model):
    """A question about return and reintegration for one country of origin, sent from the
    public form by anyone (anonymously, or leaving a phone number or e-mail for a call back).

    The requester keeps `reference` to read the answer later; coordinators of organisations in
    that country triage it and assign it to a counsellor who serves it and speaks the language.
    The contact is stored sealed (counselling.crypto), never in plain text."""

    class Topic(models.TextChoices):
        RETURN = "return", _("Preparing to go back")
        REINTEGRATION = "reintegration", _("Support after return")
        DOCUMENTS = "documents", _("Documents and papers")
        WORK = "work", _("Work and training")
        HEALTH = "health", _("Health")
        OTHER = "other", _("Something else")

    class Contact(models.TextChoices):
        NONE = "none", _("No call back: I will check with my reference code")
        PHONE = "phone", _("Call or text me")
        EMAIL = "email", _("E-mail me")

    class Status(models.TextChoices):
        NEW = "new", _("Received")
        ASSIGNED = "assigned", _("A counsellor is looking at it")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(max_length=16, unique=True, editable=False)
    country = models.CharField(_("country"), max_length=2)
    language = models.CharField(_("language"), max_length=10)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    question = models.TextField(_("question"))
    contact_method = models.CharField(max_length=5, choices=Contact.choices, default=Contact.NONE)
    # "v1:<key id>:…" when a contact was left, empty otherwise.
    contact_sealed = models.TextField(blank=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["country", "status", "created_at"], name="inforequest_triage")]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_method="none", contact_sealed="")
                | (Q(contact_method__in=["phone", "email"]) & Q(contact_sealed__startswith="v1:")),
                name="inforequest_contact_sealed",
            ),
            models.CheckConstraint(
                condition=Q(status="new") | Q(assigned_to__isnull=False),
                name="inforequest_assigned_has_counsellor",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["new", "assigned", "answered", "closed"]),
                name="inforequest_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"information request {self.reference} ({self.status})"


# --- Feedback, complaints and session ratings ----------------------------------------------


class Feedback(models.Model):
    """Feedback or a complaint from anyone, signed in or not, in their language. Coordinators
    track it to resolution; the sender follows its status with `reference`."""

    class Kind(models.TextChoices):
        FEEDBACK = "feedback", _("Feedback or an idea")
        COMPLAINT = "complaint", _("A complaint")

    class About(models.TextChoices):
        COUNSELLING = "counselling", _("Counselling")
        COURSES = "courses", _("Courses")
        ALLOWANCE = "allowance", _("Data and airtime allowance")
        WEBSITE = "website", _("This website")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("Being looked into")
        RESOLVED = "resolved", _("Resolved")

    reference = models.CharField(max_length=16, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    about = models.CharField(_("about"), max_length=12, choices=About.choices)
    # Country of origin it concerns, when the sender says (routes it to that country's coordinators).
    country = models.CharField(_("country"), max_length=2, blank=True)
    language = models.CharField(_("language"), max_length=10)
    body = models.TextField(_("what happened"))
    contact_method = models.CharField(
        max_length=5, choices=InformationRequest.Contact.choices, default=InformationRequest.Contact.NONE
    )
    contact_sealed = models.TextField(blank=True, editable=False)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What the organisation tells the sender (shown with the status).
    response = models.TextField(_("answer to the sender"), blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="feedback_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_method="none", contact_sealed="")
                | (Q(contact_method__in=["phone", "email"]) & Q(contact_sealed__startswith="v1:")),
                name="feedback_contact_sealed",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["received", "in_review", "resolved"]), name="feedback_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="feedback_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} ({self.status})"


class SessionRating(models.Model):
    """The client's one-tap rating of an appointment after it took place, with an optional
    comment. One per appointment; the counsellor sees only aggregates."""

    appointment = models.OneToOneField("booking.Appointment", on_delete=models.CASCADE, related_name="rating")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stars = models.PositiveSmallIntegerField()
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="session_rating_stars_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ for appointment {self.appointment_id}"
