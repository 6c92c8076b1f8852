# The search indexes take the filter columns too (btree_gin), so that a filtered search fetches
# only the rows that pass its filters. Built concurrently: a gallery keeps taking new images.

import django.contrib.postgres.indexes
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('accounts', '0001_teams'),
        ('gallery', '0003_teams_and_quotas'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        RemoveIndexConcurrently(
            model_name='generatedimage',
            name='image_user_search',
        ),
        AddIndexConcurrently(
            model_name='generatedimage',
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(('deleted_at__isnull', True)),
                fields=['user', 'search_vector', 'model', 'size', 'quality', 'style'],
                name='image_user_search',
            ),
        ),
        RemoveIndexConcurrently(
            model_name='generatedimage',
            name='image_library_search',
        ),
        AddIndexConcurrently(
            model_name='generatedimage',
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(('deleted_at__isnull', True), ('shared_team__isnull', False)),
                fields=['shared_team', 'search_vector', 'model', 'size', 'quality', 'style'],
                name='image_library_search',
            ),
        ),
    ]
