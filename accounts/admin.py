from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    CounsellorCountry,
    CounsellorProfile,
    CounsellorTopic,
    Organisation,
    User,
    UserLanguage,
    UserRole,
)
from accounts.permissions import ORGANISATION_ROLES


class UserRoleFormSet(BaseInlineFormSet):
    """Counsellors, coordinators and interpreters work for an organisation: refuse such a role
    for an account without one (the same rule as accounts.services.user_roles_set)."""

    def clean(self) -> None:
        super().clean()
        roles = {
            form.cleaned_data.get("role")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        }
        if roles & ORGANISATION_ROLES and self.instance.organisation_id is None:
            raise ValidationError(
                _("Counsellors, coordinators and interpreters must belong to an organisation.")
            )


class UserRoleInline(admin.TabularInline):
    model = UserRole
    formset = UserRoleFormSet
    extra = 0


class UserLanguageInline(admin.TabularInline):
    model = UserLanguage
    extra = 0


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("display_name", "email", "phone")


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ["-date_joined"]
    list_display = [
        "display_name",
        "email",
        "organisation",
        "roles_list",
        "languages_list",
        "is_active",
        "date_joined",
    ]
    list_filter = ["is_active", "roles__role", "organisation"]
    search_fields = ["display_name", "email"]
    inlines = [UserRoleInline, UserLanguageInline]
    fieldsets = [
        (None, {"fields": ["display_name", "email", "phone", "phone_verified", "password"]}),
        (
            "Profile",
            {
                "fields": [
                    "organisation",
                    "country_of_origin",
                    "country_of_residence",
                    "time_zone",
                    "language",
                    "data_saver",
                    "read_receipts",
                ]
            },
        ),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["display_name", "email", "phone", "usable_password", "password1", "password2"]})
    ]
    filter_horizontal: list[str] = []

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return (
            super()
            .get_queryset(request)
            .select_related("organisation")
            .prefetch_related("roles", "languages")
        )

    @admin.display(description=gettext_lazy("roles"))
    def roles_list(self, user: User) -> str:
        return ", ".join(str(role.get_role_display()) for role in user.roles.all())

    @admin.display(description=gettext_lazy("languages"))
    def languages_list(self, user: User) -> str:
        # An interpreter is proposed for a conversation by these (a counsellor matched by them).
        return ", ".join(language.code for language in user.languages.all())


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]


class CounsellorCountryInline(admin.TabularInline):
    model = CounsellorCountry
    extra = 0


class CounsellorTopicInline(admin.TabularInline):
    model = CounsellorTopic
    extra = 0


@admin.register(CounsellorProfile)
class CounsellorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "accepting_new_clients", "updated_at"]
    list_select_related = ["user"]
    inlines = [CounsellorCountryInline, CounsellorTopicInline]
