"""Forms of the course authors' pages. They check what a person typed and what a file really
is (`courses.uploads`); the services check again and do the writing."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from accounts.models import User
from courses import uploads
from courses.models import Category, Course, H5PContent, Lesson, Level
from courses.selectors.authoring import h5p_content_list_for_author

IMAGE_ACCEPT = "image/png,image/jpeg,image/webp"


def _languages(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(code, str(name)) for code, name in settings.LANGUAGES]
    return [("", blank), *choices] if blank is not None else choices


class CourseForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        help_text=gettext_lazy("Two or three sentences: what learners will be able to do afterwards."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of instruction"))
    language_taught = forms.ChoiceField(
        label=gettext_lazy("Language taught"),
        help_text=gettext_lazy("Only for language courses."),
        required=False,
    )
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=Level.choices, initial=Level.EVERYONE)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    audience = forms.CharField(
        label=gettext_lazy("For whom"),
        help_text=gettext_lazy("For example: newly arrived adults, counsellors in training."),
        max_length=200,
        required=False,
    )
    estimated_hours = forms.IntegerField(
        label=gettext_lazy("Estimated hours"), min_value=1, max_value=500, initial=1
    )
    cover = forms.FileField(
        label=gettext_lazy("Cover image"),
        help_text=gettext_lazy("PNG, JPEG or WebP, at most 2 MB."),
        required=False,
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here so that the names are in the language of the request.
        self.fields["language"].choices = _languages()  # type: ignore[attr-defined]
        self.fields["language_taught"].choices = _languages(blank="—")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(course: Course) -> dict[str, Any]:
        return {name: getattr(course, name) for name in CourseForm.base_fields if name != "cover"}

    def clean_cover(self) -> Any:
        cover = self.cleaned_data.get("cover")
        if cover:
            uploads.image_check(cover)
        return cover


class ModuleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Module title"), max_length=200)


class LessonForm(forms.Form):
    """The fields every lesson has; subclasses add those of their kind."""

    title = forms.CharField(label=gettext_lazy("Lesson title"), max_length=200)
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes it takes"), min_value=1, max_value=600, initial=10
    )

    def __init__(self, *args: Any, user: User, lesson: Lesson | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.lesson = lesson

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values, named as lesson_create/lesson_update take them."""
        return {"title": self.cleaned_data["title"], "minutes": self.cleaned_data["minutes"]}


class TextLessonForm(LessonForm):
    body = forms.CharField(
        label=gettext_lazy("Text"),
        help_text=gettext_lazy(
            "Markdown: **bold**, *italic*, # Heading, - list, [link](https://...). "
            "Images: upload them below, then paste the line shown for each."
        ),
        max_length=50_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "dir": "auto"}),
    )

    def service_fields(self) -> dict[str, Any]:
        return {**super().service_fields(), "body": self.cleaned_data["body"]}


class VideoLessonForm(LessonForm):
    video = forms.FileField(
        label=gettext_lazy("Video"),
        help_text=gettext_lazy("MP4 or WebM, at most 200 MB. Smaller is kinder to learners' data."),
        required=False,
        widget=forms.FileInput(attrs={"accept": "video/mp4,video/webm"}),
    )
    captions = forms.FileField(
        label=gettext_lazy("Captions (WebVTT)"),
        help_text=gettext_lazy("A .vtt file, at most 512 KB."),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".vtt,text/vtt"}),
    )
    poster = forms.FileField(
        label=gettext_lazy("Poster image"),
        help_text=gettext_lazy("Shown before the video plays. PNG, JPEG or WebP, at most 2 MB."),
        required=False,
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, check in (
            ("video", uploads.video_check),
            ("captions", uploads.captions_check),
            ("poster", uploads.image_check),
        ):
            file = cleaned.get(name)
            if file:
                try:
                    check(file)
                except ValidationError as error:
                    self.add_error(name, error)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        files = {name: self.cleaned_data.get(name) or None for name in ("video", "captions", "poster")}
        return {**super().service_fields(), **files}


class H5PLessonForm(LessonForm):
    package = forms.FileField(
        label=gettext_lazy("Upload an H5P package"),
        help_text=gettext_lazy("A .h5p file exported from an H5P editor, at most 200 MB."),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".h5p"}),
    )
    existing = forms.ModelChoiceField(
        label=gettext_lazy("Or choose one you uploaded before"),
        queryset=H5PContent.objects.none(),
        required=False,
        empty_label="—",
    )
    pass_score = forms.IntegerField(
        label=gettext_lazy("Score that completes it (%)"),
        help_text=gettext_lazy("Leave empty: finishing the exercise completes it."),
        min_value=0,
        max_value=100,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["existing"].queryset = h5p_content_list_for_author(user=self.user)  # type: ignore[attr-defined]

    def clean_package(self) -> Any:
        package = self.cleaned_data.get("package")
        if package and package.size > uploads.H5P_MAX_BYTES:
            raise ValidationError(
                gettext_lazy("This file is too large: the limit is %(n)d MB.")
                % {"n": uploads.H5P_MAX_BYTES // uploads.MB},
                code="too_large",
            )
        return package

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        has_content = self.lesson is not None and self.lesson.h5p_id is not None
        chosen = cleaned.get("package") or cleaned.get("existing") or has_content
        if not chosen and "package" not in self.errors:
            self.add_error(
                "package", gettext_lazy("Upload an H5P package or choose one you uploaded before.")
            )
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        fields = {**super().service_fields(), "pass_score": self.cleaned_data.get("pass_score")}
        if self.cleaned_data.get("existing"):
            fields["h5p"] = self.cleaned_data["existing"]
        return fields


LESSON_FORMS: dict[str, type[LessonForm]] = {
    Lesson.Kind.TEXT: TextLessonForm,
    Lesson.Kind.VIDEO: VideoLessonForm,
    Lesson.Kind.H5P: H5PLessonForm,
}


class LessonImageForm(forms.Form):
    image = forms.FileField(
        label=gettext_lazy("Image"),
        help_text=gettext_lazy("PNG, JPEG or WebP, at most 2 MB."),
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    alt = forms.CharField(
        label=gettext_lazy("Describe the image"),
        help_text=gettext_lazy("For people who cannot see it, and while it loads."),
        max_length=300,
    )

    def clean_image(self) -> Any:
        image = self.cleaned_data.get("image")
        if image:
            uploads.image_check(image)
        return image


class MoveLessonForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)
    module = forms.IntegerField(required=False)
