"""Re-encrypt every stored case note with the current (first) key of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS, keep the old ones after it, deploy, run
this command, then remove the old keys. Safe to run again (notes already sealed with the current
key are left alone) and while the site runs: it works in batches, each in its own transaction,
with the batch's rows locked, so that an edit made meanwhile is neither lost nor overwritten.

It opens each note only to seal it again, inside this process: nobody reads it, so nothing is
added to the access log. Notes that no configured key opens are reported by id (never by text)
and make the command fail after all the others are done.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from counselling import crypto
from counselling.models import CaseNote


class Command(BaseCommand):
    help = "Re-encrypt every case note with the first key of FIELD_ENCRYPTION_KEYS (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Notes per transaction (500).")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        current = crypto.current_key_id()
        prefix = f"{crypto.VERSION}:{current}:"
        already = CaseNote.objects.filter(body_sealed__startswith=prefix).count()
        stale = CaseNote.objects.exclude(body_sealed__startswith=prefix).order_by("pk")
        rotated = 0
        failed: list[int] = []
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    stale.filter(pk__gt=last_pk)
                    .select_for_update()
                    .only("pk", "ref", "client_id", "body_sealed")[:batch_size]
                )
                if not batch:
                    break
                changed = []
                for note in batch:
                    try:
                        note.body_sealed = crypto.reencrypt(note.body_sealed, context=note.encryption_context)
                    except crypto.DecryptionError:
                        failed.append(note.pk)
                        continue
                    changed.append(note)
                CaseNote.objects.bulk_update(changed, ["body_sealed"])
                rotated += len(changed)
                last_pk = batch[-1].pk
        self.stdout.write(
            f"Case notes: {rotated} re-encrypted with key {current}, {already} already used it, "
            f"{len(failed)} could not be opened."
        )
        if failed:
            shown = ", ".join(str(pk) for pk in failed[:50])
            more = f" and {len(failed) - 50} more" if len(failed) > 50 else ""
            raise CommandError(
                f"The case notes {shown}{more} cannot be opened with FIELD_ENCRYPTION_KEYS (a key "
                "missing, or altered text): put back the key they were sealed with, after the new "
                "one, and run this command again."
            )
