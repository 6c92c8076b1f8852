"""Images hidden by moderators and images of suspended owners leave the libraries: new columns,
and the library's partial indexes rebuilt without those rows. The indexes are built
concurrently (and the old ones dropped only then), so a large library is never locked and never
without an index."""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

SHOWN_IN_LIBRARY = models.Q(
    ("deleted_at__isnull", True),
    ("shared_team__isnull", False),
    ("hidden_at__isnull", True),
    ("withheld", False),
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("gallery", "0006_export_filters"),
    ]

    operations = [
        migrations.AddField(
            model_name="generatedimage",
            name="hidden_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="generatedimage",
            name="hidden_reason",
            field=models.TextField(blank=True, db_default=""),
        ),
        migrations.AddField(
            model_name="generatedimage",
            name="withheld",
            field=models.BooleanField(db_default=False),
        ),
        AddIndexConcurrently(
            model_name="generatedimage",
            index=models.Index(
                condition=SHOWN_IN_LIBRARY,
                fields=["shared_team", "-created_at", "-id"],
                name="image_library_shown",
            ),
        ),
        AddIndexConcurrently(
            model_name="generatedimage",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=SHOWN_IN_LIBRARY,
                fields=["shared_team", "search_vector", "model", "size", "quality", "style"],
                name="image_library_shown_search",
            ),
        ),
        AddIndexConcurrently(
            model_name="generation",
            index=models.Index(
                condition=models.Q(("error_kind", "content_policy"), ("status", "refused")),
                fields=["user", "-created_at"],
                name="generation_user_refused",
            ),
        ),
        RemoveIndexConcurrently(model_name="generatedimage", name="image_library_created"),
        RemoveIndexConcurrently(model_name="generatedimage", name="image_library_search"),
    ]
