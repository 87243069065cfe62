from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CitationOut")


@_attrs_define
class CitationOut:
    """
    Attributes:
        document_id (UUID):
        document_name (str):
        locator (str): Where in the document: page and heading path, when known.
        n (int): The marker `[n]` in `text` that cites this passage.
        passage_id (int): The cited passage (a chunk): GET /knowledge/passages/{passage_id}/.
        snippet (str): The passage's beginning.
    """

    document_id: UUID
    document_name: str
    locator: str
    n: int
    passage_id: int
    snippet: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        document_id = str(self.document_id)

        document_name = self.document_name

        locator = self.locator

        n = self.n

        passage_id = self.passage_id

        snippet = self.snippet

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "document_id": document_id,
                "document_name": document_name,
                "locator": locator,
                "n": n,
                "passage_id": passage_id,
                "snippet": snippet,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        document_id = UUID(d.pop("document_id"))

        document_name = d.pop("document_name")

        locator = d.pop("locator")

        n = d.pop("n")

        passage_id = d.pop("passage_id")

        snippet = d.pop("snippet")

        citation_out = cls(
            document_id=document_id,
            document_name=document_name,
            locator=locator,
            n=n,
            passage_id=passage_id,
            snippet=snippet,
        )

        citation_out.additional_properties = d
        return citation_out

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
