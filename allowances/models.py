"""Communication allowances: who gets data and airtime support, why, and proof that every unit
was paid once.

- `Assessment`: a person's digital needs (devices, connection, data cost, support needed).
- `Programme` and its versioned `RuleVersion`s: who is eligible, for how much, how often.
- `Period`: one week or month of a programme; closing it computes `Entitlement`s, each with a
  snapshot of the evidence that made the person eligible.
- `Batch` (maker-checker) of `Payment`s, each with an idempotency key; a failed payment may be
  re-issued, linked to the original; at most one active payment per entitlement.
- The ledger (`LedgerAccount`, `LedgerTransaction`, `LedgerEntry`): double entry in integer minor
  units, balanced per currency, append-only; corrections only by reversal, once.
- `AuditEvent`: every state change, hash-chained (`manage.py verify_audit`).

Money is never a float: `*_minor` fields are integers in the currency's minor unit (ISO 4217).
"""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.append_only import AppendOnly

CURRENCY = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, such as EUR or AFN."))


# --- Digital-needs assessment ---------------------------------------------------------------


class Device(models.TextChoices):
    SMARTPHONE = "smartphone", _("Smartphone")
    BASIC_PHONE = "basic_phone", _("Basic phone (calls and SMS)")
    TABLET = "tablet", _("Tablet")
    COMPUTER = "computer", _("Laptop or computer")
    NONE = "none", _("None of these")


class Connection(models.TextChoices):
    MOBILE_DATA = "mobile_data", _("Mobile data")
    HOME_WIFI = "home_wifi", _("Wi-Fi at home")
    PUBLIC_WIFI = "public_wifi", _("Public or shared Wi-Fi")
    NONE = "none", _("No regular connection")


class Assessment(models.Model):
    """One answer to the digital-needs questionnaire; a person may answer again later, and the
    newest answer counts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments")
    devices = models.JSONField(_("devices you own"), default=list)
    connection = models.CharField(_("how you usually go online"), max_length=16, choices=Connection.choices)
    monthly_data_cost_minor = models.PositiveIntegerField(
        _("what you pay for data each month"), null=True, blank=True
    )
    currency = models.CharField(max_length=3, blank=True, validators=[CURRENCY])
    needs_tech_support = models.BooleanField(_("needs help with technology"))
    needs_connectivity_support = models.BooleanField(_("needs help paying for a connection"))
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-pk"]
        indexes = [models.Index(fields=["user", "-answered_at"], name="assessment_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_data_cost_minor__isnull=True) | ~Q(currency=""),
                name="assessment_cost_has_currency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.answered_at:%Y-%m-%d}"


# --- Programmes and rules ---------------------------------------------------------------------


class Method(models.TextChoices):
    AIRTIME = "airtime", _("Airtime top-up")
    DATA_BUNDLE = "data_bundle", _("Data bundle")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    VOUCHER = "voucher", _("Voucher")


class Programme(models.Model):
    class Period(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    name = models.CharField(_("name"), max_length=200)
    funding_source = models.CharField(_("funding source"), max_length=200)
    grant_code = models.CharField(_("grant code"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY])
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    amount_per_period_minor = models.PositiveIntegerField(
        _("amount per period"), validators=[MinValueValidator(1)]
    )
    cap_per_period_minor = models.PositiveIntegerField(_("most per person per period"))
    lifetime_cap_minor = models.PositiveBigIntegerField(_("most per person in all"))
    methods = models.JSONField(_("ways of paying"), default=list)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="programme_currency_iso"),
            models.CheckConstraint(
                condition=Q(period__in=["weekly", "monthly"]), name="programme_period_known"
            ),
            models.CheckConstraint(
                condition=Q(amount_per_period_minor__gt=0)
                & Q(cap_per_period_minor__gte=F("amount_per_period_minor"))
                & Q(lifetime_cap_minor__gte=F("cap_per_period_minor")),
                name="programme_caps_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """The eligibility rule of a programme. Once a period has been closed with a version, that
    version is never edited again (`used_at`); editing makes the next version."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="rule_versions")
    version = models.PositiveIntegerField()
    min_lessons_completed = models.PositiveSmallIntegerField(_("lessons completed in the period"), default=0)
    min_active_days = models.PositiveSmallIntegerField(_("days with learning in the period"), default=0)
    min_sessions_attended = models.PositiveSmallIntegerField(
        _("counselling sessions attended in the period"), default=0
    )
    # Any of the activity thresholds is enough when True; all of them are needed when False.
    any_activity = models.BooleanField(_("one of these is enough"), default=True)
    require_consent = models.BooleanField(_("consent to receive an allowance is needed"), default=True)
    require_connectivity_need = models.BooleanField(
        _("the assessment must say connectivity support is needed"), default=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["programme", "-version"]
        constraints = [models.UniqueConstraint(fields=["programme", "version"], name="rule_version_once")]

    def __str__(self) -> str:
        return f"{self.programme_id} v{self.version}"


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNSAID = "unsaid", _("I prefer not to say")


class Consent(models.Model):
    """A person's consent to take part in a programme (to receive an allowance and to have their
    activity counted). Withdrawing keeps the row and sets `withdrawn_at`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="allowance_consents"
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="consents")
    # Asked when joining, optional; they appear in donor reports only aggregated, and only when
    # `share_demographics` is true. Nationality is the account's country of origin.
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    share_demographics = models.BooleanField(
        _("my sex, age and nationality may be counted in reports (never my name)"), default=False
    )
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "programme"], name="consent_once")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.programme_id}"


class PayoutContact(models.Model):
    """Where a person's allowance goes: a phone number or wallet reference, sealed at rest
    (counselling.crypto, keys from FIELD_ENCRYPTION_KEYS). `fingerprint` is a keyed hash of the
    normalised value, so that two people with the same number are found without decrypting."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_contact"
    )
    method = models.CharField(max_length=16, choices=Method.choices)
    value_sealed = models.TextField(editable=False)
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id} ({self.method})"


# --- Periods, entitlements, payments -----------------------------------------------------------


class Period(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="periods")
    starts_on = models.DateField()
    ends_on = models.DateField()  # inclusive
    rule_version = models.ForeignKey(
        RuleVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["programme", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "starts_on"], name="period_once"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="period_ordered"),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(rule_version__isnull=False),
                name="period_closed_has_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.starts_on} to {self.ends_on}"


class Entitlement(models.Model):
    """What one person is owed for one period, with the evidence that made them eligible, frozen
    at closing time: recomputing the amount from `evidence` gives `amount_minor` again."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="entitlements")
    beneficiary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entitlements"
    )
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    evidence = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["period", "beneficiary"]
        constraints = [
            models.UniqueConstraint(fields=["period", "beneficiary"], name="entitlement_once"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="entitlement_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_id} {self.amount_minor} {self.currency}"


class Batch(models.Model):
    """Payments prepared together and approved by someone else (maker-checker)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SENT = "sent", _("Sent to the provider")
        CLOSED = "closed", _("Closed")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="batches")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="batches")
    provider = models.CharField(max_length=32)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-prepared_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="batch_checker_is_not_maker",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "sent", "closed"]) | Q(approved_by__isnull=False),
                name="batch_approved_has_checker",
            ),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status})"


ACTIVE_PAYMENT = ["pending", "sent", "delivered"]


class Payment(models.Model):
    """One disbursement of one entitlement. The idempotency key makes a retried request the same
    payment; `reissue_of` links a new attempt to a failed one; at most one active payment per
    entitlement (a database constraint)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="payments")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16, choices=Method.choices)
    amount_minor = models.PositiveIntegerField()
    fee_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    idempotency_key = models.UUIDField(unique=True)
    provider_reference = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=300, blank=True)
    reissue_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reissued_as"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement"], condition=Q(status__in=ACTIVE_PAYMENT), name="payment_one_active"
            ),
            models.UniqueConstraint(
                fields=["batch", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payment_reference_once",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status})"


class ProviderEvent(models.Model):
    """A provider's callback or result-file line, kept by its own id: applying it twice changes
    nothing the second time."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="provider_events")
    outcome = models.CharField(max_length=10)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


# --- Ledger -------------------------------------------------------------------------------------


class LedgerAccount(models.Model):
    """An account of the ledger, in one currency: a programme's funds, its entitlements expense,
    its payments in transit and fees, and what it owes each beneficiary."""

    class Kind(models.TextChoices):
        FUNDING = "funding", _("Funds")
        ENTITLEMENTS = "entitlements", _("Allowances granted")
        PAYABLE = "payable", _("Owed to a beneficiary")
        FEES = "fees", _("Provider fees")

    code = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="ledger_accounts")
    beneficiary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3, validators=[CURRENCY])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class LedgerTransaction(AppendOnly):
    """A set of entries that balance per currency. Never changed: a correction is a new
    transaction that reverses it, and a transaction is reversed at most once (`reverses` is
    unique)."""

    class Kind(models.TextChoices):
        ENTITLEMENT = "entitlement", _("Allowance granted")
        DISBURSEMENT = "disbursement", _("Allowance paid")
        FEE = "fee", _("Provider fee")
        FUNDING = "funding", _("Funds received")
        REVERSAL = "reversal", _("Reversal")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    memo = models.CharField(max_length=300)
    idempotency_key = models.CharField(max_length=128, unique=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # The period it belongs to (a period's closing is one transaction for all its entitlements),
    # so that reports per period read the ledger itself.
    period = models.ForeignKey(Period, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class LedgerEntry(AppendOnly):
    """One leg: a signed amount (debit positive, credit negative) on one account."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, validators=[CURRENCY])

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_minor} {self.currency}"


# --- Audit ----------------------------------------------------------------------------------------


class AuditEvent(AppendOnly):
    """A state change, with who and when, chained to the one before by a SHA-256 hash so that a
    changed or removed row breaks the chain (`manage.py verify_audit`)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["previous_hash"], name="audit_chain_linear")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
