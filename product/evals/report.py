"""The gate's verdicts for people and for CI systems: a plain-text table and JUnit XML.

The table has one row per suite × grader: the mean over items with its bootstrap interval, the
threshold, the pass rate over cases, the unscored count (apart, never in the mean), the grader's
cost, the change against the baseline and the verdict. Below it: why each failing grader failed,
and the cases that regressed, the largest drop first.

JUnit: one <testsuite> per suite, one <testcase> per grader (a failing grader is a <failure> whose
text lists its reasons and regressed cases) and one "cases" testcase for cases whose target
failed. GitLab, GitHub Actions reporters, Jenkins and most CI systems read this shape.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from product.core.money import format_usd
from product.evals.gate import GraderVerdict, RegressedCase, SuiteVerdict

MAX_LISTED_CASES = 20
COLUMNS = (
    "suite",
    "grader",
    "mean [interval]",
    "threshold",
    "pass rate",
    "unscored",
    "cost",
    "vs baseline",
    "verdict",
)


def _money(value: Decimal | None) -> str:
    return format_usd(value)


def _mean(verdict: GraderVerdict) -> str:
    interval = verdict.interval
    if interval is None:
        return "-"
    return f"{interval.mean:.2f} [{interval.low:.2f}, {interval.high:.2f}]"


def _against_baseline(verdict: GraderVerdict) -> str:
    delta = verdict.delta
    if delta is None:
        return "-"
    return f"{delta.delta:+.2f} [{delta.low:+.2f}, {delta.high:+.2f}]"


def grader_row(suite: SuiteVerdict, verdict: GraderVerdict) -> tuple[str, ...]:
    return (
        suite.suite.label,
        verdict.grader,
        _mean(verdict),
        f"{verdict.threshold:.2f}",
        f"{verdict.passed_cases}/{verdict.scored}",
        str(verdict.unscored),
        _money(verdict.cost_usd),
        _against_baseline(verdict),
        "pass" if verdict.passed else "FAIL",
    )


def _grid(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def case_line(case: RegressedCase) -> str:
    line = f"{case.name} · {case.grader}: {case.baseline:.2f} → {case.now:.2f}"
    return f"{line} ({case.explanation})" if case.explanation else line


def render(verdicts: Sequence[SuiteVerdict]) -> str:
    """The whole report: the table, then what failed and why, then the regressed cases."""
    rows: list[tuple[str, ...]] = [COLUMNS]
    for suite in verdicts:
        rows.extend(grader_row(suite, grader) for grader in suite.graders)
        if not suite.graders:
            rows.append((suite.suite.label, "-", "-", "-", "-", "-", "-", "-", "FAIL"))
    lines = _grid(rows)
    for suite in verdicts:
        result = suite.result
        head = f"{suite.suite.label}: "
        if result is not None:
            head += (
                f"{suite.suite.target} with prompt version {result.prompt_version}, "
                f"model {result.model}, {len(result.names)} cases × {result.repeats}, "
                f"cost {_money(result.cost_usd)}, {suite.seconds:.1f} s"
            )
        else:
            head += "not run"
        lines.append("")
        lines.append(head + (" — pass" if suite.passed else " — FAIL"))
        lines.extend(f"  ! {reason}" for reason in suite.reasons)
        for grader in suite.graders:
            lines.extend(f"  ! {grader.grader}: {reason}" for reason in grader.reasons)
        notes = [*suite.notes, *(f"{g.grader}: {n}" for g in suite.graders for n in g.notes)]
        lines.extend(f"  · {note}" for note in notes)
        if suite.baseline_written:
            lines.append(f"  · baseline written to {suite.baseline_written}")
        regressed = suite.regressed_cases()
        if regressed:
            lines.append(f"  regressed cases ({len(regressed)}), largest drop first:")
            lines.extend(f"    - {case_line(case)}" for case in regressed[:MAX_LISTED_CASES])
            if len(regressed) > MAX_LISTED_CASES:
                lines.append(f"    … and {len(regressed) - MAX_LISTED_CASES} more")
    failed = [suite for suite in verdicts if not suite.passed]
    lines.append("")
    lines.append(
        f"{len(verdicts) - len(failed)} of {len(verdicts)} suites passed"
        + (f"; failed: {', '.join(s.suite.label for s in failed)}" if failed else ".")
    )
    return "\n".join(lines)


def _failure_text(grader: GraderVerdict) -> str:
    lines = [*grader.reasons]
    regressed = sorted(grader.regressed, key=lambda case: -case.drop)
    if regressed:
        lines.append("Regressed cases:")
        lines.extend(f"- {case_line(case)}" for case in regressed[:MAX_LISTED_CASES])
    return "\n".join(lines)


def junit_xml(verdicts: Sequence[SuiteVerdict]) -> ET.Element:
    root = ET.Element("testsuites", name="keel eval")
    total_tests = total_failures = 0
    for suite in verdicts:
        element = ET.SubElement(root, "testsuite", name=suite.suite.label)
        properties = ET.SubElement(element, "properties")
        result = suite.result
        facts = {"target": suite.suite.target, "file": str(suite.suite.path.name)}
        if result is not None:
            facts |= {
                "model": result.model,
                "prompt_version": result.prompt_version,
                "repeats": str(result.repeats),
                "cost_usd": _money(result.cost_usd),
                "run_id": result.run_id,
            }
        for name, value in facts.items():
            ET.SubElement(properties, "property", name=name, value=value)
        tests = failures = 0
        classname = f"eval.{suite.suite.app}.{suite.suite.name}"
        for grader in suite.graders:
            tests += 1
            case = ET.SubElement(element, "testcase", classname=classname, name=grader.grader)
            case.set("time", "0")
            if not grader.passed:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message="; ".join(grader.reasons), type="EvalGateFailure"
                )
                failure.text = _failure_text(grader)
            out = ET.SubElement(case, "system-out")
            out.text = f"mean {_mean(grader)} · vs baseline {_against_baseline(grader)}"
        tests += 1
        cases = ET.SubElement(element, "testcase", classname=classname, name="cases")
        cases.set("time", f"{suite.seconds:.3f}")
        if suite.reasons:
            failures += 1
            failure = ET.SubElement(
                cases, "failure", message=suite.reasons[0], type="EvalCaseFailure"
            )
            failure.text = "\n".join(suite.reasons)
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", "0")
        element.set("time", f"{suite.seconds:.3f}")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return root


def write_junit(verdicts: Sequence[SuiteVerdict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(junit_xml(verdicts)).write(path, encoding="utf-8", xml_declaration=True)
