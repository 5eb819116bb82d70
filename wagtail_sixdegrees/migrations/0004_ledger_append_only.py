"""On PostgreSQL, the database itself refuses UPDATE and DELETE on money rows.

The models already refuse it; this stops raw SQL, a shell session or another application doing
it behind their back. TRUNCATE (used by test suites to empty tables) is not a row change and
stays possible for the database owner. Other databases rely on the model-level guard.
"""

from django.db import migrations

TABLES = ["wagtail_sixdegrees_ledgerentry", "wagtail_sixdegrees_disbursement"]

FUNCTION = """
CREATE OR REPLACE FUNCTION sixdegrees_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'wagtail_sixdegrees: % on % refused: money rows are append-only; add a correcting row instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sixdegrees_refuse_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS sixdegrees_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("wagtail_sixdegrees", "0003_allocation")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
