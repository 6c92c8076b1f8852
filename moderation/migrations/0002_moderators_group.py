from django.db import migrations


def create_moderators_group(apps, schema_editor):
    """The group "Moderators" with the permission moderation.moderate; superusers have it too."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("moderation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(codename="moderate", content_type__app_label="moderation")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(permission)


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, migrations.RunPython.noop)]
