"""Medians over rounds, ratios against Flask and the ceiling, the Markdown report and its plot."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.load import LoadResult
from bench.login_timing import LoginTiming

FLASK, OURS, BARE, MINIMAL = "flask", "ours", "ceiling_bare", "ceiling_fastapi"
LABELS = {
    FLASK: "Flask 1.3.9",
    OURS: "ours",
    BARE: "bare ASGI",
    MINIMAL: "minimal FastAPI",
}
COLOURS = {FLASK: "tab:red", OURS: "tab:blue", BARE: "tab:gray", MINIMAL: "tab:green"}
PERCENTILES = ("50", "75", "90", "95", "99", "99.9")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    # Bcrypt-bound and 1 MB answers are slow: they get a longer run so the tail has samples.
    slow: bool = False


@dataclass
class Sample:
    result: LoadResult
    rss_mib: list[float]


@dataclass
class Cell:
    """One server on one scenario, over every round."""

    samples: list[Sample] = field(default_factory=list)
    skipped: str | None = None

    @property
    def measured(self) -> bool:
        return bool(self.samples)

    def median(self, figure: Callable[[Sample], float]) -> float:
        return statistics.median(figure(sample) for sample in self.samples)

    @property
    def requests_per_s(self) -> float:
        return self.median(lambda s: s.result.requests_per_s)

    def latency_ms(self, percentile: str) -> float:
        return self.median(lambda s: s.result.percentile(percentile))

    @property
    def tail_cut(self) -> bool:
        """Whether some answers may have taken longer than a run, so wrk never saw them.

        True when a round's slowest answer took nearly the whole run (or none came back): the
        latencies are then lower bounds.
        """
        return any(
            sample.result.max_ms >= 0.9 * sample.result.duration_s * 1000 for sample in self.samples
        )

    @property
    def errors(self) -> int:
        # Summed, not a median: one round with errors must not be outvoted by two without.
        return sum(sample.result.errors for sample in self.samples)

    @property
    def rss_per_worker_mib(self) -> float:
        return self.median(lambda s: statistics.fmean(s.rss_mib) if s.rss_mib else 0.0)


@dataclass
class Results:
    scenarios: Sequence[Scenario]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, server: str, scenario: str) -> Cell:
        return self.cells.setdefault((server, scenario), Cell())

    def both(self, scenario: str) -> bool:
        return self.cell(OURS, scenario).measured and self.cell(FLASK, scenario).measured


@dataclass(frozen=True)
class Verdict:
    target: str
    figure: str
    goal: str
    met: bool | None


def generator_share(results: Results) -> tuple[float, float]:
    """Median and highest share of one core wrk used over a measured run."""
    shares = [
        sample.result.generator_cpu_s / sample.result.duration_s
        for cell in results.cells.values()
        for sample in cell.samples
        if sample.result.duration_s
    ]
    return (statistics.median(shares), max(shares)) if shares else (0.0, 0.0)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _fmt_ratio(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    # Keep two significant digits however small the ratio gets.
    while digits < 4 and 0 < value < 10 ** (1 - digits):
        digits += 1
    return f"{value:.{digits}f}x"


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def figures_table(results: Results) -> list[str]:
    lines = [
        "| scenario | server | req/s | p50 ms | p95 ms | p99 ms | errors | RSS/worker MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario in results.scenarios:
        for server in (FLASK, OURS, BARE, MINIMAL):
            cell = results.cells.get((server, scenario.key))
            if cell is None:
                continue
            if not cell.measured:
                lines.append(f"| {scenario.title} | {LABELS[server]} | {cell.skipped} | | | | | |")
                continue
            bound = ">= " if cell.tail_cut else ""
            latencies = " | ".join(f"{bound}{_fmt(cell.latency_ms(p))}" for p in ("50", "95", "99"))
            lines.append(
                f"| {scenario.title} | {LABELS[server]} | {_fmt(cell.requests_per_s)} "
                f"| {latencies} | {cell.errors} | {cell.rss_per_worker_mib:.0f} |"
            )
    if any(cell.tail_cut for cell in results.cells.values()):
        lines += [
            "",
            "`>=`: in some round the slowest answer took about as long as the run itself, so "
            "slower ones were never seen; the latencies are lower bounds.",
        ]
    return lines


def ratios_table(results: Results) -> list[str]:
    lines = [
        "| scenario | ours/Flask req/s | ours/Flask p99 | ours/Flask RSS "
        "| ours/bare ASGI req/s | ours/minimal FastAPI req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    bare, minimal = results.cell(BARE, "health"), results.cell(MINIMAL, "health")
    for scenario in results.scenarios:
        ours, flask = results.cell(OURS, scenario.key), results.cell(FLASK, scenario.key)
        if not ours.measured:
            lines.append(f"| {scenario.title} | {ours.skipped} | | | | |")
            continue
        ceiling = ["n/a", "n/a"]
        if scenario.key == "health":
            ceiling = [
                _fmt_ratio(_ratio(ours.requests_per_s, c.requests_per_s), 3)
                if c.measured
                else "n/a"
                for c in (bare, minimal)
            ]
        if flask.measured:
            compared = [
                _fmt_ratio(_ratio(ours.requests_per_s, flask.requests_per_s), 1),
                _fmt_ratio(_ratio(ours.latency_ms("99"), flask.latency_ms("99")), 3),
                _fmt_ratio(_ratio(ours.rss_per_worker_mib, flask.rss_per_worker_mib)),
            ]
        else:
            compared = [f"Flask: {flask.skipped}", "", ""]
        lines.append(f"| {scenario.title} | {' | '.join(compared + ceiling)} |")
    return lines


def _at_least(target: str, ratio: float | None, goal: float) -> Verdict:
    met = ratio is not None and ratio >= goal
    return Verdict(target, _fmt_ratio(ratio), f">= {goal:g}x", met)


def _at_most(target: str, ratio: float | None, goal: float, figure: str | None = None) -> Verdict:
    met = ratio is not None and ratio <= goal
    return Verdict(target, figure or _fmt_ratio(ratio, 3), f"<= {goal:g}x", met)


def verdicts(results: Results) -> list[Verdict]:
    """The issue's targets, checked for every scenario both servers serve."""
    found: list[Verdict] = []

    def ours_over_flask(key: str, figure: Callable[[Cell], float]) -> float | None:
        return _ratio(figure(results.cell(OURS, key)), figure(results.cell(FLASK, key)))

    def throughput(cell: Cell) -> float:
        return cell.requests_per_s

    for key, goal in (("health", 10), ("user_list", 10), ("user_read", 10), ("login_ok", 1.8)):
        if results.both(key):
            found.append(
                _at_least(f"{key} req/s, ours/Flask", ours_over_flask(key, throughput), goal)
            )
    for scenario in results.scenarios:
        if results.both(scenario.key):
            ratio = ours_over_flask(scenario.key, lambda cell: cell.latency_ms("99"))
            found.append(_at_most(f"{scenario.key} p99 at 64 connections, ours/Flask", ratio, 0.05))
    shared = [s.key for s in results.scenarios if results.both(s.key)]
    if shared:
        ours_rss = max(results.cell(OURS, key).rss_per_worker_mib for key in shared)
        flask_rss = max(results.cell(FLASK, key).rss_per_worker_mib for key in shared)
        ratio = _ratio(ours_rss, flask_rss)
        figure = f"{ours_rss:.0f} / {flask_rss:.0f} MiB = {_fmt_ratio(ratio)}"
        found.append(
            _at_most("RSS per worker (highest after a shared scenario)", ratio, 0.4, figure)
        )
    ours, minimal = results.cell(OURS, "health"), results.cell(MINIMAL, "health")
    if ours.measured and minimal.measured:
        ratio = _ratio(ours.requests_per_s, minimal.requests_per_s)
        found.append(_at_least("health req/s, ours/minimal FastAPI", ratio, 0.5))
    return found


def verdicts_table(found: Sequence[Verdict]) -> list[str]:
    lines = ["| target | figure | goal | verdict |", "| --- | ---: | --- | --- |"]
    for verdict in found:
        word = "met" if verdict.met else "**missed**"
        lines.append(f"| {verdict.target} | {verdict.figure} | {verdict.goal} | {word} |")
    return lines


def plot_latency(results: Results, path: Path) -> None:
    """Latency by percentile, one panel per scenario, log scale: the tails are the story."""
    scenarios = [
        s
        for s in results.scenarios
        if any(results.cell(server, s.key).measured for server in LABELS)
    ]
    columns = min(4, max(1, len(scenarios)))
    rows = (len(scenarios) + columns - 1) // columns
    figure, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False, sharex=True
    )
    positions = list(range(len(PERCENTILES)))
    for index, scenario in enumerate(scenarios):
        axis = axes[index // columns][index % columns]
        for server, label in LABELS.items():
            cell = results.cells.get((server, scenario.key))
            if cell is None or not cell.measured:
                continue
            values = [cell.latency_ms(p) for p in PERCENTILES]
            axis.plot(positions, values, marker="o", label=label, color=COLOURS[server])
        axis.set_title(scenario.title, fontsize=9)
        axis.set_yscale("log")
        axis.set_xticks(positions, [f"p{p}" for p in PERCENTILES], fontsize=7)
        axis.grid(True, which="both", alpha=0.3)
        axis.set_ylabel("ms", fontsize=8)
        axis.legend(fontsize=7)
    for index in range(len(scenarios), rows * columns):
        axes[index // columns][index % columns].axis("off")
    figure.suptitle("Latency by percentile (median of rounds), 64 connections", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(
    stem: Path,
    stamp: str,
    results: Results,
    header: Sequence[str],
    timing: LoginTiming | None,
) -> Path:
    """Write stem.md, stem.png and stem.json (everything needed to write them again); print."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    plot = stem.with_suffix(".png")
    plot_latency(results, plot)
    figures = figures_table(results)
    ratios = ratios_table(results)
    targets = verdicts_table(verdicts(results))
    lines = [f"# Side-by-side benchmark, {stamp}", "", *header, ""]
    lines += ["## Figures", "", *figures, "", "## Ratios", "", *ratios, ""]
    lines += ["## Targets (steered toward, not asserted)", "", *targets, ""]
    lines += ["## Login timing (bench/login_timing.py, ours)", "", *_timing_lines(timing)]
    lines += ["", f"![Latency by percentile]({plot.name})", ""]
    markdown = stem.with_suffix(".md")
    markdown.write_text("\n".join(lines))
    saved = {
        "stamp": stamp,
        "header": list(header),
        "scenarios": [asdict(scenario) for scenario in results.scenarios],
        "cells": [
            {
                "server": server,
                "scenario": scenario,
                "skipped": cell.skipped,
                "rounds": [
                    {"result": asdict(sample.result), "rss_mib": sample.rss_mib}
                    for sample in cell.samples
                ],
            }
            for (server, scenario), cell in results.cells.items()
        ],
        "login_timing": asdict(timing) if timing else None,
    }
    stem.with_suffix(".json").write_text(json.dumps(saved, indent=1))
    print("\n".join(["", *figures, "", *ratios, "", *targets, ""]))
    return markdown


def load(path: Path) -> tuple[str, Results, list[str], LoginTiming | None]:
    """What `write` saved: stamp, results, header and login timing."""
    saved = json.loads(path.read_text())
    results = Results([Scenario(**scenario) for scenario in saved["scenarios"]])
    for raw in saved["cells"]:
        cell = results.cell(raw["server"], raw["scenario"])
        cell.skipped = raw["skipped"]
        cell.samples = [
            Sample(LoadResult(**sample["result"]), sample["rss_mib"]) for sample in raw["rounds"]
        ]
    timing = LoginTiming(**saved["login_timing"]) if saved["login_timing"] else None
    return saved["stamp"], results, saved["header"], timing


def _timing_lines(timing: LoginTiming | None) -> list[str]:
    if timing is None:
        return ["The login timing script produced no figures (see its output above)."]
    verdict = "within" if timing.within_tolerance else "NOT within"
    return [
        f"{timing.samples} sequential requests of each kind, alternating.",
        "",
        "| failed login | median ms |",
        "| --- | ---: |",
        f"| unknown user | {timing.unknown_user_median_ms:.1f} |",
        f"| known user, wrong password | {timing.wrong_password_median_ms:.1f} |",
        "",
        f"Ratio (slower/faster): {timing.ratio:.3f}, {verdict} 20%.",
    ]
