"""Grading overhead per case, for each built-in grader, and the bootstrap at a thousand cases.

Each grader grades CASES cases (MODEL_CASES for those that call a model) of a realistic size: a
120-word answer, its reference, a JSON object and a schema, a grounded answer with four passages
and eight retrieved documents. The model-calling graders (semantic_similarity, llm_judge,
faithfulness) go through the real gateway to the dev model server, run in a thread of this process
(product/devmodel/background.py), ledgered against a job as in a run; the deferred charges are
written after the timing, as the runner writes them in the case's transaction.

Measured per case: `cpu_ms`, the grading thread's CPU (`time.thread_time`: the grader, the
gateway, the SDK, the ledger rows; not the dev model server, which runs in another thread), and
`process_cpu_ms` (`time.process_time`, the dev model server's work included), and `wall_ms`.
Then `mean_interval` and `paired_bootstrap` over 1,000 cases with their default resamples.

Prints one JSON line last:
{"bench":"evals_graders","cases":...,"graders":{"exact":{"cpu_ms":...,"process_cpu_ms":...,
 "wall_ms":...},...},"bootstrap_ms":{"mean_interval_1000":...,"paired_bootstrap_1000":...}}
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BenchStack, print_result  # noqa: E402

CASES = int(os.environ.get("BENCH_EVALS_CASES", "500"))
MODEL_CASES = int(os.environ.get("BENCH_EVALS_MODEL_CASES", "100"))
WARMUP = 5

WORDS = [
    "invoice",
    "customer",
    "refund",
    "shipping",
    "warehouse",
    "April",
    "report",
    "quarter",
    "budget",
    "release",
    "feature",
    "team",
    "latency",
    "queue",
    "worker",
    "retry",
    "deadline",
    "contract",
    "renewal",
    "support",
    "ticket",
    "billing",
    "policy",
]


def prose(rng: random.Random, words: int) -> str:
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        picked = rng.choices(WORDS, k=rng.randint(8, 14))
        sentences.append(" ".join(picked).capitalize() + f" costs ${rng.randint(10, 999)}.")
    return " ".join(sentences)


def main() -> None:
    with BenchStack(redis_db=12) as stack:
        from product.devmodel.background import serve_in_thread

        with serve_in_thread(port=stack.devmodel_port):
            stack.setup_django()
            result = measure()
            print_result(result)


def measure() -> dict[str, Any]:
    from django.db import transaction

    from product.accounts.tests.factories import UserFactory, WorkspaceFactory
    from product.evals.models import DatasetItem
    from product.evals.registry import GradeContext, TargetOutput, Unscored, get_grader
    from product.evals.statistics import mean_interval, paired_bootstrap
    from product.evals.tests.grading import RecordingLink
    from product.jobs.models import Job

    rng = random.Random(0)
    user = UserFactory(email="bench-evals@example.com", name="Bench")
    workspace = WorkspaceFactory(name="Bench", owner=user)
    link = RecordingLink(Job.objects.create(workspace=workspace, kind="evals.run").pk)

    reference = prose(rng, 60)
    answer = prose(rng, 120)
    passages = [
        {"number": n, "document": f"doc-{n}.md", "passage_id": str(n), "text": prose(rng, 80)}
        for n in range(1, 5)
    ]
    grounded_text = " ".join(f"{p['text'].split('.')[0]} [{p['number']}]." for p in passages)
    context_block = (
        "<sources>\n"
        + "\n\n".join(f"[{p['number']}] {p['document']}\n{p['text']}" for p in passages)
        + "\n</sources>"
    )
    schema = {
        "type": "object",
        "required": ["total", "items", "customer"],
        "properties": {
            "total": {"type": "number"},
            "customer": {"type": "string"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "price"],
                    "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
                },
            },
        },
    }
    invoice = json.dumps(
        {
            "total": 120.5,
            "customer": "Acme",
            "items": [{"name": w, "price": rng.randint(1, 99)} for w in WORDS[:10]],
        }
    )
    words = answer.split()
    plan: list[tuple[str, str | TargetOutput, dict[str, Any], dict[str, Any]]] = [
        ("exact", answer, {}, {"reference": answer}),
        ("contains", answer, {"values": words[5:10] + ["$40", "not there"]}, {}),
        ("regex", answer, {"pattern": r"\$\d+(?:\.\d\d)?\b"}, {}),
        ("json_schema", f"```json\n{invoice}\n```", {"schema": schema}, {}),
        (
            "numeric",
            f"The total comes to ${rng.randint(1000, 9999):,}.",
            {"rel_tol": 0.01},
            {"reference": "The total is 5,000."},
        ),
        (
            "citation_validity",
            TargetOutput(
                text=grounded_text,
                citations=passages,
                retrieved=[f"doc-{n}.md" for n in range(1, 9)],
            ),
            {},
            {},
        ),
        (
            "retrieval_recall",
            TargetOutput(text="", retrieved=[f"doc-{n}.md" for n in range(1, 9)]),
            {"k": 5},
            {"expected_sources": ["doc-2.md", "doc-7.md"]},
        ),
        ("semantic_similarity", answer, {}, {"reference": reference}),
        ("llm_judge", answer, {}, {"reference": reference}),
        (
            "faithfulness",
            TargetOutput(text=grounded_text, context=context_block),
            {},
            {"input": {"question": "What does it cost?"}},
        ),
    ]

    graders: dict[str, dict[str, float]] = {}
    for name, output, params, item_fields in plan:
        spec = get_grader(name)
        cases = MODEL_CASES if spec.calls_model else CASES
        item = DatasetItem(
            input=item_fields.get("input", {"question": "Summarise the memo."}),
            reference=item_fields.get("reference", ""),
            expected_sources=item_fields.get("expected_sources", []),
            metadata={},
            position=0,
        )
        ctx = GradeContext(
            workspace=workspace,
            user=user,
            item=item,
            output=output if isinstance(output, TargetOutput) else TargetOutput(text=output),
            params=params,
            link=link,
        )
        for _ in range(WARMUP):
            spec.grade(ctx)
        unscored = 0
        thread_started, process_started, wall_started = (
            time.thread_time(),
            time.process_time(),
            time.perf_counter(),
        )
        for _ in range(cases):
            try:
                spec.grade(ctx)
            except Unscored:
                unscored += 1
        graders[name] = {
            "cases": cases,
            "cpu_ms": round((time.thread_time() - thread_started) * 1000 / cases, 3),
            "process_cpu_ms": round((time.process_time() - process_started) * 1000 / cases, 3),
            "wall_ms": round((time.perf_counter() - wall_started) * 1000 / cases, 3),
        }
        if unscored:
            raise SystemExit(f"{name} left {unscored} of {cases} bench cases unscored")
        with transaction.atomic():
            link.write()

    scores = [rng.random() for _ in range(1000)]
    changed = [min(1.0, max(0.0, s + rng.gauss(0, 0.1))) for s in scores]
    started = time.process_time()
    mean_interval(scores)
    interval_ms = (time.process_time() - started) * 1000
    started = time.process_time()
    paired_bootstrap(scores, changed)
    paired_ms = (time.process_time() - started) * 1000
    return {
        "bench": "evals_graders",
        "cases": CASES,
        "model_cases": MODEL_CASES,
        "graders": graders,
        "bootstrap_ms": {
            "mean_interval_1000": round(interval_ms, 1),
            "paired_bootstrap_1000": round(paired_ms, 1),
        },
    }


if __name__ == "__main__":
    main()
