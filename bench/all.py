"""`make bench`: every benchmark twice, then each figure's two values and their spread.

A figure's spread is the difference of its two values as a share of their mean: it shows how
much this machine moved between the runs, and so how far one run's figure can be trusted. The
run fails (exit 1) when any figure misses its target in either run, or a benchmark fails.

    make bench                    (runs .venv/bin/python bench/all.py)
    .venv/bin/python bench/all.py gallery pipeline       (some of them; --runs N for more runs)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCHMARKS = ["pipeline", "gallery", "moderation", "submit"]
FIGURE = re.compile(
    r"^figure: (?P<name>\S+) (?P<value>\S+) (?P<unit>\S+)"
    r"(?: target (?P<op>\S+) (?P<limit>\S+) (?P<verdict>ok|MISS))?"
)


@dataclass
class Row:
    unit: str
    target: str
    values: list[float] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)

    @property
    def spread(self) -> float:
        """The range of the values as a share of their mean."""
        mean = sum(self.values) / len(self.values)
        return (max(self.values) - min(self.values)) / mean if mean else 0.0


def run(benchmark: str, number: int) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output; its exit status and its figure lines."""
    print(f"== {benchmark}, run {number} ==", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(PROJECT_DIR / "bench" / f"{benchmark}.py")],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))
    status = process.wait()
    print(f"== {benchmark}, run {number}: exit {status} in {time.monotonic() - started:.0f} s ==")
    return status, lines


def table(benchmark: str, rows: dict[str, Row]) -> list[str]:
    out = [f"{benchmark}:", f"  {'figure':44} {'runs':>24} {'spread':>7}  target"]
    for name, row in rows.items():
        values = " / ".join(f"{value:g}" for value in row.values)
        verdict = " ".join(row.verdicts) if row.target else "(for the record)"
        out.append(f"  {name:44} {values:>24} {row.spread:>7.0%}  {row.target} {verdict}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="*", help=f"some of {', '.join(BENCHMARKS)}")
    parser.add_argument("--runs", type=int, default=2)
    options = parser.parse_args()
    unknown = set(options.benchmarks) - set(BENCHMARKS)
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    options.benchmarks = options.benchmarks or BENCHMARKS
    failed = False
    summary: list[str] = []
    for benchmark in options.benchmarks:
        rows: dict[str, Row] = {}
        for number in range(1, options.runs + 1):
            status, lines = run(benchmark, number)
            figures = [match for line in lines if (match := FIGURE.match(line))]
            if status not in (0, 1) or not figures:
                failed = True
                summary.append(
                    f"{benchmark} run {number}: failed (exit {status}) before its figures"
                )
                continue
            failed |= status != 0
            for match in figures:
                target = f"{match['op']} {match['limit']}" if match["op"] else ""
                row = rows.setdefault(match["name"], Row(match["unit"], target))
                row.values.append(float(match["value"]))
                if match["verdict"]:
                    row.verdicts.append(match["verdict"])
        summary += table(benchmark, rows)
    print("\n".join(["", "== all runs ==", *summary]))
    misses = sum(line.count("MISS") for line in summary)
    print(f"{'FAILED' if failed else 'passed'}: {misses} MISS in {options.runs} runs of each")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
