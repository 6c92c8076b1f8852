# The usage counters and the trigger that keeps them: see "Usage counters" in gallery/models.py.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Adds a change to a user's counters, and their team's: the user's row first (it orders every
# change of one user's counters), then the day, then the team's month. A row is only made for a
# charge; a give-back only updates one, so a cascade that already deleted a user's or a team's
# counters (Django deletes those before it sets the generations' team to NULL) makes none.
ADD_FUNCTION = """
CREATE FUNCTION gallery_usage_add(
    p_user bigint, p_team bigint, p_day date, p_images integer, p_pending integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_pending > 0 THEN
        INSERT INTO gallery_userusage (user_id, pending) VALUES (p_user, p_pending)
        ON CONFLICT (user_id)
        DO UPDATE SET pending = gallery_userusage.pending + EXCLUDED.pending;
    ELSE
        UPDATE gallery_userusage SET pending = pending + p_pending WHERE user_id = p_user;
    END IF;
    IF p_images > 0 THEN
        INSERT INTO gallery_userdayusage (user_id, day, images) VALUES (p_user, p_day, p_images)
        ON CONFLICT (user_id, day)
        DO UPDATE SET images = gallery_userdayusage.images + EXCLUDED.images;
    ELSIF p_images < 0 THEN
        UPDATE gallery_userdayusage SET images = images + p_images
        WHERE user_id = p_user AND day = p_day;
    END IF;
    IF p_team IS NULL OR p_images = 0 THEN
        RETURN;
    END IF;
    IF p_images > 0 THEN
        INSERT INTO gallery_teammonthusage (team_id, month, images)
        VALUES (p_team, date_trunc('month', p_day)::date, p_images)
        ON CONFLICT (team_id, month)
        DO UPDATE SET images = gallery_teammonthusage.images + EXCLUDED.images;
    ELSE
        UPDATE gallery_teammonthusage SET images = images + p_images
        WHERE team_id = p_team AND month = date_trunc('month', p_day)::date;
    END IF;
END
$$;
"""

# One row's change: the new row counted in, the old one counted out; as one net change when
# both fall on the same user, team and day (the usual update: a generation that ended).
COUNT_FUNCTION = """
CREATE FUNCTION gallery_generation_usage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    old_day date;
    new_day date;
BEGIN
    SELECT time_zone INTO zone FROM gallery_usagezone LIMIT 1;
    IF zone IS NULL THEN
        -- Not built: building counts every row as it then is.
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_day := (OLD.created_at AT TIME ZONE zone)::date;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_day := (NEW.created_at AT TIME ZONE zone)::date;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.user_id = NEW.user_id
            AND OLD.team_id IS NOT DISTINCT FROM NEW.team_id AND old_day = new_day THEN
        PERFORM gallery_usage_add(
            NEW.user_id, NEW.team_id, new_day, NEW.charged - OLD.charged,
            (NEW.status IN ('queued', 'running'))::integer
            - (OLD.status IN ('queued', 'running'))::integer
        );
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM gallery_usage_add(
            OLD.user_id, OLD.team_id, old_day, -OLD.charged,
            -(OLD.status IN ('queued', 'running'))::integer
        );
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM gallery_usage_add(
            NEW.user_id, NEW.team_id, new_day, NEW.charged,
            (NEW.status IN ('queued', 'running'))::integer
        );
    END IF;
    RETURN NULL;
END
$$;
"""

# Updates that change nothing counted (a claim, a lease, an answer recorded) do not fire it.
TRIGGERS = """
CREATE TRIGGER gallery_generation_usage_insert AFTER INSERT ON gallery_generation
FOR EACH ROW EXECUTE FUNCTION gallery_generation_usage();
CREATE TRIGGER gallery_generation_usage_delete AFTER DELETE ON gallery_generation
FOR EACH ROW EXECUTE FUNCTION gallery_generation_usage();
CREATE TRIGGER gallery_generation_usage_update
AFTER UPDATE OF charged, status, created_at, user_id, team_id ON gallery_generation
FOR EACH ROW WHEN (
    OLD.charged IS DISTINCT FROM NEW.charged
    OR OLD.created_at IS DISTINCT FROM NEW.created_at
    OR OLD.user_id IS DISTINCT FROM NEW.user_id
    OR OLD.team_id IS DISTINCT FROM NEW.team_id
    OR (OLD.status IN ('queued', 'running')) IS DISTINCT FROM (NEW.status IN ('queued', 'running'))
) EXECUTE FUNCTION gallery_generation_usage();
"""

DROP = """
DROP TRIGGER gallery_generation_usage_insert ON gallery_generation;
DROP TRIGGER gallery_generation_usage_delete ON gallery_generation;
DROP TRIGGER gallery_generation_usage_update ON gallery_generation;
DROP FUNCTION gallery_generation_usage();
DROP FUNCTION gallery_usage_add(bigint, bigint, date, integer, integer);
"""


def count_existing(apps, schema_editor):
    """The counters of the generations there are, in the portal's time zone (as
    gallery.services.usage.usage_rebuild, frozen here)."""
    from django.conf import settings as current

    zone = current.TIME_ZONE
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("LOCK TABLE gallery_generation IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            "INSERT INTO gallery_userusage (user_id, pending) SELECT user_id, count(*) "
            "FROM gallery_generation WHERE status IN ('queued', 'running') GROUP BY user_id"
        )
        cursor.execute(
            "INSERT INTO gallery_userdayusage (user_id, day, images) "
            "SELECT user_id, (created_at AT TIME ZONE %s)::date, sum(charged) "
            "FROM gallery_generation GROUP BY 1, 2 HAVING sum(charged) > 0",
            [zone],
        )
        cursor.execute(
            "INSERT INTO gallery_teammonthusage (team_id, month, images) "
            "SELECT team_id, date_trunc('month', created_at AT TIME ZONE %s)::date, sum(charged) "
            "FROM gallery_generation WHERE team_id IS NOT NULL GROUP BY 1, 2 "
            "HAVING sum(charged) > 0",
            [zone],
        )
        cursor.execute("INSERT INTO gallery_usagezone (time_zone) VALUES (%s)", [zone])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_membership_added_notice'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('gallery', '0009_export_limits_and_retention'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UsageZone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('time_zone', models.CharField(max_length=100)),
            ],
        ),
        migrations.CreateModel(
            name='UserUsage',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('pending', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='TeamMonthUsage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('images', models.IntegerField(default=0)),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('team', 'month'), name='usage_team_month')],
            },
        ),
        migrations.CreateModel(
            name='UserDayUsage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('images', models.IntegerField(default=0)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('user', 'day'), name='usage_user_day')],
            },
        ),
        migrations.RunSQL(ADD_FUNCTION + COUNT_FUNCTION + TRIGGERS, DROP),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
