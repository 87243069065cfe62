"""Tools a model may call: the registry, and running one call safely.

An app registers its tools in its own `tools.py` (imported when the llm app is ready, like
`handlers.py` for jobs):

    register_tool(Tool(
        name="current_time",
        description="The current date and time in a time zone.",
        args=CurrentTimeArgs,            # a pydantic model: the JSON Schema the model sees
        run=current_time,                # (ToolScope, CurrentTimeArgs) -> ToolOutput
        label="Checked the time",
    ))

What keeps a tool inside the caller's rights is the `ToolScope` it runs with: the workspace, the
user and the feature's own context (e.g. the conversation's collection), all chosen by Keel's code
and never by the model. A tool reads them from the scope, not from its arguments, so no argument
the model writes (or a document talks it into writing) can reach another workspace's data.
`available(scope)` decides whether the tool is offered at all; a call of a tool that was not
offered is answered as an error, like any other failure.

Every failure is a result the model reads ("Error: ..."), never an exception out of the loop:
arguments that are not JSON or not valid for the model, a `ToolError` the tool raises for an
expected problem, an unexpected exception (logged; the model gets its type only), a timeout.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import pydantic
from django.conf import settings

from product.accounts.models import User, Workspace

logger = logging.getLogger(__name__)
ERROR_PREFIX = "Error: "
# OpenAI's rule for a function's name: letters, digits, `_` and `-`, at most 64.
NAME_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ToolError(Exception):
    """A tool's expected failure ("no such time zone"): its text is the result the model reads."""


@dataclass(frozen=True)
class ToolScope:
    """What a tool runs with: the calling user's and workspace's rights, and the feature's context.

    `job` is the gateway's JobLink when the reply runs in one (a tool that calls the gateway, such
    as a search that embeds its query, passes it on so the call is ledgered under the job).
    """

    workspace: Workspace
    user: User | None
    job: Any = None
    context: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only for the tools, which run side by side on their own threads.
        object.__setattr__(self, "context", MappingProxyType(dict(self.context)))


@dataclass(frozen=True)
class ToolOutput:
    """A tool's answer: `content` is what the model reads, `display` one line for people (the
    chat's tool step), `data` anything the feature uses afterwards in-process (found passages)."""

    content: str
    display: str = ""
    data: Any = None


def _always(scope: ToolScope) -> bool:
    return True


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[pydantic.BaseModel]
    run: Callable[[ToolScope, Any], ToolOutput]
    timeout_s: float | None = None  # None: settings.LLM_TOOL_TIMEOUT_S
    available: Callable[[ToolScope], bool] = _always
    label: str = ""  # what a person reads in the step line ("Searched documents")

    def spec(self) -> dict[str, Any]:
        """The tool as the request's `tools` list carries it (OpenAI's function-tool format)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                # A copy: the request may be changed on its way out, the cached schema must not.
                "parameters": copy.deepcopy(_parameters(self.args)),
            },
        }

    @property
    def time_limit_s(self) -> float:
        return self.timeout_s if self.timeout_s is not None else settings.LLM_TOOL_TIMEOUT_S


@lru_cache(maxsize=256)
def _parameters(args: type[pydantic.BaseModel]) -> dict[str, Any]:
    # Building a JSON schema walks the model each time (about 2 % of a chat reply's worker CPU,
    # bench/ttft.py); a model class's schema never changes while the process runs.
    return args.model_json_schema()


_registry: dict[str, Tool] = {}


def register_tool(tool: Tool) -> Tool:
    """Add a tool (once per name: a second registration of the same name is a mistake)."""
    if not NAME_SHAPE.fullmatch(tool.name):
        raise ValueError(f"A tool's name is letters, digits, _ and -, at most 64: {tool.name!r}")
    existing = _registry.get(tool.name)
    if existing is not None and existing is not tool:
        raise ValueError(f"A tool named {tool.name!r} is registered already.")
    _registry[tool.name] = tool
    return tool


def unregister_tool(name: str) -> None:
    """For tests that register a tool of their own."""
    _registry.pop(name, None)


def get_tool(name: str) -> Tool | None:
    return _registry.get(name)


def tools_for(scope: ToolScope, names: Iterable[str] | None = None) -> list[Tool]:
    """The registered tools (or the named ones) this scope may use, in registration order."""
    wanted = None if names is None else set(names)
    return [
        tool
        for tool in _registry.values()
        if (wanted is None or tool.name in wanted) and tool.available(scope)
    ]


@dataclass
class ToolRun:
    """How one call went: what the model reads back, and what the step line shows."""

    ok: bool
    content: str
    display: str = ""
    error: str = ""
    data: Any = None
    elapsed_ms: int = 0
    arguments: Any = None  # the parsed arguments, or the raw text when they were not JSON


def error_run(message: str, *, arguments: Any = None, elapsed_ms: int = 0) -> ToolRun:
    return ToolRun(
        ok=False,
        content=ERROR_PREFIX + message,
        error=message,
        arguments=arguments,
        elapsed_ms=elapsed_ms,
    )


def _argument_errors(error: pydantic.ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False)[:10]:
        where = ".".join(str(part) for part in item.get("loc", ())) or "arguments"
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(problems)


def parse_arguments(tool: Tool, raw: str) -> tuple[Any, pydantic.BaseModel | None, str]:
    """(what to show as the arguments, the validated model or None, the error when None)."""
    try:
        loaded = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        return raw, None, f"the arguments are not valid JSON ({exc.msg} at character {exc.pos})."
    if not isinstance(loaded, dict):
        return loaded, None, "the arguments must be a JSON object."
    try:
        return loaded, tool.args.model_validate(loaded), ""
    except pydantic.ValidationError as exc:
        return loaded, None, f"invalid arguments for {tool.name}: {_argument_errors(exc)}."


def clip(content: str) -> str:
    """At most LLM_TOOL_RESULT_MAX_CHARS of a result, with the cut said in it (never silent)."""
    limit = settings.LLM_TOOL_RESULT_MAX_CHARS
    if len(content) <= limit:
        return content
    left = len(content) - limit
    return f"{content[:limit]}\n[The result was cut here: {left:,} more characters not shown.]"


def execute(tool: Tool, scope: ToolScope, arguments: pydantic.BaseModel) -> ToolRun:
    """Run a validated call; every failure becomes an error result (see the module docstring)."""
    started = time.monotonic()
    shown = arguments.model_dump(mode="json")
    try:
        output = tool.run(scope, arguments)
    except ToolError as exc:
        return error_run(str(exc), arguments=shown, elapsed_ms=_ms(started))
    except Exception as exc:
        logger.exception("tool %s failed", tool.name)
        return error_run(
            f"the tool failed ({type(exc).__name__}). Try another way or answer without it.",
            arguments=shown,
            elapsed_ms=_ms(started),
        )
    return ToolRun(
        ok=True,
        content=clip(output.content),
        display=output.display,
        data=output.data,
        elapsed_ms=_ms(started),
        arguments=shown,
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
