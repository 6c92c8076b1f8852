import os

from celery import Celery

import telemetry.celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mka1web.settings")

app = Celery("mka1web")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The log context travels with each task, and the worker's lines follow LOG_FORMAT.
telemetry.celery.connect()
