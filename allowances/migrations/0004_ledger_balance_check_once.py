"""The deferred balance check ran once per inserted entry, each time summing every entry of its
ledger transaction: quadratic for a period's closing (10,001 entries took 18 s to commit).
Now it checks each ledger transaction once per database transaction, marked done in a
transaction-local setting; an unbalanced transaction is still refused at commit."""

from django.db import migrations

BALANCED_ONCE = """
    CREATE OR REPLACE FUNCTION allowances_ledger_balanced() RETURNS trigger AS $$
    DECLARE
        unbalanced text;
        marker text := 'allowances.balanced_' || NEW.transaction_id;
    BEGIN
        IF current_setting(marker, true) = 'y' THEN
            RETURN NULL;
        END IF;
        PERFORM set_config(marker, 'y', true);
        SELECT currency INTO unbalanced FROM allowances_ledgerentry
            WHERE transaction_id = NEW.transaction_id
            GROUP BY currency HAVING SUM(amount_minor) <> 0 LIMIT 1;
        IF unbalanced IS NOT NULL THEN
            RAISE EXCEPTION 'ledger transaction % does not balance in %', NEW.transaction_id, unbalanced
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED_ONCE, params=None)


class Migration(migrations.Migration):
    dependencies = [("allowances", "0003_ledger_transaction_period")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
