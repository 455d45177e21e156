from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.reference import Topic


class Role(models.TextChoices):
    MIGRANT = "migrant", _("Migrant")
    COUNSELLOR = "counsellor", _("Counsellor")
    COORDINATOR = "coordinator", _("Coordinator")
    AUTHOR = "author", _("Course author")
    ADMIN = "admin", _("Administrator")
    # Joins a conversation as its third participant, only with the client's consent.
    INTERPRETER = "interpreter", _("Interpreter")


class Organisation(models.Model):
    """A partner organisation in a country of origin; counsellors and coordinators work for one."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = models.CharField(_("country"), max_length=2)
    website = models.URLField(_("website"), blank=True)
    client_change_notice = models.PositiveIntegerField(
        _("clients may cancel or move appointments until (minutes before)"), default=120
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str | None = None, password: str | None = None, **fields: object) -> "User":
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        user = self.create_user(email, password, **fields)
        UserRole.objects.get_or_create(user=user, role=Role.ADMIN)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person using Passage. Signs in with an e-mail address or a phone number (or both)."""

    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    phone = models.CharField(
        _("phone number"),
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text=_("International format, starting with + and the country code."),
    )
    phone_verified = models.BooleanField(default=False)
    display_name = models.CharField(_("name"), max_length=80)
    country_of_origin = models.CharField(_("country of origin"), max_length=2, blank=True)
    country_of_residence = models.CharField(_("country where you live now"), max_length=2, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(
        _("interface language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    data_saver = models.BooleanField(
        _("data saver"),
        default=False,
        help_text=_("Load pictures and videos only when you tap them."),
    )
    read_receipts = models.BooleanField(
        _("read receipts"),
        default=True,
        help_text=_("Others see when you have read their messages."),
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Every account can be reached and can sign in: by e-mail, by phone, or both.
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False),
                name="user_has_email_or_phone",
            ),
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__startswith="+"),
                name="user_phone_is_e164",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or f"#{self.pk}"

    def get_short_name(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return self.display_name

    @property
    def role_set(self) -> frozenset[str]:
        """The user's roles, loaded once per instance."""
        cached: frozenset[str] | None = getattr(self, "_role_set", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("role", flat=True)) if self.pk else frozenset()
            self._role_set = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.role_set


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=16, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="user_role_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class UserLanguage(models.Model):
    """One language a person speaks; `position` 0 is the one they prefer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="languages")
    code = models.CharField(max_length=3)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["user", "position"]
        constraints = [
            models.UniqueConstraint(fields=["user", "code"], name="user_language_unique"),
            models.UniqueConstraint(fields=["user", "position"], name="user_language_position"),
        ]
        indexes = [models.Index(fields=["code"], name="user_language_code")]

    def __str__(self) -> str:
        return self.code


class CounsellorProfile(models.Model):
    """What a migrant sees about a counsellor before choosing them."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="counsellor_profile")
    bio = models.TextField(_("short introduction"), blank=True, validators=[MaxLengthValidator(600)])
    accepting_new_clients = models.BooleanField(_("accepting new clients"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.user)


class CounsellorCountry(models.Model):
    profile = models.ForeignKey(CounsellorProfile, on_delete=models.CASCADE, related_name="countries")
    country = models.CharField(max_length=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "country"], name="counsellor_country_unique")
        ]
        indexes = [models.Index(fields=["country"], name="counsellor_country_code")]

    def __str__(self) -> str:
        return self.country


class CounsellorTopic(models.Model):
    profile = models.ForeignKey(CounsellorProfile, on_delete=models.CASCADE, related_name="topics")
    topic = models.CharField(max_length=24, choices=Topic.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "topic"], name="counsellor_topic_unique")]

    def __str__(self) -> str:
        return self.get_topic_display()
