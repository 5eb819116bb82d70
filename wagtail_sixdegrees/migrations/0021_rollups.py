"""Roll-ups for the Giving dashboard: what was given per (currency, day), kept by triggers on
the donation table, and the ledger's net movement per (account, month), kept by
``allocation/ledger.py``; both backfilled here from the rows as they stand. And the display
version that keys the story page cache (``wagtail_sixdegrees/display.py``)."""

import zoneinfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _key(kind, currency, need_id, cause_id, region_id):
    # The same key as allocation.models.balance_key, written out: a migration keeps working
    # whatever later code does.
    if kind == "need":
        return f"need:{currency}:{need_id}"
    if kind == "restricted":
        return f"restricted:{currency}:{cause_id or ''}:{region_id or ''}"
    return f"{kind}:{currency}"


def backfill(apps, schema_editor):
    """Install the donation-day triggers for the site's time zone, then sum what is there."""
    from django.db.models import Count, F, Sum
    from django.db.models.functions import TruncDate, TruncMonth

    # The trigger SQL lives with the code that reinstalls it when TIME_ZONE changes.
    from wagtail_sixdegrees.giving.rollups import install_triggers

    zone = settings.TIME_ZONE or "UTC"
    install_triggers(schema_editor.connection, zone)
    tzinfo = zoneinfo.ZoneInfo(zone)
    Donation = apps.get_model("wagtail_sixdegrees", "Donation")
    DonationDay = apps.get_model("wagtail_sixdegrees", "DonationDay")
    LedgerEntry = apps.get_model("wagtail_sixdegrees", "LedgerEntry")
    AccountMonth = apps.get_model("wagtail_sixdegrees", "AccountMonth")
    DonationDay.objects.all().delete()
    days = (
        Donation.objects.filter(paid_at__isnull=False)
        .exclude(status="voided")  # a voided offline gift was never given
        .annotate(day=TruncDate("paid_at", tzinfo=tzinfo))
        .order_by()
        .values_list("currency", "day")
        .annotate(given=Sum(F("amount") - F("amount_refunded")), count=Count("pk"))
    )
    DonationDay.objects.bulk_create(
        [DonationDay(currency=c, day=d, given=g, count=n) for c, d, g, n in days], batch_size=1000
    )
    months = (
        LedgerEntry.objects.annotate(month=TruncMonth("created_at", tzinfo=tzinfo))
        .order_by()
        .values_list("account_kind", "currency", "need_id", "cause_id", "region_id", "month")
        .annotate(moved=Sum("amount"))
    )
    AccountMonth.objects.bulk_create(
        [
            AccountMonth(
                key=_key(kind, currency, need_id, cause_id, region_id),
                account_kind=kind,
                currency=currency,
                need_id=need_id,
                cause_id=cause_id,
                region_id=region_id,
                month=month.date() if hasattr(month, "date") else month,
                moved=moved,
            )
            for kind, currency, need_id, cause_id, region_id, month, moved in months
            if moved
        ],
        batch_size=1000,
    )


def remove_triggers(apps, schema_editor):
    from wagtail_sixdegrees.giving.rollups import drop_statements

    for statement in drop_statements(schema_editor.connection):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('wagtail_sixdegrees', '0020_offline_gifts'),
    ]

    operations = [
        migrations.CreateModel(
            name='DonationDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('day', models.DateField(verbose_name='day')),
                ('given', models.BigIntegerField(default=0, verbose_name='given')),
                ('count', models.BigIntegerField(default=0, verbose_name='payments')),
            ],
            options={
                'verbose_name': 'donations of a day',
                'verbose_name_plural': 'donations per day',
                'ordering': ['currency', 'day'],
                'indexes': [models.Index(fields=['day'], name='sixdegrees_donation_day_d')],
                'constraints': [models.UniqueConstraint(fields=('currency', 'day'), name='sixdegrees_donation_day')],
            },
        ),
        migrations.CreateModel(
            name='AccountMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=80, verbose_name='account')),
                ('account_kind', models.CharField(choices=[('need', 'Need'), ('restricted', 'Restricted pool'), ('general', 'General pool'), ('shortfall', 'Shortfall')], max_length=12, verbose_name='account')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('month', models.DateField(verbose_name='month')),
                ('moved', models.BigIntegerField(default=0, verbose_name='moved')),
                ('cause', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtail_sixdegrees.cause', verbose_name='cause')),
                ('need', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtail_sixdegrees.need', verbose_name='need')),
                ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wagtail_sixdegrees.region', verbose_name='region')),
            ],
            options={
                'verbose_name': 'account month',
                'verbose_name_plural': 'account months',
                'ordering': ['key', 'month'],
                'indexes': [models.Index(fields=['month'], name='sixdegrees_account_month_m')],
                'constraints': [models.UniqueConstraint(fields=('key', 'month'), name='sixdegrees_account_month')],
            },
        ),
        migrations.CreateModel(
            name='DisplayVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=40, unique=True, verbose_name='name')),
                ('version', models.BigIntegerField(default=0, verbose_name='version')),
            ],
            options={
                'verbose_name': 'display version',
                'verbose_name_plural': 'display versions',
            },
        ),
        migrations.RunPython(backfill, remove_triggers, elidable=False),
    ]
