from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Membership, User


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
