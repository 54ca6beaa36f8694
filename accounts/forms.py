from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts import selectors
from accounts.models import Membership, User


class LoginForm(AuthenticationForm):
    """The password log-in, refused to members of an organization that requires single sign-on."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        refuse_if_sso_required(user)


class AdminLoginForm(AdminAuthenticationForm):
    """The /admin/ password log-in: staff only (Django's check), and the same single sign-on rule,
    so a member of an organization that requires it cannot use /admin/ as a side door."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        refuse_if_sso_required(user)


def refuse_if_sso_required(user: User) -> None:
    names = selectors.requires_sso(user)
    if names:
        raise forms.ValidationError(
            f"{', '.join(names)} requires single sign-on: log in with the single sign-on button "
            "on the log-in page, not with a password.",
            code="sso_required",
        )


class SignupForm(UserCreationForm):
    display_name = forms.CharField(label="Display name", max_length=100, required=False)
    email = forms.EmailField(label="E-mail", required=False)

    class Meta:
        model = User
        fields = ("username", "display_name", "email")


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=100)
    email = forms.EmailField(label="E-mail", required=False)


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Organization name", max_length=100)
