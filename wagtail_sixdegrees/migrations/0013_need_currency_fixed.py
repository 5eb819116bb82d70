"""The database refuses to change the currency of a need that money already names.

A need's balance is the sum of its ledger entries minus its disbursements, in the need's
currency: relabelling a need holding 500.00 USD as JPY would make it read 50,000 JPY. Once any
ledger entry or disbursement names the need or a translation of it (progress counts a need's
translations together), an UPDATE that changes its currency is refused, on PostgreSQL and
SQLite. ``Need.clean`` and the admin form refuse it first, with a message.

On SQLite, a later migration that rebuilds the need table drops this trigger with it: such a
migration must create it again (tests/allocation/test_need_currency.py fails if it is missing).
"""

from django.db import migrations

TRIGGER = "wagtail_sixdegrees_need_currency_fixed"
MESSAGE = (
    "wagtail_sixdegrees: this need already holds money; its currency cannot change "
    "(create a new need for another currency)"
)


def _tables(apps):
    def table(name):
        return apps.get_model("wagtail_sixdegrees", name)._meta.db_table

    return table("Need"), table("LedgerEntry"), table("Disbursement")


def _money_names(need, entries, disbursements, row):
    """SQL true when a ledger entry or disbursement names ``row`` or one of its translations."""
    # Table names come from the models, never from input.
    return (
        f"EXISTS (SELECT 1 FROM {entries} e JOIN {need} n ON n.id = e.need_id "  # noqa: S608
        f"WHERE n.translation_key = {row}.translation_key) "
        f"OR EXISTS (SELECT 1 FROM {disbursements} d JOIN {need} n ON n.id = d.need_id "
        f"WHERE n.translation_key = {row}.translation_key)"
    )


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    need, entries, disbursements = _tables(apps)
    funded = _money_names(need, entries, disbursements, "OLD")
    if vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION sixdegrees_need_currency_fixed() RETURNS trigger AS $$
            BEGIN
                IF NEW.currency IS DISTINCT FROM OLD.currency AND ({funded}) THEN
                    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            """,
            params=None,
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF currency ON {need} "
            "FOR EACH ROW EXECUTE FUNCTION sixdegrees_need_currency_fixed();",
            params=None,
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF currency ON {need} FOR EACH ROW "
            f"WHEN NEW.currency IS NOT OLD.currency AND ({funded}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
            params=None,
        )


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    need = _tables(apps)[0]
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {need};", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS sixdegrees_need_currency_fixed();")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER};", params=None)


class Migration(migrations.Migration):
    dependencies = [("wagtail_sixdegrees", "0012_withdrawal_cards")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
