from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.utils import timezone

from product.apikeys.models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Say where it will live, e.g. “CI deploy” or “Zapier”.",
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.READ],
        help_text="Read lists and fetches; write creates jobs and messages.",
    )
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The key stops working at the start of this day (UTC).",
    )

    def clean_expires_on(self) -> date | None:
        value: date | None = self.cleaned_data.get("expires_on")
        if value is not None and value <= timezone.now().date():
            raise forms.ValidationError("Pick a day after today.")
        return value

    def expires_at(self) -> datetime | None:
        value: date | None = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        return datetime.combine(value, time.min, tzinfo=timezone.get_current_timezone())
