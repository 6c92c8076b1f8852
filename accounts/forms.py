from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User

from .models import Membership
from .selectors import suspension_of
from .throttle import is_locked_out, lockout_message

ROLE_CHOICES = Membership.Role.choices


class MemberAddForm(forms.Form):
    username_or_email = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Membership.Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class ThrottledLoginForm(AuthenticationForm):
    """A login refused for too many failed attempts says so, and when to try again, instead of
    calling the password wrong (the view's answer then becomes a 429, accounts.throttle)."""

    def get_invalid_login_error(self) -> forms.ValidationError:
        if is_locked_out(self.request):
            assert self.request is not None
            message = lockout_message(self.request, self.cleaned_data.get("username"))
            return forms.ValidationError(message, code="locked_out")
        return super().get_invalid_login_error()


class AdminLoginForm(ThrottledLoginForm, AdminAuthenticationForm):
    """Django admin's login form, throttled like the portal's."""


class LoginForm(ThrottledLoginForm):
    """Django's login form; a suspended account is told so, but only after its correct
    password, so the page tells a guesser nothing."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        reason = suspension_of(user)
        if reason is not None:
            raise forms.ValidationError(
                "This account is suspended: %(reason)s", code="suspended", params={"reason": reason}
            )
