from __future__ import annotations

from django import forms

from .models import Report

REASON_MAX_LENGTH = 1000


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=Report.Reason.choices, label="Why")
    note = forms.CharField(
        required=False,
        max_length=1000,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
    )


class ActionForm(forms.Form):
    """A moderator's action on a case: which, why, and the case's version when it was shown."""

    ACTIONS = [
        ("dismiss", "Dismiss"),
        ("hide", "Hide the image"),
        ("restore", "Restore the image"),
        ("strike", "Give a strike"),
        ("suspend", "Suspend the creator"),
        ("unsuspend", "Restore the creator"),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000})
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class AppealForm(forms.Form):
    text = forms.CharField(
        label="Your appeal",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Actor (name or id)")
    action = forms.CharField(required=False, max_length=50)
    target_type = forms.CharField(required=False, max_length=30, label="Target kind")
    target_id = forms.IntegerField(required=False, min_value=1, label="Target id")
    date_from = forms.DateField(required=False, label="From")
    date_to = forms.DateField(required=False, label="To")
    after = forms.CharField(required=False, max_length=200)


class UserActionForm(ActionForm):
    """Suspending or restoring a user from their page: no case, so no version."""

    action = forms.ChoiceField(choices=[("suspend", "Suspend"), ("unsuspend", "Restore")])
    version = None  # type: ignore[assignment]
