"""Re-encrypt every sealed column (`counselling.crypto.SEALED_FIELDS`: case notes, contacts left
on information requests and feedback, payout contacts) with the current (first) key of
FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS, keep the old ones after it, deploy, run
this command, then remove the old keys. Safe to run again (values already sealed with the current
key are left alone) and while the site runs: it works in batches, each in its own transaction,
with the batch's rows locked, so that an edit made meanwhile is neither lost nor overwritten.

It opens each value only to seal it again, inside this process: nobody reads it, so nothing is
added to the case-note access log. Values that no configured key opens are reported by row id
(never by text) and make the command fail after all the others are done; the old keys must stay
until it succeeds.
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from counselling import crypto


class Command(BaseCommand):
    help = "Re-encrypt every sealed column with the first key of FIELD_ENCRYPTION_KEYS (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (500).")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        current = crypto.current_key_id()
        problems = []
        for sealed in crypto.SEALED_FIELDS:
            rotated, already, failed = self.rotate(sealed, current=current, batch_size=batch_size)
            self.stdout.write(
                f"{sealed.label.capitalize()}: {rotated} re-encrypted with key {current}, "
                f"{already} already used it, {len(failed)} could not be opened."
            )
            if failed:
                shown = ", ".join(str(pk) for pk in failed[:50])
                more = f" and {len(failed) - 50} more" if len(failed) > 50 else ""
                problems.append(f"The {sealed.label} {shown}{more}")
        if problems:
            raise CommandError(
                f"{'; '.join(problems)} cannot be opened with FIELD_ENCRYPTION_KEYS (a key missing, "
                "or altered text): put back the key they were sealed with, after the new one, and "
                "run this command again."
            )

    @sensitive_variables("plaintext")
    def rotate(
        self, sealed: crypto.SealedField, *, current: str, batch_size: int
    ) -> tuple[int, int, list[int]]:
        model = apps.get_model(sealed.model)
        prefix = f"{crypto.VERSION}:{current}:"
        holding = model.objects.exclude(**{sealed.field: ""})
        already = holding.filter(**{f"{sealed.field}__startswith": prefix}).count()
        stale = holding.exclude(**{f"{sealed.field}__startswith": prefix}).order_by("pk")
        rotated = 0
        failed: list[int] = []
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    stale.filter(pk__gt=last_pk)
                    .select_for_update()
                    .only("pk", sealed.field, *sealed.columns)[:batch_size]
                )
                if not batch:
                    break
                changed, saved = [], {sealed.field}
                for row in batch:
                    context = sealed.context(row)
                    try:
                        plaintext = crypto.decrypt(getattr(row, sealed.field), context=context)
                    except crypto.DecryptionError:
                        failed.append(row.pk)
                        continue
                    setattr(row, sealed.field, crypto.encrypt(plaintext, context=context))
                    for name, value in (sealed.resealed(row, plaintext) if sealed.resealed else {}).items():
                        setattr(row, name, value)
                        saved.add(name)
                    changed.append(row)
                model.objects.bulk_update(changed, sorted(saved))
                rotated += len(changed)
                last_pk = batch[-1].pk
        return rotated, already, failed
