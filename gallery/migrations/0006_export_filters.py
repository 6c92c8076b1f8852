from django.db import migrations, models


def parse_stored_query_strings(apps, schema_editor):
    """Existing exports kept only the gallery query string: store its parsed filters, parsed
    by the same form that parsed it when they were made."""
    from gallery.forms import GalleryFilterForm

    Export = apps.get_model("gallery", "Export")
    for export in Export.objects.exclude(query_string="").iterator():
        filters = GalleryFilterForm.from_query_string(export.query_string).filters()
        export.filters = filters.to_json()
        export.save(update_fields=["filters"])


class Migration(migrations.Migration):

    dependencies = [
        ("gallery", "0005_generation_user_unfinished"),
    ]

    operations = [
        migrations.AddField(
            model_name="export",
            name="filters",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(parse_stored_query_strings, migrations.RunPython.noop),
    ]
