from django import forms

from accounts.models import Organization
from rooms.models import Room


class RoomForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    organization = forms.ModelChoiceField(
        label="Organization", queryset=Organization.objects.none(), empty_label=None
    )
    access = forms.ChoiceField(label="Who can join", choices=Room.Access.choices, initial=Room.Access.MEMBERS)

    def __init__(self, *args, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(memberships__user=user).order_by(
            "name"
        )


class GuestForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=60)
