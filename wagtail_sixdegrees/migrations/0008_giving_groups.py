"""The groups "Giving managers" and "Giving viewers", with the Giving panel's permissions.

A snapshot on purpose (migrations must not change meaning when the code moves on); the same
lists live in ``panel/permissions.py``, and a test checks that the two agree. Running it again
adds what is missing and removes nothing; Editors and Moderators get nothing new.
"""

from django.db import migrations

# (model, codename, name) as Django's post_migrate would create them from Meta.
PERMISSIONS = [
    ("donation", "view_donation", "Can view donation"),
    ("donation", "refund_donation", "Can refund donations through Stripe"),
    ("donation", "export_giving", "Can export giving data as CSV and XLSX"),
    ("donor", "view_donor_personal_data", "Can see donors' names, email addresses and dedications"),
    ("allocationrun", "allocate", "Can preview and commit allocation runs and reallocate"),
    ("disbursement", "disburse", "Can record and reverse disbursements"),
]
GROUPS = {
    "Giving managers": [
        "view_donation",
        "view_donor_personal_data",
        "export_giving",
        "refund_donation",
        "allocate",
        "disburse",
    ],
    "Giving viewers": ["view_donation", "export_giving"],
}


def create_giving_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    # Permissions are normally created after migrating; these groups need them now.
    permissions = {}
    for model, codename, name in PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(
            app_label="wagtail_sixdegrees", model=model
        )
        permissions[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    admin_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=admin_type,
        codename="access_admin",
        defaults={"name": "Can access Wagtail admin"},
    )
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(access_admin, *(permissions[codename] for codename in codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_sixdegrees", "0007_panel_permissions"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        # Reversing leaves the groups: people may have been put in them since.
        migrations.RunPython(create_giving_groups, migrations.RunPython.noop),
    ]
