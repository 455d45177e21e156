"""Tables whose rows are written once: audit trails, logs and ledgers.

`AppendOnly` is an abstract model: saving an existing row, deleting one, and queryset updates,
bulk updates and deletes raise `AppendOnlyError` on every database. Each concrete table also
gets a PostgreSQL trigger in its migration, so that no other client can change it either.
"""

from typing import Any, NoReturn

from django.db import IntegrityError, models


class AppendOnlyError(IntegrityError):
    """Someone tried to change or remove a row of an append-only table."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    # Bulk changes bypass Model.save and Model.delete: refuse them here too.
    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only: its rows are never changed.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only: its rows are never changed.")

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model._meta.db_table} is append-only: its rows are never deleted.")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.db_table} is append-only: its rows are never changed.")
        # Always an INSERT: a new object given the id of an existing row must not overwrite it.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self._meta.db_table} is append-only: its rows are never deleted.")
