from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.workspace_ref import WorkspaceRef


T = TypeVar("T", bound="MeOut")


@_attrs_define
class MeOut:
    """Who the API thinks you are: the user, the workspace the call acts in, the scopes.

    Attributes:
        email (str):
        key_prefix (None | str): The calling key's prefix; null for a browser session.
        scopes (list[str]):
        workspace (WorkspaceRef):
    """

    email: str
    key_prefix: None | str
    scopes: list[str]
    workspace: WorkspaceRef
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        email = self.email

        key_prefix: None | str
        key_prefix = self.key_prefix

        scopes = self.scopes

        workspace = self.workspace.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "email": email,
                "key_prefix": key_prefix,
                "scopes": scopes,
                "workspace": workspace,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workspace_ref import WorkspaceRef  # noqa: PLC0415

        d = dict(src_dict)
        email = d.pop("email")

        def _parse_key_prefix(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        key_prefix = _parse_key_prefix(d.pop("key_prefix"))

        scopes = cast(list[str], d.pop("scopes"))

        workspace = WorkspaceRef.from_dict(d.pop("workspace"))

        me_out = cls(
            email=email,
            key_prefix=key_prefix,
            scopes=scopes,
            workspace=workspace,
        )

        me_out.additional_properties = d
        return me_out

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
