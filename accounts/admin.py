from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import (
    CounsellorCountry,
    CounsellorProfile,
    CounsellorTopic,
    Organisation,
    User,
    UserLanguage,
    UserRole,
)


class UserRoleInline(admin.TabularInline):
    model = UserRole
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
    list_display = ["display_name", "email", "organisation", "is_active", "date_joined"]
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
