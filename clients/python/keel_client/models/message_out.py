from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.citation_out import CitationOut
    from ..models.message_error import MessageError
    from ..models.message_usage_out import MessageUsageOut
    from ..models.tool_step_out import ToolStepOut


T = TypeVar("T", bound="MessageOut")


@_attrs_define
class MessageOut:
    """
    Attributes:
        conversation_id (UUID):
        created_at (datetime.datetime):
        id (UUID):
        role (str): user or assistant
        status (str): queued, streaming, done, stopped or failed
        stream_cursor (str): Cursor of the last delta included in `text`: resume the stream after it.
        text (str): Markdown; partial while streaming. A finished grounded reply cites its sources as `[n]` markers (see
            `citations`); markers of passages you can no longer read (their document was deleted) are left out.
        citations (list[CitationOut] | Unset): The passages a finished grounded reply cites, that you can still read.
        error (MessageError | None | Unset):
        finished_at (datetime.datetime | None | Unset):
        tool_steps (list[ToolStepOut] | Unset): The tools the reply called, in order (the last state of each call);
            partial while streaming, like `text`.
        usage (MessageUsageOut | None | Unset):
    """

    conversation_id: UUID
    created_at: datetime.datetime
    id: UUID
    role: str
    status: str
    stream_cursor: str
    text: str
    citations: list[CitationOut] | Unset = UNSET
    error: MessageError | None | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    tool_steps: list[ToolStepOut] | Unset = UNSET
    usage: MessageUsageOut | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.message_error import MessageError  # noqa: PLC0415
        from ..models.message_usage_out import MessageUsageOut  # noqa: PLC0415

        conversation_id = str(self.conversation_id)

        created_at = self.created_at.isoformat()

        id = str(self.id)

        role = self.role

        status = self.status

        stream_cursor = self.stream_cursor

        text = self.text

        citations: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.citations, Unset):
            citations = []
            for citations_item_data in self.citations:
                citations_item = citations_item_data.to_dict()
                citations.append(citations_item)

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, MessageError):
            error = self.error.to_dict()
        else:
            error = self.error

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        tool_steps: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.tool_steps, Unset):
            tool_steps = []
            for tool_steps_item_data in self.tool_steps:
                tool_steps_item = tool_steps_item_data.to_dict()
                tool_steps.append(tool_steps_item)

        usage: dict[str, Any] | None | Unset
        if isinstance(self.usage, Unset):
            usage = UNSET
        elif isinstance(self.usage, MessageUsageOut):
            usage = self.usage.to_dict()
        else:
            usage = self.usage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "created_at": created_at,
                "id": id,
                "role": role,
                "status": status,
                "stream_cursor": stream_cursor,
                "text": text,
            }
        )
        if citations is not UNSET:
            field_dict["citations"] = citations
        if error is not UNSET:
            field_dict["error"] = error
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if tool_steps is not UNSET:
            field_dict["tool_steps"] = tool_steps
        if usage is not UNSET:
            field_dict["usage"] = usage

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.citation_out import CitationOut  # noqa: PLC0415
        from ..models.message_error import MessageError  # noqa: PLC0415
        from ..models.message_usage_out import MessageUsageOut  # noqa: PLC0415
        from ..models.tool_step_out import ToolStepOut  # noqa: PLC0415

        d = dict(src_dict)
        conversation_id = UUID(d.pop("conversation_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        role = d.pop("role")

        status = d.pop("status")

        stream_cursor = d.pop("stream_cursor")

        text = d.pop("text")

        _citations = d.pop("citations", UNSET)
        citations: list[CitationOut] | Unset = UNSET
        if _citations is not UNSET:
            citations = []
            for citations_item_data in _citations:
                citations_item = CitationOut.from_dict(citations_item_data)

                citations.append(citations_item)

        def _parse_error(data: object) -> MessageError | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = MessageError.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageError | None | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        _tool_steps = d.pop("tool_steps", UNSET)
        tool_steps: list[ToolStepOut] | Unset = UNSET
        if _tool_steps is not UNSET:
            tool_steps = []
            for tool_steps_item_data in _tool_steps:
                tool_steps_item = ToolStepOut.from_dict(tool_steps_item_data)

                tool_steps.append(tool_steps_item)

        def _parse_usage(data: object) -> MessageUsageOut | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_0 = MessageUsageOut.from_dict(data)

                return usage_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageUsageOut | None | Unset, data)

        usage = _parse_usage(d.pop("usage", UNSET))

        message_out = cls(
            conversation_id=conversation_id,
            created_at=created_at,
            id=id,
            role=role,
            status=status,
            stream_cursor=stream_cursor,
            text=text,
            citations=citations,
            error=error,
            finished_at=finished_at,
            tool_steps=tool_steps,
            usage=usage,
        )

        message_out.additional_properties = d
        return message_out

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
