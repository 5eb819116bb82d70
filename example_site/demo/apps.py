import os
import sys

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo content"

    def ready(self) -> None:
        from django.conf import settings

        # `make demo` without Stripe keys: start the development checkout server beside
        # runserver (in the process that serves requests, not the autoreloader's parent).
        serving = len(sys.argv) > 1 and sys.argv[1] == "runserver"
        reloader_child = os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv
        if getattr(settings, "USE_DEVSTRIPE", False) and serving and reloader_child:
            from demo.devstripe_runner import start_devstripe

            start_devstripe()
