import logging

from django.apps import AppConfig
from django.conf import settings


class OpsConfig(AppConfig):
    """What the people who run the portal need: probes, metrics, the status page."""

    name = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect()
        if settings.LOG_FORMAT == "json":
            # Python's warnings too, rather than bare lines on stderr among the JSON ones.
            logging.captureWarnings(True)
