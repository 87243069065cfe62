from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PassageOut")


@_attrs_define
class PassageOut:
    """
    Attributes:
        char_end (int):
        char_start (int):
        chunk_id (int): Read it whole at `GET /passages/{chunk_id}`.
        collection_id (UUID):
        document_id (UUID):
        document_name (str):
        heading (str): Heading path, e.g. “Install › Linux”.
        page (int | None):
        score (float): Of the list it is in: RRF when fused, rank score for keyword, cosine for vector.
        text (str):
        keyword_rank (int | None | Unset):
        vector_rank (int | None | Unset):
        vector_similarity (float | None | Unset):
    """

    char_end: int
    char_start: int
    chunk_id: int
    collection_id: UUID
    document_id: UUID
    document_name: str
    heading: str
    page: int | None
    score: float
    text: str
    keyword_rank: int | None | Unset = UNSET
    vector_rank: int | None | Unset = UNSET
    vector_similarity: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        char_end = self.char_end

        char_start = self.char_start

        chunk_id = self.chunk_id

        collection_id = str(self.collection_id)

        document_id = str(self.document_id)

        document_name = self.document_name

        heading = self.heading

        page: int | None
        page = self.page

        score = self.score

        text = self.text

        keyword_rank: int | None | Unset
        if isinstance(self.keyword_rank, Unset):
            keyword_rank = UNSET
        else:
            keyword_rank = self.keyword_rank

        vector_rank: int | None | Unset
        if isinstance(self.vector_rank, Unset):
            vector_rank = UNSET
        else:
            vector_rank = self.vector_rank

        vector_similarity: float | None | Unset
        if isinstance(self.vector_similarity, Unset):
            vector_similarity = UNSET
        else:
            vector_similarity = self.vector_similarity

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "char_end": char_end,
                "char_start": char_start,
                "chunk_id": chunk_id,
                "collection_id": collection_id,
                "document_id": document_id,
                "document_name": document_name,
                "heading": heading,
                "page": page,
                "score": score,
                "text": text,
            }
        )
        if keyword_rank is not UNSET:
            field_dict["keyword_rank"] = keyword_rank
        if vector_rank is not UNSET:
            field_dict["vector_rank"] = vector_rank
        if vector_similarity is not UNSET:
            field_dict["vector_similarity"] = vector_similarity

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        char_end = d.pop("char_end")

        char_start = d.pop("char_start")

        chunk_id = d.pop("chunk_id")

        collection_id = UUID(d.pop("collection_id"))

        document_id = UUID(d.pop("document_id"))

        document_name = d.pop("document_name")

        heading = d.pop("heading")

        def _parse_page(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        page = _parse_page(d.pop("page"))

        score = d.pop("score")

        text = d.pop("text")

        def _parse_keyword_rank(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        keyword_rank = _parse_keyword_rank(d.pop("keyword_rank", UNSET))

        def _parse_vector_rank(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        vector_rank = _parse_vector_rank(d.pop("vector_rank", UNSET))

        def _parse_vector_similarity(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        vector_similarity = _parse_vector_similarity(d.pop("vector_similarity", UNSET))

        passage_out = cls(
            char_end=char_end,
            char_start=char_start,
            chunk_id=chunk_id,
            collection_id=collection_id,
            document_id=document_id,
            document_name=document_name,
            heading=heading,
            page=page,
            score=score,
            text=text,
            keyword_rank=keyword_rank,
            vector_rank=vector_rank,
            vector_similarity=vector_similarity,
        )

        passage_out.additional_properties = d
        return passage_out

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
