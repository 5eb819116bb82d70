from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.testapp"
    label = "sixdegrees_testapp"
    default_auto_field = "django.db.models.BigAutoField"
