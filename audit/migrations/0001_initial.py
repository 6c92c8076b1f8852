from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("actor_id", models.BigIntegerField(blank=True, null=True)),
                ("actor_name", models.CharField(blank=True, max_length=150)),
                ("action", models.CharField(max_length=50)),
                ("target_type", models.CharField(max_length=30)),
                ("target_id", models.BigIntegerField(blank=True, null=True)),
                ("target_name", models.CharField(blank=True, max_length=200)),
                ("reason", models.TextField(blank=True)),
                ("details", models.JSONField(blank=True, default=dict)),
                ("source", models.CharField(choices=[("portal", "Portal"), ("admin", "Django admin"), ("command", "Management command"), ("system", "Automatic")], default="portal", max_length=10)),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit log",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["-created_at", "-id"], name="audit_created"),
                    models.Index(fields=["actor_id", "-created_at", "-id"], name="audit_actor"),
                    models.Index(fields=["action", "-created_at", "-id"], name="audit_action"),
                    models.Index(fields=["target_type", "target_id"], name="audit_target"),
                ],
            },
        ),
    ]
