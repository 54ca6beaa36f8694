from __future__ import annotations

from django import forms

from accounts.models import AuditEntry
from accounts.selectors import AuditFilter


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "All actions"), *AuditEntry.Action.choices]
    )
    actor = forms.CharField(label="Who", required=False, max_length=150)
    text = forms.CharField(label="Containing", required=False, max_length=200)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The start date is after the end date.")
        return data

    def to_filter(self) -> AuditFilter:
        d = self.cleaned_data
        return AuditFilter(
            action=d.get("action") or "",
            actor=(d.get("actor") or "").strip(),
            text=(d.get("text") or "").strip(),
            since=d.get("since"),
            until=d.get("until"),
        )
