from __future__ import annotations

from django import forms

from dashboard.services import participant_limit_bounds
from rooms.models import Room


class RoomSettingsForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    access = forms.ChoiceField(label="Who can join", choices=Room.Access.choices)
    max_participants = forms.IntegerField(label="Participant limit", required=False)
    waiting_room = forms.BooleanField(
        label="Waiting room",
        required=False,
        help_text="People outside the organization wait until a host lets them in.",
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        low, high = participant_limit_bounds()
        field = self.fields["max_participants"]
        field.widget.attrs.update(min=low, max=high)
        field.help_text = f"From {low} to {high}; empty: the server's default."

    def clean_max_participants(self) -> int | None:
        value = self.cleaned_data["max_participants"]
        low, high = participant_limit_bounds()
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(
                f"The participant limit is between {low} and {high}, or empty for the default."
            )
        return value


class DeleteRoomForm(forms.Form):
    confirm_name = forms.CharField(label="Type the room's name to confirm", max_length=100)


class RetentionForm(forms.Form):
    """Days to keep each kind of record; empty: forever."""

    transcript_days = forms.IntegerField(label="Delete transcripts after (days)", required=False, min_value=1)
    chat_days = forms.IntegerField(label="Delete chat after (days)", required=False, min_value=1)
    summary_days = forms.IntegerField(label="Delete summaries after (days)", required=False, min_value=1)
    audit_days = forms.IntegerField(
        label="Delete audit log entries after (days)", required=False, min_value=30
    )
