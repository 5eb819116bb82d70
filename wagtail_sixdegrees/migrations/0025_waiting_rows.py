"""Money waiting for allocation, kept per settlement currency (``allocation/waiting.py``):
the table, the donation table's triggers that keep it, and its rows summed from the donations
and the ledger as they stand."""

from django.db import migrations, models

#: Statuses whose money is the organisation's to allocate, written out: a migration keeps
#: working whatever later code does.
COUNTED = ("paid", "partially_refunded", "refunded", "disputed")


def backfill(apps, schema_editor):
    from django.db.models import Case, Exists, F, OuterRef, Sum, Value, When

    # The trigger SQL lives with the code that reinstalls it after a table rebuild.
    from wagtail_sixdegrees.allocation.waiting import install_triggers

    install_triggers(schema_editor.connection)
    Donation = apps.get_model("wagtail_sixdegrees", "Donation")
    LedgerEntry = apps.get_model("wagtail_sixdegrees", "LedgerEntry")
    UnallocatedMoney = apps.get_model("wagtail_sixdegrees", "UnallocatedMoney")

    def positive(column, then):
        return Sum(
            Case(
                When(**{f"{column}__gt": 0}, then=then),
                default=0,
                output_field=models.BigIntegerField(),
            )
        )

    allocated = LedgerEntry.objects.filter(donation=OuterRef("pk"), kind="allocate")
    rows = (
        Donation.objects.filter(status__in=COUNTED, paid_at__isnull=False)
        .exclude(settlement_currency="")
        .exclude(Exists(allocated))
        .order_by()
        .values_list("settlement_currency")
        .annotate(
            gross=positive("settlement_amount", F("settlement_amount")),
            gross_count=positive("settlement_amount", Value(1)),
            net=positive("net_amount", F("net_amount")),
            net_count=positive("net_amount", Value(1)),
        )
    )
    UnallocatedMoney.objects.all().delete()
    UnallocatedMoney.objects.bulk_create(
        [
            UnallocatedMoney(
                currency=currency,
                gross=gross or 0,
                gross_count=gross_count or 0,
                net=net or 0,
                net_count=net_count or 0,
            )
            for currency, gross, gross_count, net, net_count in rows
        ]
    )


def remove_triggers(apps, schema_editor):
    from wagtail_sixdegrees.allocation.waiting import drop_statements

    for statement in drop_statements(schema_editor.connection):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_sixdegrees", "0024_gift_change_superseded_expired"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnallocatedMoney",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("currency", models.CharField(max_length=3, unique=True, verbose_name="currency")),
                ("gross", models.BigIntegerField(default=0, verbose_name="gross")),
                ("gross_count", models.BigIntegerField(default=0, verbose_name="donations (gross)")),
                ("net", models.BigIntegerField(default=0, verbose_name="net")),
                ("net_count", models.BigIntegerField(default=0, verbose_name="donations (net)")),
            ],
            options={
                "verbose_name": "money waiting for allocation",
                "verbose_name_plural": "money waiting for allocation",
                "ordering": ["currency"],
            },
        ),
        migrations.RunPython(backfill, remove_triggers, elidable=False),
    ]
