"""The default "Story safety review" workflow, its task and the "Story safety reviewers" group.

Story indexes get the workflow when they are created (a post_save receiver), and
``manage.py sixdegrees_story_workflow`` assigns it to existing ones; see docs/editors.
"""

from django.db import migrations

GROUP = "Story safety reviewers"
NAME = "Story safety review"
CONSENT_PERMISSIONS = [
    ("view_storyconsent", "Can view story consent"),
    ("add_storyconsent", "Can add story consent"),
    ("change_storyconsent", "Can change story consent"),
    ("withdraw_storyconsent", "Can withdraw consent and take a story down"),
]


def create_review_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    StorySafetyReviewTask = apps.get_model("wagtail_sixdegrees", "StorySafetyReviewTask")

    group, _ = Group.objects.get_or_create(name=GROUP)
    # Permissions are normally created after migrations; create the ones we grant now.
    admin_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=admin_type,
        codename="access_admin",
        defaults={"name": "Can access Wagtail admin"},
    )
    consent_type, _ = ContentType.objects.get_or_create(
        app_label="wagtail_sixdegrees", model="storyconsent"
    )
    permissions = [access_admin]
    for codename, name in CONSENT_PERMISSIONS:
        permission, _ = Permission.objects.get_or_create(
            content_type=consent_type, codename=codename, defaults={"name": name}
        )
        permissions.append(permission)
    group.permissions.add(*permissions)

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtail_sixdegrees", model="storysafetyreviewtask"
    )
    task = StorySafetyReviewTask.objects.filter(name=NAME).first()
    if task is None:
        task = StorySafetyReviewTask.objects.create(name=NAME, content_type=task_type, active=True)
        task.groups.add(group)
    workflow = Workflow.objects.filter(name=NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=NAME, active=True)
        WorkflowTask.objects.create(workflow=workflow, task_id=task.pk, sort_order=0)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_sixdegrees", "0005_stories"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_review_workflow, migrations.RunPython.noop)]
