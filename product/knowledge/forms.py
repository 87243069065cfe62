"""The knowledge pages' forms. Limits are said in words (services check them again), never cut.

No `max_length` on text fields: Django would render a `maxlength` and the browser would cut a
paste silently; the field carries `data-max-chars` for the live counter instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from product.knowledge import prompts


class CollectionForm(forms.Form):
    name = forms.CharField(
        label="Name",
        widget=forms.TextInput(
            attrs={
                "placeholder": "e.g. Team handbook",
                "data-max-chars": prompts.MAX_COLLECTION_NAME_CHARS,
            }
        ),
    )
    description = forms.CharField(
        label="Description",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "data-max-chars": prompts.MAX_DESCRIPTION_CHARS}),
    )

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split())
        if len(name) > prompts.MAX_COLLECTION_NAME_CHARS:
            raise forms.ValidationError(
                f"The name is {len(name)} characters long; the limit is "
                f"{prompts.MAX_COLLECTION_NAME_CHARS}."
            )
        return name

    def clean_description(self) -> str:
        description = str(self.cleaned_data["description"])
        if len(description) > prompts.MAX_DESCRIPTION_CHARS:
            raise forms.ValidationError(
                f"The description is {len(description):,} characters long; the limit is "
                f"{prompts.MAX_DESCRIPTION_CHARS:,}."
            )
        return description.strip()


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    """The files of one submit, as a list, unchecked: the view checks and reports each by name
    (a FileField would fail the whole form for one empty file)."""

    widget = MultipleFileInput

    def to_python(self, data: Any) -> list[Any]:
        if not data:
            return []
        return list(data) if isinstance(data, (list, tuple)) else [data]


class UploadForm(forms.Form):
    documents = MultipleFileField(
        label="Files",
        error_messages={"required": "Choose at least one file."},
        widget=MultipleFileInput(attrs={"data-dropzone-input": True}),
        help_text=(
            f"PDF, DOCX, HTML, Markdown or plain text; up to "
            f"{settings.KNOWLEDGE_MAX_UPLOAD_BYTES // 1_048_576} MB per file, "
            f"{prompts.MAX_FILES_PER_UPLOAD} files at a time."
        ),
    )

    def clean_documents(self) -> list[Any]:
        files: list[Any] = self.cleaned_data["documents"]
        if len(files) > prompts.MAX_FILES_PER_UPLOAD:
            raise forms.ValidationError(
                f"{len(files)} files were sent; upload at most {prompts.MAX_FILES_PER_UPLOAD} at "
                "a time."
            )
        return files


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search this collection",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Ask or type keywords…",
                "data-max-chars": prompts.MAX_QUERY_CHARS,
            }
        ),
    )
    k = forms.IntegerField(
        label="Passages",
        required=False,
        min_value=1,
        max_value=prompts.MAX_SEARCH_K,
        initial=prompts.DEFAULT_SEARCH_K,
    )

    def clean_q(self) -> str:
        query = str(self.cleaned_data["q"]).strip()
        if len(query) > prompts.MAX_QUERY_CHARS:
            raise forms.ValidationError(
                f"The search is {len(query):,} characters long; the limit is "
                f"{prompts.MAX_QUERY_CHARS:,}."
            )
        return query

    def clean_k(self) -> int:
        return int(self.cleaned_data.get("k") or prompts.DEFAULT_SEARCH_K)


def embedding_model_choices() -> list[tuple[str, str]]:
    return [
        (model, f"{model} ({int(spec['dimensions'])} dimensions)")
        for model, spec in sorted(settings.KNOWLEDGE_EMBEDDING_MODELS.items())
    ]


class EmbeddingModelForm(forms.Form):
    model = forms.ChoiceField(label="Embedding model", choices=embedding_model_choices)
