from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.job_out import JobOut


T = TypeVar("T", bound="DocumentOut")


@_attrs_define
class DocumentOut:
    """
    Attributes:
        chunk_count (int):
        collection_id (UUID):
        created_at (datetime.datetime):
        embedded_count (int): Chunks embedded so far (of `chunk_count`).
        error_code (str):
        error_message (str): Why it failed, for a person; empty unless failed.
        generation (int): The version: each changed re-upload adds one.
        id (UUID):
        job (JobOut | None): The latest ingestion job.
        kind (str): pdf, docx, html, markdown or text
        name (str):
        page_count (int | None): PDFs only.
        progress (int): The ingestion job's progress, in percent.
        sha256 (str):
        size_bytes (int):
        status (str): queued, parsing, chunking, embedding, indexing, ready or failed
        title (str):
        updated_at (datetime.datetime):
    """

    chunk_count: int
    collection_id: UUID
    created_at: datetime.datetime
    embedded_count: int
    error_code: str
    error_message: str
    generation: int
    id: UUID
    job: JobOut | None
    kind: str
    name: str
    page_count: int | None
    progress: int
    sha256: str
    size_bytes: int
    status: str
    title: str
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_out import JobOut  # noqa: PLC0415

        chunk_count = self.chunk_count

        collection_id = str(self.collection_id)

        created_at = self.created_at.isoformat()

        embedded_count = self.embedded_count

        error_code = self.error_code

        error_message = self.error_message

        generation = self.generation

        id = str(self.id)

        job: dict[str, Any] | None
        if isinstance(self.job, JobOut):
            job = self.job.to_dict()
        else:
            job = self.job

        kind = self.kind

        name = self.name

        page_count: int | None
        page_count = self.page_count

        progress = self.progress

        sha256 = self.sha256

        size_bytes = self.size_bytes

        status = self.status

        title = self.title

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "chunk_count": chunk_count,
                "collection_id": collection_id,
                "created_at": created_at,
                "embedded_count": embedded_count,
                "error_code": error_code,
                "error_message": error_message,
                "generation": generation,
                "id": id,
                "job": job,
                "kind": kind,
                "name": name,
                "page_count": page_count,
                "progress": progress,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "status": status,
                "title": title,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_out import JobOut  # noqa: PLC0415

        d = dict(src_dict)
        chunk_count = d.pop("chunk_count")

        collection_id = UUID(d.pop("collection_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        embedded_count = d.pop("embedded_count")

        error_code = d.pop("error_code")

        error_message = d.pop("error_message")

        generation = d.pop("generation")

        id = UUID(d.pop("id"))

        def _parse_job(data: object) -> JobOut | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                job_type_0 = JobOut.from_dict(data)

                return job_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobOut | None, data)

        job = _parse_job(d.pop("job"))

        kind = d.pop("kind")

        name = d.pop("name")

        def _parse_page_count(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        page_count = _parse_page_count(d.pop("page_count"))

        progress = d.pop("progress")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        status = d.pop("status")

        title = d.pop("title")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        document_out = cls(
            chunk_count=chunk_count,
            collection_id=collection_id,
            created_at=created_at,
            embedded_count=embedded_count,
            error_code=error_code,
            error_message=error_message,
            generation=generation,
            id=id,
            job=job,
            kind=kind,
            name=name,
            page_count=page_count,
            progress=progress,
            sha256=sha256,
            size_bytes=size_bytes,
            status=status,
            title=title,
            updated_at=updated_at,
        )

        document_out.additional_properties = d
        return document_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
