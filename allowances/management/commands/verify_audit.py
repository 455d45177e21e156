from django.core.management.base import BaseCommand, CommandError

from allowances.services.audit import audit_verify


class Command(BaseCommand):
    help = "Check that the allowances audit log is intact (hash chain from the first event)."

    def handle(self, *args: object, **options: object) -> None:
        verdict = audit_verify()
        if not verdict.intact:
            raise CommandError(
                f"Audit log BROKEN at event {verdict.broken_at} ({verdict.events} checked): {verdict.reason}."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {verdict.events} events, chain unbroken."))
