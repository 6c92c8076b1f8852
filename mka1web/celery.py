import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mka1web.settings")

app = Celery("mka1web")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
