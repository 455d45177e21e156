from django.contrib import admin

from courses.models import Course, H5PContent, H5PLibrary, Lesson, Module


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ["position", "title"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "language", "level", "status", "author"]
    list_filter = ["status", "category", "language", "level"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ModuleInline]


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ["position", "title", "kind", "minutes"]


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "position"]
    list_select_related = ["course"]
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "module", "kind", "position"]
    list_filter = ["kind"]
    list_select_related = ["module__course"]


@admin.register(H5PContent)
class H5PContentAdmin(admin.ModelAdmin):
    """Uploaded activities are created by the upload (which checks the package), never here."""

    list_display = ["title", "main_library", "uploaded_by", "size_bytes", "created_at"]
    readonly_fields = [
        "content_id",
        "title",
        "main_library",
        "libraries",
        "uploaded_by",
        "size_bytes",
        "created_at",
    ]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(H5PLibrary)
class H5PLibraryAdmin(admin.ModelAdmin):
    list_display = ["name", "major", "minor", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
