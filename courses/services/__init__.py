"""Writes of the courses app. Keyword-only, typed, one transaction each."""

from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from courses.h5p_store import package_remove, package_store
from courses.models import H5PContent, H5PLibrary


def h5p_content_upload(*, uploader: User, file: IO[bytes], size: int) -> H5PContent:
    """Check an `.h5p` package, unpack it into the content store and record it. A refused
    package raises `courses.h5p.PackageError` (with the reason) and leaves nothing behind."""
    if not (uploader.has_role(Role.AUTHOR) or uploader.has_role(Role.ADMIN)):
        raise PermissionDenied(_("Only course authors can upload activities."))
    stored = package_store(file, size=size, root=settings.H5P_ROOT)
    try:
        with transaction.atomic():
            libraries = {
                lib.folder: H5PLibrary.objects.get_or_create(name=lib.name, major=lib.major, minor=lib.minor)[
                    0
                ]
                for lib in stored.package.libraries
            }
            content = H5PContent.objects.create(
                content_id=stored.content_id,
                title=stored.package.title,
                main_library=libraries[stored.package.main_library.folder],
                uploaded_by=uploader,
                size_bytes=stored.package.unpacked_bytes,
            )
            content.libraries.set(libraries.values())
    except Exception:
        package_remove(root=settings.H5P_ROOT, content_id=stored.content_id)
        raise
    return content
