from __future__ import annotations

from typing import Any

from django import forms

from product.ask import prompts


class QuestionForm(forms.Form):
    # No `max_length` on the fields: Django would put `maxlength` on the textarea, and the browser
    # would silently cut a long paste. The page shows a live counter; clean_* says what is wrong.
    text = forms.CharField(
        label="Text",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "placeholder": "Paste the text to work on…",
                "data-max-chars": prompts.MAX_TEXT_CHARS,
            }
        ),
    )
    task = forms.ChoiceField(
        label="Task",
        choices=prompts.Task.choices,
        initial=prompts.Task.SUMMARISE,
        widget=forms.RadioSelect,
    )
    instruction = forms.CharField(
        label="Custom instruction",
        required=False,
        help_text="Used with “Custom instruction”, e.g. “List every date mentioned”.",
        widget=forms.TextInput(
            attrs={
                "placeholder": "What should the model do with the text?",
                "data-max-chars": prompts.MAX_INSTRUCTION_CHARS,
            }
        ),
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Paste some text first.")
        if len(text) > prompts.MAX_TEXT_CHARS:
            raise forms.ValidationError(
                f"This text is {len(text):,} characters long; the limit is "
                f"{prompts.MAX_TEXT_CHARS:,}. Shorten it or split it into parts."
            )
        return text

    def clean_instruction(self) -> str:
        instruction: str = self.cleaned_data["instruction"]
        if len(instruction) > prompts.MAX_INSTRUCTION_CHARS:
            raise forms.ValidationError(
                f"The instruction is {len(instruction):,} characters long; the limit is "
                f"{prompts.MAX_INSTRUCTION_CHARS:,}."
            )
        return instruction

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("task") == prompts.Task.CUSTOM and not (data.get("instruction") or "").strip():
            self.add_error("instruction", "Write the instruction for a custom task.")
        return data
