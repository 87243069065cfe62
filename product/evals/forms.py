"""The evaluation pages' forms. JSON fields say where the JSON is wrong, in words; the services
check the values again (the target's input shape), so the API and the pages refuse the same."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings

from product.evals import io, registry, runs
from product.evals.models import Dataset, Feedback
from product.evals.services import MAX_COMMENT_CHARS, MAX_DATASET_NAME_CHARS, target_label


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


class RunForm(forms.Form):
    """A run's settings; one checkbox, params (JSON) and threshold per registered grader."""

    dataset = forms.ChoiceField(label="Dataset")
    version = forms.IntegerField(
        label="Version", required=False, min_value=1, help_text="Empty: the current version."
    )
    prompt_version = forms.ChoiceField(label="Prompt version", required=False)
    model = forms.ChoiceField(label="Model", required=False)
    temperature = forms.FloatField(
        label="Temperature", required=False, min_value=0, max_value=2, help_text="Empty: default."
    )
    collection_id = forms.UUIDField(
        label="Collection id",
        required=False,
        help_text="Grounded answers only: the collection to answer from (its page shows the id).",
    )
    top_k = forms.IntegerField(label="Passages (top k)", initial=5, min_value=1, max_value=50)
    repeats = forms.IntegerField(
        label="Repeats", initial=1, min_value=1, max_value=runs.MAX_REPEATS
    )
    concurrency = forms.IntegerField(label="Cases in flight", required=False, min_value=1)
    name = forms.CharField(label="Name", required=False, max_length=200)

    def __init__(self, *args: Any, datasets: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The cap is a setting: read when the form is made, not when the module is imported.
        self.fields["concurrency"] = forms.IntegerField(
            label="Cases in flight",
            required=False,
            min_value=1,
            max_value=int(settings.EVAL_MAX_CONCURRENCY),
            help_text="Empty: the default.",
        )
        dataset_field: Any = self.fields["dataset"]
        dataset_field.choices = [
            (str(d.pk), f"{d.name} ({target_label(d.target)}, v{d.current_version})")
            for d in datasets
        ]
        # "target:version" values, grouped by target: the dataset decides which group applies.
        version_field: Any = self.fields["prompt_version"]
        version_field.choices = [("", "The target's current version")] + [
            (
                target.label,
                [
                    (f"{target.name}:{number}", f"v{number} — {description}")
                    for number, description in target.prompt_versions.items()
                ],
            )
            for target in registry.targets()
        ]
        model_field: Any = self.fields["model"]
        model_field.choices = [("", f"Default ({settings.LLM_MODEL})")] + [
            (name, name) for name in sorted(settings.LLM_CATALOG)
        ]
        self.graders = registry.graders()
        # Ticked to start with: the graders the first offered dataset's feature suggests.
        chosen = str(self.initial.get("dataset") or "")
        first = next(
            (d for d in datasets if str(d.pk) == chosen), datasets[0] if datasets else None
        )
        feature = target_of(first.target) if first else None
        suggested = set(feature.default_graders) if feature else set()
        for grader in self.graders:
            self.fields[f"grader_{grader.name}"] = forms.BooleanField(
                label=grader.label,
                required=False,
                help_text=grader.description,
                initial=grader.name in suggested,
            )
            self.fields[f"params_{grader.name}"] = forms.CharField(
                label="Params (JSON)",
                required=False,
                initial=json.dumps(dict(grader.params)),
                widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
            )
            self.fields[f"threshold_{grader.name}"] = forms.FloatField(
                label="Pass at",
                required=False,
                min_value=0,
                max_value=1,
                initial=grader.default_threshold,
            )

    def grader_rows(self) -> list[tuple[registry.Grader, Any, Any, Any]]:
        return [
            (g, self[f"grader_{g.name}"], self[f"params_{g.name}"], self[f"threshold_{g.name}"])
            for g in self.graders
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        specs = []
        for grader in self.graders:
            if not data.get(f"grader_{grader.name}"):
                continue
            raw = (data.get(f"params_{grader.name}") or "").strip() or "{}"
            try:
                params = json.loads(raw)
            except json.JSONDecodeError as exc:
                self.add_error(f"params_{grader.name}", f"Not valid JSON: {exc.msg}.")
                continue
            if not isinstance(params, dict):
                self.add_error(f"params_{grader.name}", "Params are a JSON object: {…}.")
                continue
            specs.append(
                registry.GraderSpec(
                    name=grader.name, params=params, threshold=data.get(f"threshold_{grader.name}")
                )
            )
        if not specs and not self.errors:
            self.add_error(None, "Pick at least one grader.")
        data["grader_specs"] = specs
        return data


def target_of(name: str) -> registry.Target | None:
    try:
        return registry.get_target(name)
    except LookupError:  # a dataset of a feature that is gone
        return None
