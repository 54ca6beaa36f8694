from django import forms

from accounts.models import Organization
from rooms.models import Room
from rooms.names import GUEST_NAME_MAX_LENGTH, clean_guest_name


class RoomForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    organization = forms.ModelChoiceField(
        label="Organization", queryset=Organization.objects.none(), empty_label=None
    )
    access = forms.ChoiceField(label="Who can join", choices=Room.Access.choices, initial=Room.Access.MEMBERS)
    waiting_room = forms.BooleanField(
        label="Waiting room",
        required=False,
        help_text="People outside the organization wait until a host lets them in.",
    )

    def __init__(self, *args, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(memberships__user=user).order_by(
            "name"
        )


class GuestForm(forms.Form):
    # strip=False: clean_name collapses all whitespace itself; the bound is checked after that.
    name = forms.CharField(label="Your name", max_length=200, strip=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["maxlength"] = GUEST_NAME_MAX_LENGTH

    def clean_name(self) -> str:
        return clean_guest_name(self.cleaned_data["name"])
