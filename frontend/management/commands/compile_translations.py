"""Compile locale/*/LC_MESSAGES/*.po into .mo with Babel: no system gettext needed."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DOMAINS = {"django", "djangojs"}


class Command(BaseCommand):
    help = "Compile the project's .po files into .mo files (without GNU gettext)."
    # Runs before the database exists (first `make run`, image build): no system checks.
    requires_system_checks: list[str] = []

    def handle(self, *args: object, **options: object) -> None:
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            # Only the domains Django loads; vendor.po files are merged into django.po.
            po_paths = [p for p in Path(locale_dir).glob("*/LC_MESSAGES/*.po") if p.stem in DOMAINS]
            for po_path in sorted(po_paths):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file, locale=po_path.parent.parent.name)
                errors = [
                    f"{po_path}:{message.lineno}: {error}"
                    for message, errs in catalog.check()
                    for error in errs
                ]
                if errors:
                    raise CommandError("Broken translations:\n" + "\n".join(errors))
                with mo_path.open("wb") as mo_file:
                    # Fuzzy (unchecked) entries stay out; the header's own flag does not matter here.
                    write_mo(mo_file, catalog, use_fuzzy=False)
                compiled += 1
        self.stdout.write(f"compiled {compiled} translation catalogue(s)")
