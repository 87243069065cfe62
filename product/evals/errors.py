"""The evaluation feature's one error family (product.core.errors.KeelError)."""

from __future__ import annotations

from product.core.errors import KeelError


class EvalError(KeelError):
    """A dataset, feedback or run rule was broken; the message says which and what to do."""

    default_status = 422
    default_code = "evaluation_invalid"
    default_message = "This evaluation request is not valid."


class ImportRejected(EvalError):
    """An import with rows that are not valid: nothing was stored. `details` lists each row's
    problems as {"row": n, "field": "input.text", "message": "..."} (rows count from 1)."""

    default_code = "import_rejected"
    default_message = "Nothing was imported: some rows are not valid."
