from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PassageDetailOut")


@_attrs_define
class PassageDetailOut:
    """
    Attributes:
        after (str): The passage after it (empty at the end).
        before (str): The passage before it in the document (empty at the start).
        char_end (int):
        char_start (int):
        collection_id (UUID):
        document_id (UUID):
        document_name (str):
        heading (str):
        id (int):
        locator (str):
        ordinal (int): Position in the document, from 0.
        page (int | None):
        text (str):
    """

    after: str
    before: str
    char_end: int
    char_start: int
    collection_id: UUID
    document_id: UUID
    document_name: str
    heading: str
    id: int
    locator: str
    ordinal: int
    page: int | None
    text: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        after = self.after

        before = self.before

        char_end = self.char_end

        char_start = self.char_start

        collection_id = str(self.collection_id)

        document_id = str(self.document_id)

        document_name = self.document_name

        heading = self.heading

        id = self.id

        locator = self.locator

        ordinal = self.ordinal

        page: int | None
        page = self.page

        text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "after": after,
                "before": before,
                "char_end": char_end,
                "char_start": char_start,
                "collection_id": collection_id,
                "document_id": document_id,
                "document_name": document_name,
                "heading": heading,
                "id": id,
                "locator": locator,
                "ordinal": ordinal,
                "page": page,
                "text": text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        after = d.pop("after")

        before = d.pop("before")

        char_end = d.pop("char_end")

        char_start = d.pop("char_start")

        collection_id = UUID(d.pop("collection_id"))

        document_id = UUID(d.pop("document_id"))

        document_name = d.pop("document_name")

        heading = d.pop("heading")

        id = d.pop("id")

        locator = d.pop("locator")

        ordinal = d.pop("ordinal")

        def _parse_page(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        page = _parse_page(d.pop("page"))

        text = d.pop("text")

        passage_detail_out = cls(
            after=after,
            before=before,
            char_end=char_end,
            char_start=char_start,
            collection_id=collection_id,
            document_id=document_id,
            document_name=document_name,
            heading=heading,
            id=id,
            locator=locator,
            ordinal=ordinal,
            page=page,
            text=text,
        )

        passage_detail_out.additional_properties = d
        return passage_detail_out

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
