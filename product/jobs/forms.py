from __future__ import annotations

from typing import Any

from django import forms

from product.jobs import prompts


class AskOnceForm(forms.Form):
    text = forms.CharField(
        label="Text",
        max_length=prompts.MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "Paste the text to work on…"}),
    )
    task = forms.ChoiceField(
        label="Task",
        choices=list(prompts.TASKS.items()),
        initial=prompts.SUMMARISE,
        widget=forms.RadioSelect,
    )
    instruction = forms.CharField(
        label="Custom instruction",
        required=False,
        max_length=prompts.MAX_INSTRUCTION_CHARS,
        help_text="Used with “Custom instruction”, e.g. “List every date mentioned”.",
        widget=forms.TextInput(attrs={"placeholder": "What should the model do with the text?"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("task") == prompts.CUSTOM and not (data.get("instruction") or "").strip():
            self.add_error("instruction", "Write the instruction for a custom task.")
        return data
