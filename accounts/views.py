"""Team pages: switching team and managing members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .forms import ROLE_CHOICES, MemberAddForm, MemberRoleForm
from .http import local_url


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    membership = selectors.get_membership(request.user, request.POST.get("team", ""))
    services.team_switch(request=request, team=membership.team)
    messages.success(request, f"You now work for {membership.team.name}.")
    return redirect(local_url(request.POST.get("next")))


@login_required
@require_POST
def notice_dismiss(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.get_membership(request.user, slug)
    services.membership_notice_dismiss(membership=membership)
    return redirect(local_url(request.POST.get("next")))


@login_required
@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.get_membership(request.user, slug)
    context = {
        "membership": membership,
        "team": membership.team,
        "members": selectors.team_members(membership.team),
        "add_form": MemberAddForm(),
        "roles": ROLE_CHOICES,
    }
    return render(request, "accounts/team.html", context)


@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.get_admin_membership(request.user, slug)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            added = services.team_member_add(
                team=membership.team,
                username_or_email=form.cleaned_data["username_or_email"],
                role=form.cleaned_data["role"],
                actor=selectors.current_user(request),
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
    membership = selectors.get_admin_membership(request.user, slug)
    target = selectors.get_team_membership(membership.team, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That is not a role.")
        return redirect("accounts:team", slug=slug)
    try:
        services.team_member_set_role(
            membership=target,
            role=form.cleaned_data["role"],
            actor=selectors.current_user(request),
        )
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{target.user.username} is now {target.get_role_display()}.")
    return redirect("accounts:team", slug=slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = selectors.get_admin_membership(request.user, slug)
    target = selectors.get_team_membership(membership.team, pk)
    try:
        services.team_member_remove(membership=target, actor=selectors.current_user(request))
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Removed {target.user.username} from {membership.team.name}.")
        if target.user_id == request.user.pk:
            # The team's page is a 404 for someone who just left it.
            return redirect("gallery:index")
    return redirect("accounts:team", slug=slug)
