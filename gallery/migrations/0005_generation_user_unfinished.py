# Built concurrently: generations keep arriving while it is built.

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('gallery', '0004_search_index_filters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='generation',
            index=models.Index(
                condition=models.Q(('status__in', ['queued', 'running', 'failed', 'refused'])),
                fields=['user', '-created_at'],
                name='generation_user_unfinished',
            ),
        ),
    ]
