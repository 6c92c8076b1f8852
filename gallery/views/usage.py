"""Usage pages: one's own use and what remains, and a team's use for its admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.selectors import current_team, get_admin_membership

from .. import selectors
from ..charts import bar_chart
from ..values import user_id_of


@login_required
@require_GET
def my_usage(request: HttpRequest) -> HttpResponse:
    user_id = user_id_of(request.user)
    days = selectors.user_daily_usage(user_id)
    context = {
        "allowances": selectors.allowances(user_id, current_team(request)),
        "chart": bar_chart(days),
        "days": days,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "gallery/usage.html", context)


@login_required
@require_GET
def team_usage(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_admin_membership(request.user, slug).team
    days = selectors.team_daily_usage(team)
    context = {
        "team": team,
        "allowance": selectors.team_allowance(team),
        "breakdown": selectors.team_month_breakdown(team),
        "chart": bar_chart(days),
        "days": days,
    }
    return render(request, "gallery/team_usage.html", context)
