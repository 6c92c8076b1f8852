import secrets

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import user_created
from audit.models import AuditEntry


class Command(BaseCommand):
    help = "Create an administrator with a random password when the portal has no users yet."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--username", default="admin")

    def handle(self, *args: object, **options: str) -> None:
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_superuser(options["username"], email="", password=password)
            user_created(user=user, actor=None, source=AuditEntry.Source.COMMAND)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created administrator '{options['username']}' with password '{password}'. "
                "It is shown only this once; change it under /admin/."
            )
        )
