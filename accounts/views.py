"""Team pages: switching team, managing members, and usage."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from gallery import quotas
from gallery.models import Generation

from . import selectors, services, usage
from .forms import MemberAddForm, MemberRoleForm
from .models import Membership


def _admin_membership(request: HttpRequest, slug: str) -> Membership:
    """The requester's membership of the team, which must be an admin one; 404 otherwise."""
    membership = selectors.get_membership(request.user, slug)
    if not membership.is_admin:
        raise Http404("Only team admins manage members.")
    return membership


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    membership = selectors.get_membership(request.user, request.POST.get("team", ""))
    services.team_switch(request=request, team=membership.team)
    messages.success(request, f"You now work for {membership.team.name}.")
    back = request.POST.get("next", "/")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


@login_required
@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.get_membership(request.user, slug)
    context = {
        "membership": membership,
        "team": membership.team,
        "members": selectors.team_members(membership.team),
        "add_form": MemberAddForm(),
        "roles": Membership.Role.choices,
    }
    return render(request, "accounts/team.html", context)


@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _admin_membership(request, slug)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            added = services.team_member_add(
                team=membership.team,
                username_or_email=form.cleaned_data["username_or_email"],
                role=form.cleaned_data["role"],
            )
        except services.MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Added {added.user.username} to {membership.team.name}.")
    else:
        messages.error(request, "Give the username or email of an existing user and a role.")
    return redirect("accounts:team", slug=slug)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = _admin_membership(request, slug)
    target = get_object_or_404(Membership, pk=pk, team=membership.team)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That is not a role.")
        return redirect("accounts:team", slug=slug)
    try:
        services.team_member_set_role(membership=target, role=form.cleaned_data["role"])
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{target.user.username} is now {target.get_role_display()}.")
    return redirect("accounts:team", slug=slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = _admin_membership(request, slug)
    target = get_object_or_404(Membership, pk=pk, team=membership.team)
    try:
        services.team_member_remove(membership=target)
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Removed {target.user.username} from {membership.team.name}.")
        if target.user_id == request.user.pk:
            # The team's page is a 404 for someone who just left it.
            return redirect("gallery:index")
    return redirect("accounts:team", slug=slug)


@login_required
@require_GET
def my_usage(request: HttpRequest) -> HttpResponse:
    user_id = int(request.user.pk or 0)
    team = selectors.current_team(request)
    allowances = [quotas.user_allowance(user_id, selectors.user_daily_limit(user_id))]
    if team is not None:
        allowances.append(quotas.team_allowance(team.pk, team.name, team.image_limit))
    days = usage.daily_usage(Generation.objects.filter(user_id=user_id))
    context = {
        "allowances": allowances,
        "chart": usage.bar_chart(days),
        "days": days,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "accounts/usage.html", context)


@login_required
@require_GET
def team_usage(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _admin_membership(request, slug)
    team = membership.team
    days = usage.daily_usage(Generation.objects.filter(team=team))
    context = {
        "team": team,
        "allowance": quotas.team_allowance(team.pk, team.name, team.image_limit),
        "breakdown": usage.team_month_breakdown(team),
        "chart": usage.bar_chart(days),
        "days": days,
    }
    return render(request, "accounts/team_usage.html", context)
