"""No two active appointments overlap for one counsellor, nor for one client: enforced by
PostgreSQL exclusion constraints. SQLite has none; there IMMEDIATE transactions serialise the
check-then-insert in booking.services instead."""

from django.db import migrations

CONSTRAINTS = {
    "appointment_counsellor_no_overlap": "counsellor_id",
    "appointment_client_no_overlap": "client_id",
}


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE booking_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
            "WHERE (status = 'booked')"
        )


def remove_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE booking_appointment DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunPython(add_constraints, remove_constraints)]
