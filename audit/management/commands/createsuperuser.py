"""Django's createsuperuser, recording the account it makes in the audit log. Listed first in
INSTALLED_APPS, the audit app's command is the one `manage.py createsuperuser` runs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.db import transaction
from django.db.models.signals import post_save

from audit.models import AuditEntry
from audit.services import audit_record, user_name


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        made: list[Any] = []

        def collect(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
            if created:
                made.append(instance)

        # Django's command has no hook after it makes the user, so the save is watched while it
        # runs; the user and its row commit together.
        post_save.connect(collect, sender=self.UserModel, weak=False, dispatch_uid=id(made))
        try:
            with transaction.atomic(using=options["database"]):
                super().handle(*args, **options)
                for user in made:
                    audit_record(
                        actor=None,
                        action="user.create",
                        target_type="user",
                        target_id=user.pk,
                        target_name=user_name(user),
                        details={"is_staff": user.is_staff, "is_superuser": user.is_superuser},
                        source=AuditEntry.Source.COMMAND,
                    )
        finally:
            post_save.disconnect(sender=self.UserModel, dispatch_uid=id(made))
