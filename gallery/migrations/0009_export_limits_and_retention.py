import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations, models


def record_chosen_ids(apps, schema_editor):
    """Zips of chosen images already built hold at most those images; zips of a search made
    before this are deleted by the retention sweep instead."""
    Export = apps.get_model("gallery", "Export")
    for export in Export.objects.filter(status="ready").exclude(image_ids=[]).iterator():
        export.exported_ids = [int(pk) for pk in export.image_ids]
        export.save(update_fields=["exported_ids"])


class Migration(migrations.Migration):

    dependencies = [
        ('gallery', '0008_generation_created'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='export',
            name='exported_ids',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), blank=True, default=list, size=None),
        ),
        migrations.AlterField(
            model_name='export',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Building'), ('ready', 'Ready'), ('failed', 'Failed'), ('expired', 'Expired')], default='queued', max_length=20),
        ),
        migrations.AddIndex(
            model_name='export',
            index=django.contrib.postgres.indexes.GinIndex(fields=['exported_ids'], name='export_exported_ids'),
        ),
        migrations.AddIndex(
            model_name='export',
            index=models.Index(condition=models.Q(('status', 'ready')), fields=['finished_at'], name='export_ready_finished'),
        ),
        migrations.AddIndex(
            model_name='export',
            index=models.Index(condition=models.Q(('status__in', ['queued', 'running'])), fields=['created_at'], name='export_unfinished_created'),
        ),
        migrations.RunPython(record_chosen_ids, migrations.RunPython.noop),
    ]
