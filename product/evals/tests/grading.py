"""Grading a case in tests: a real GradeContext, and a JobLink that keeps what the gateway hands it.

`RecordingLink` does what the run's case link does (runner.py): it collects the charges the
gateway defers and every ledger row it makes, and `write()` writes the charges in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from product.accounts.models import User, Workspace
from product.evals.models import DatasetItem
from product.evals.registry import Grade, GradeContext, TargetOutput, get_grader
from product.llm.gateway import PendingCharge
from product.llm.models import LLMCall


@dataclass
class RecordingLink:
    job_id: uuid.UUID = field(default_factory=uuid.uuid4)
    charges: list[PendingCharge] = field(default_factory=list)
    calls: list[LLMCall] = field(default_factory=list)

    def defer_charge(self, charge: PendingCharge) -> None:
        self.charges.append(charge)

    def note_call(self, call: LLMCall) -> None:
        self.calls.append(call)

    def write(self) -> None:
        with transaction.atomic():
            for charge in self.charges:
                charge.write()
        self.charges.clear()


def item(
    *,
    input: dict[str, Any] | None = None,
    reference: str = "",
    expected_sources: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> DatasetItem:
    """An item as graders see it (unsaved: graders only read it)."""
    return DatasetItem(
        input=input if input is not None else {"question": "What is asked?"},
        reference=reference,
        expected_sources=expected_sources or [],
        metadata=metadata or {},
        position=0,
    )


def context(
    output: str | TargetOutput,
    *,
    params: dict[str, Any] | None = None,
    workspace: Workspace | None = None,
    user: User | None = None,
    link: RecordingLink | None = None,
    **item_fields: Any,
) -> GradeContext:
    return GradeContext(
        workspace=workspace if workspace is not None else Workspace(name="Acme"),
        user=user,
        item=item(**item_fields),
        output=output if isinstance(output, TargetOutput) else TargetOutput(text=output),
        params=params or {},
        link=link if link is not None else RecordingLink(),
    )


def grade(name: str, output: str | TargetOutput, **kwargs: Any) -> Grade:
    """Grade one case with the registered grader `name` (Unscored propagates)."""
    return get_grader(name).grade(context(output, **kwargs))
