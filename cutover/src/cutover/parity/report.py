"""The report: Markdown for people, JSON for tools, both in one folder per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cutover.parity import results
from cutover.parity.deviations import StepPattern
from cutover.parity.results import RunReport, StepResult
from cutover.reference import ROOT

REPORTS_DIR = ROOT / "cutover" / "reports"
ROLE_ORDER = ("anonymous", "viewer", "planner", "admin", "service", "no role")
_MARK = {
    results.EQUAL: "equal",
    results.EXPLAINED: "explained",
    results.DIFFERENT: "**DIFFERENT**",
    results.ERROR: "**ERROR**",
}


def endpoint_table(report: RunReport) -> list[dict[str, Any]]:
    """Per endpoint (method and Flask url rule): step counts by outcome and roles covered."""
    rows: dict[str, dict[str, Any]] = {}
    for step in report.steps:
        row = rows.setdefault(
            step.endpoint,
            {"endpoint": step.endpoint, "steps": 0, "roles": set()} | dict.fromkeys(_MARK, 0),
        )
        row["steps"] += 1
        row[step.outcome] += 1
        row["roles"].add(step.role)
    table = []
    for endpoint in sorted(rows, key=_endpoint_sort_key):
        row = rows[endpoint]
        row["roles"] = sorted(row["roles"], key=_role_sort_key)
        table.append(row)
    return table


def _endpoint_sort_key(endpoint: str) -> tuple[str, str]:
    method, _, rule = endpoint.partition(" ")
    return rule, method


def _role_sort_key(role: str) -> tuple[int, str]:
    return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), role)


def to_json(report: RunReport) -> dict[str, Any]:
    return {
        "mode": report.mode,
        "left": report.left,
        "right": report.right,
        "database": report.database,
        "started_at": report.started_at,
        "seconds": round(report.seconds, 1),
        "ok": report.ok,
        "summary": report.counts(),
        "endpoints": endpoint_table(report),
        "scenarios": [scenario.as_dict() for scenario in report.scenarios],
        "unused_deviation_steps": [
            {"pattern": pattern, "deviation": deviation.what}
            for deviation, pattern in _unused(report)
        ],
    }


def _unused(report: RunReport) -> list[tuple[Any, str]]:
    ran = {scenario.name for scenario in report.scenarios}
    unused = []
    for deviation, text in report.unused_deviations():
        pattern = StepPattern.parse(text)
        if pattern.pattern.split("/")[0] not in ran:
            continue  # a scenario this run left out, or a wildcard over all of them
        if pattern.database not in (None, report.database):
            continue
        unused.append((deviation, text))
    return unused


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: RunReport) -> str:
    counts = report.counts()
    verdict = "PASS" if report.ok else "FAIL"
    lines = [
        f"# Parity report ({report.mode}): {verdict}",
        "",
        f"- left (reference): {report.left}",
        f"- right: {report.right}",
    ]
    if report.database:
        lines.append(f"- database: {report.database}")
    lines += [
        f"- started: {report.started_at}, took {report.seconds:.0f} s",
        f"- steps: {len(report.steps)}; equal {counts[results.EQUAL]}, "
        f"explained by DEVIATIONS.md {counts[results.EXPLAINED]}, "
        f"different {counts[results.DIFFERENT]}, errors {counts[results.ERROR]}, "
        f"scenario errors {counts['scenario errors']}",
        "",
    ]
    failing = [step for step in report.steps if step.outcome in results.FAILING]
    if failing:
        lines += ["## Unexplained differences and errors", ""]
        lines += [f"- `{step.id}` ({step.endpoint}): {_summary(step)}" for step in failing]
        lines.append("")
    broken = [scenario for scenario in report.scenarios if scenario.error]
    if broken:
        lines += ["## Scenarios that could not run", ""]
        lines += [f"- `{scenario.name}`: {_cell(scenario.error)}" for scenario in broken]
        lines.append("")

    lines += [
        "## Per endpoint",
        "",
        "| endpoint | steps | equal | explained | different | errors | roles |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in endpoint_table(report):
        lines.append(
            f"| `{row['endpoint']}` | {row['steps']} | {row[results.EQUAL]} | "
            f"{row[results.EXPLAINED]} | {row[results.DIFFERENT]} | {row[results.ERROR]} | "
            f"{', '.join(row['roles'])} |"
        )
    lines.append("")

    lines += ["## Per scenario step", ""]
    for scenario in report.scenarios:
        title = f"### {scenario.name}"
        if scenario.seconds:
            title += f" ({scenario.seconds:.1f} s)"
        lines += [title, ""]
        if scenario.description:
            lines += [scenario.description, ""]
        if not scenario.steps:
            lines += ["(no steps ran)", ""]
            continue
        lines += ["| step | endpoint | as | result | statuses |", "| --- | --- | --- | --- | --- |"]
        for step in scenario.steps:
            lines.append(
                f"| `{step.id}` | `{step.endpoint}` | {step.role} | {_MARK[step.outcome]} | "
                f"{_statuses(step)} |"
            )
        lines.append("")

    detailed = [step for step in report.steps if step.outcome != results.EQUAL]
    if detailed:
        lines += ["## Details", ""]
    for step in detailed:
        lines += [f"### `{step.id}`: {_MARK[step.outcome]}", ""]
        lines.append(f"`{step.method} {step.path}` as {step.role}; differs in: {_summary(step)}")
        lines.append("")
        if step.deviation:
            lines += [
                f"Listed in DEVIATIONS.md ({step.deviation.section}): {step.deviation.what}"
                f" — {step.deviation.why}",
                "",
            ]
        if step.note:
            lines += [f"Note: {step.note}", ""]
        if step.diff:
            lines += ["```diff", step.diff.rstrip("\n"), "```", ""]
    unused = _unused(report)
    if unused:
        lines += ["## Deviations that explained nothing in this run", ""]
        lines += [f"- `{pattern}` ({_cell(deviation.what)})" for deviation, pattern in unused]
        lines.append("")
    return "\n".join(lines)


def _statuses(step: StepResult) -> str:
    left = step.left["status"] if step.left else "-"
    right = step.right["status"] if step.right else "-"
    text = f"{left} / {right}"
    if step.recorded_status is not None:
        text += f" (recorded {step.recorded_status})"
    return text


def _summary(step: StepResult) -> str:
    parts = list(step.differences)
    if step.message:
        parts.append(step.message)
    return _cell("; ".join(parts)) or "nothing"


def write(report: RunReport, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    markdown = directory / "report.md"
    data = directory / "report.json"
    markdown.write_text(to_markdown(report), encoding="utf-8")
    data.write_text(
        json.dumps(to_json(report), indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    return markdown, data
