# Built concurrently: generations keep arriving while it is built.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('gallery', '0007_hidden_images'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='generation',
            index=models.Index(fields=['created_at'], name='generation_created'),
        ),
    ]
