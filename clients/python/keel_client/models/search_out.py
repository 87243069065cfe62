from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.passage_out import PassageOut


T = TypeVar("T", bound="SearchOut")


@_attrs_define
class SearchOut:
    """
    Attributes:
        fused (list[PassageOut]): Both legs fused by reciprocal rank.
        index_model (None | str): The embedding model that answered (null: none yet).
        keyword (list[PassageOut]):
        query (str):
        vector (list[PassageOut]):
    """

    fused: list[PassageOut]
    index_model: None | str
    keyword: list[PassageOut]
    query: str
    vector: list[PassageOut]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fused = []
        for fused_item_data in self.fused:
            fused_item = fused_item_data.to_dict()
            fused.append(fused_item)

        index_model: None | str
        index_model = self.index_model

        keyword = []
        for keyword_item_data in self.keyword:
            keyword_item = keyword_item_data.to_dict()
            keyword.append(keyword_item)

        query = self.query

        vector = []
        for vector_item_data in self.vector:
            vector_item = vector_item_data.to_dict()
            vector.append(vector_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fused": fused,
                "index_model": index_model,
                "keyword": keyword,
                "query": query,
                "vector": vector,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.passage_out import PassageOut  # noqa: PLC0415

        d = dict(src_dict)
        fused = []
        _fused = d.pop("fused")
        for fused_item_data in _fused:
            fused_item = PassageOut.from_dict(fused_item_data)

            fused.append(fused_item)

        def _parse_index_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        index_model = _parse_index_model(d.pop("index_model"))

        keyword = []
        _keyword = d.pop("keyword")
        for keyword_item_data in _keyword:
            keyword_item = PassageOut.from_dict(keyword_item_data)

            keyword.append(keyword_item)

        query = d.pop("query")

        vector = []
        _vector = d.pop("vector")
        for vector_item_data in _vector:
            vector_item = PassageOut.from_dict(vector_item_data)

            vector.append(vector_item)

        search_out = cls(
            fused=fused,
            index_model=index_model,
            keyword=keyword,
            query=query,
            vector=vector,
        )

        search_out.additional_properties = d
        return search_out

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
