from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load demo data (idempotent). Each app contributes a `demo.seed(write=...)`."

    def handle(self, *args: object, **options: object) -> None:
        if settings.ENVIRONMENT == "production":
            raise CommandError("seed_demo refuses to run with production settings.")
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            import_module(module_name).seed(write=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
