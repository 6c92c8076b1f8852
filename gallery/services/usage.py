"""The usage counters built afresh: when there are none yet (a fresh or flushed database), or
when the portal's time zone is not the one their days and months are in."""

from __future__ import annotations

from django.db import connection, transaction

from ..models import TeamMonthUsage, UsageZone, UserDayUsage, UserUsage


def usage_rebuild(*, time_zone: str) -> bool:
    """Count every generation into the counters, with days and months in `time_zone`; False
    when they already are. Writes to the generations wait meanwhile: one scan of the table."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE gallery_generation IN SHARE ROW EXCLUSIVE MODE")
        if list(UsageZone.objects.values_list("time_zone", flat=True)) == [time_zone]:
            return False
        for counters in (UsageZone, UserUsage, UserDayUsage, TeamMonthUsage):
            counters.objects.all().delete()
        cursor.execute(
            "INSERT INTO gallery_userusage (user_id, pending) SELECT user_id, count(*) "
            "FROM gallery_generation WHERE status IN ('queued', 'running') GROUP BY user_id"
        )
        cursor.execute(
            "INSERT INTO gallery_userdayusage (user_id, day, images) "
            "SELECT user_id, (created_at AT TIME ZONE %s)::date, sum(charged) "
            "FROM gallery_generation GROUP BY 1, 2 HAVING sum(charged) > 0",
            [time_zone],
        )
        cursor.execute(
            "INSERT INTO gallery_teammonthusage (team_id, month, images) "
            "SELECT team_id, date_trunc('month', created_at AT TIME ZONE %s)::date, sum(charged) "
            "FROM gallery_generation WHERE team_id IS NOT NULL GROUP BY 1, 2 "
            "HAVING sum(charged) > 0",
            [time_zone],
        )
        UsageZone.objects.create(time_zone=time_zone)
    return True
