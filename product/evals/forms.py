"""The evaluation pages' forms. JSON fields say where the JSON is wrong, in words; the services
check the values again (the target's input shape), so the API and the pages refuse the same."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from product.evals import io, registry
from product.evals.models import Dataset, Feedback
from product.evals.services import MAX_COMMENT_CHARS, MAX_DATASET_NAME_CHARS


def target_choices() -> list[tuple[str, str]]:
    return [(t.name, t.label) for t in registry.targets()]


class DatasetForm(forms.Form):
    name = forms.CharField(
        label="Name",
        widget=forms.TextInput(
            attrs={
                "placeholder": "e.g. Support questions",
                "data-max-chars": MAX_DATASET_NAME_CHARS,
            }
        ),
    )
    target = forms.ChoiceField(
        label="Cases for",
        choices=target_choices,
        help_text="The feature the items are inputs of; runs call it on each item.",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _json_object(text: str, label: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"This is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from exc
    if not isinstance(value, dict):
        raise forms.ValidationError(f'The {label} must be a JSON object, like {{"text": "…"}}.')
    return value


def _words(text: str) -> list[str]:
    """One per line, or separated by `;` or `,`."""
    parts = text.replace(";", "\n").replace(",", "\n").splitlines()
    return [part.strip() for part in parts if part.strip()]


class ItemForm(forms.Form):
    input = forms.CharField(
        label="Input (JSON)",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "class": "mono"}),
    )
    reference = forms.CharField(
        label="Reference output",
        required=False,
        strip=False,
        help_text="The expected answer, when there is one.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expected_sources = forms.CharField(
        label="Expected sources",
        required=False,
        help_text="Document names, one per line (for retrieval recall).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tags = forms.CharField(label="Tags", required=False, help_text="Separated by commas.")
    metadata = forms.CharField(
        label="Metadata (JSON)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "mono"}),
    )

    def __init__(self, *args: Any, target: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        try:
            example = _input_example(registry.get_target(target))
        except LookupError:
            example = "{}"
        self.fields["input"].widget.attrs["placeholder"] = example
        self.fields["input"].help_text = f"The feature's input, as a JSON object, e.g. {example}"

    def clean_input(self) -> dict[str, Any]:
        return _json_object(self.cleaned_data["input"], "input")

    def clean_metadata(self) -> dict[str, Any]:
        text = self.cleaned_data["metadata"]
        return _json_object(text, "metadata") if text.strip() else {}

    def clean_expected_sources(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["expected_sources"].splitlines()
            if line.strip()
        ]

    def clean_tags(self) -> list[str]:
        return _words(self.cleaned_data["tags"])

    @classmethod
    def for_item(cls, item: Any, *, target: str) -> ItemForm:
        return cls(
            target=target,
            initial={
                "input": json.dumps(item.input, indent=2, ensure_ascii=False),
                "reference": item.reference,
                "expected_sources": "\n".join(item.expected_sources),
                "tags": ", ".join(item.tags),
                "metadata": json.dumps(item.metadata, indent=2, ensure_ascii=False)
                if item.metadata
                else "",
            },
        )


def _input_example(spec: registry.Target) -> str:
    """A one-line example input from the target's input model's required fields."""
    schema = spec.input_model.model_json_schema()
    example: dict[str, Any] = {}
    for name in schema.get("required", []):
        field_schema = schema.get("properties", {}).get(name, {})
        if field_schema.get("type") == "array":
            example[name] = [{"role": "user", "content": "…"}]
        else:
            example[name] = "…"
    return json.dumps(example or {"text": "…"}, ensure_ascii=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=(
            "JSONL (one object per line) or CSV with the columns "
            f"{', '.join(io.COLUMNS)}; input and metadata as JSON."
        ),
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "From the file name"), ("jsonl", "JSONL"), ("csv", "CSV")],
    )
    replace = forms.BooleanField(
        label="Replace all items (otherwise the rows are added)", required=False
    )


class FeedbackForm(forms.Form):
    rating = forms.ChoiceField(choices=Feedback.Rating.choices)
    comment = forms.CharField(required=False, strip=True)

    def clean_comment(self) -> str:
        comment: str = self.cleaned_data["comment"]
        if len(comment) > MAX_COMMENT_CHARS:
            raise forms.ValidationError(
                f"The comment is {len(comment):,} characters long; the limit is {MAX_COMMENT_CHARS:,}."
            )
        return comment


class AddToDatasetForm(forms.Form):
    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(),
        label="Dataset",
        empty_label=None,
        error_messages={"invalid_choice": "Pick one of this workspace's datasets."},
    )

    def __init__(self, *args: Any, datasets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["dataset"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = datasets
