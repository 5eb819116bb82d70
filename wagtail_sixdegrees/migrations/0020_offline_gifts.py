"""Offline gifts: a donation's channel, the "voided" status, the gifts' own records and
their imports, and the permission to record them, given to the "Giving managers" group.

The group change is a snapshot like 0008's: running it again adds what is missing and removes
nothing; Giving viewers get nothing new.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


PERMISSION = ("donation", "record_offline_gift", "Can record, import and void offline gifts")
GROUP = "Giving managers"


def grant_to_managers(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    model, codename, name = PERMISSION
    content_type, _ = ContentType.objects.get_or_create(app_label="wagtail_sixdegrees", model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:  # a site that deleted the group chose to manage permissions itself
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_sixdegrees", "0019_statements_and_choices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="donation",
            options={
                "ordering": ["-created_at", "-pk"],
                "permissions": [
                    ("refund_donation", "Can refund donations through Stripe"),
                    ("export_giving", "Can export giving data as CSV and XLSX"),
                    ("record_offline_gift", "Can record, import and void offline gifts"),
                ],
                "verbose_name": "donation",
                "verbose_name_plural": "donations",
            },
        ),
        migrations.AddField(
            model_name="donation",
            name="channel",
            field=models.CharField(
                choices=[
                    ("online", "Online (Stripe)"),
                    ("bank_transfer", "Bank transfer"),
                    ("cash", "Cash"),
                    ("cheque", "Cheque"),
                    ("mobile_money", "Mobile money"),
                    ("other", "Other"),
                ],
                default="online",
                max_length=20,
                verbose_name="channel",
            ),
        ),
        migrations.AlterField(
            model_name="donation",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("paid", "Paid"),
                    ("failed", "Failed"),
                    ("expired", "Expired"),
                    ("refunded", "Refunded"),
                    ("partially_refunded", "Partially refunded"),
                    ("disputed", "Disputed"),
                    ("voided", "Voided"),
                ],
                db_index=True,
                default="pending",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.CreateModel(
            name="OfflineBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("file_name", models.CharField(max_length=255, verbose_name="file")),
                (
                    "file_digest",
                    models.CharField(max_length=64, verbose_name="file digest (SHA-256)"),
                ),
                ("rows", models.JSONField(default=list, verbose_name="rows")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("preview", "Preview"),
                            ("committed", "Committed"),
                            ("stale", "Out of date"),
                        ],
                        default="preview",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="uploaded at"
                    ),
                ),
                (
                    "created_by_label",
                    models.CharField(blank=True, max_length=150, verbose_name="uploaded by"),
                ),
                (
                    "committed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="committed at"),
                ),
                (
                    "committed_by_label",
                    models.CharField(blank=True, max_length=150, verbose_name="committed by"),
                ),
                (
                    "created_count",
                    models.PositiveIntegerField(default=0, verbose_name="gifts created"),
                ),
                (
                    "stale_reason",
                    models.CharField(
                        blank=True, max_length=500, verbose_name="why it is out of date"
                    ),
                ),
                (
                    "committed_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
            ],
            options={
                "verbose_name": "offline gift import",
                "verbose_name_plural": "offline gift imports",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="OfflineGift",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("received_on", models.DateField(verbose_name="received on")),
                (
                    "payment_reference",
                    models.CharField(
                        help_text="The bank transfer's reference, the receipt book or cheque number.",
                        max_length=200,
                        verbose_name="payment reference",
                    ),
                ),
                (
                    "receipt_consent",
                    models.BooleanField(
                        default=False, verbose_name="the donor wants a receipt by email"
                    ),
                ),
                ("fingerprint", models.CharField(max_length=64, verbose_name="fingerprint")),
                (
                    "row_number",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="row in the file"
                    ),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="recorded at"
                    ),
                ),
                (
                    "recorded_by_label",
                    models.CharField(blank=True, max_length=150, verbose_name="recorded by"),
                ),
                (
                    "voided_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="voided at"),
                ),
                (
                    "voided_by_label",
                    models.CharField(blank=True, max_length=150, verbose_name="voided by"),
                ),
                ("void_reason", models.CharField(max_length=500, verbose_name="why it was voided")),
                (
                    "batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="gifts",
                        to="wagtail_sixdegrees.offlinebatch",
                        verbose_name="import",
                    ),
                ),
                (
                    "donation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="offline",
                        to="wagtail_sixdegrees.donation",
                        verbose_name="donation",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "voided_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
            ],
            options={
                "verbose_name": "offline gift",
                "verbose_name_plural": "offline gifts",
                "ordering": ["-recorded_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("voided_at__isnull", True)),
                        fields=("fingerprint",),
                        name="sixdegrees_offline_gift_once",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("voided_at__isnull", True),
                            models.Q(("void_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="sixdegrees_offline_void_has_reason",
                    ),
                ],
            },
        ),
        # Reversing leaves the permission with the group: people may rely on it by then.
        migrations.RunPython(grant_to_managers, migrations.RunPython.noop),
    ]
