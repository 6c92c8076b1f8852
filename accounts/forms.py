from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User

from .models import Membership
from .selectors import suspension_of

ROLE_CHOICES = Membership.Role.choices


class MemberAddForm(forms.Form):
    username_or_email = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Membership.Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class LoginForm(AuthenticationForm):
    """Django's login form; a suspended account is told so, but only after its correct
    password, so the page tells a guesser nothing."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        reason = suspension_of(user)
        if reason is not None:
            raise forms.ValidationError(
                "This account is suspended: %(reason)s", code="suspended", params={"reason": reason}
            )
