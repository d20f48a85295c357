"""The timing summary `make test` prints at the end of every run, green or red.

    python tests/timing.py REPORTS_DIR

REPORTS_DIR holds `times` (a line per step: name, start and end in epoch seconds, and
for a test pass its exit status) and a JUnit XML file per pass (`<name>.xml`). Printed:
how long the install and each pass took (the passes may overlap), with the pass's
counts, the whole run from the first start to the last end, every test that failed (so
that the end of a red run's output names them), and the slowest tests of the run (setup,
call and teardown together)."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SLOWEST = 15


def _seconds(value: float) -> str:
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def steps(directory: Path) -> list[tuple[str, float, float, int | None]]:
    """(name, start, end, exit status or None) per line of `times`, in order."""
    found = []
    times = directory / "times"
    for line in times.read_text().splitlines() if times.exists() else []:
        name, start, end, *status = line.split()
        found.append((name, float(start), float(end), int(status[0]) if status else None))
    return found


def cases(directory: Path, name: str) -> list[tuple[float, str, str]]:
    """(seconds, test id, outcome) of every test case of a pass's JUnit XML."""
    path = directory / f"{name}.xml"
    if not path.exists():
        return []
    found = []
    for case in ET.parse(path).iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        test_id = f"{module}.py::{case.get('name')}"
        outcome = next((child.tag for child in case
                        if child.tag in ("failure", "error", "skipped")), "passed")
        found.append((float(case.get("time") or 0), test_id, outcome))
    return found


def counts(run: list[tuple[float, str, str]]) -> str:
    tally: dict[str, int] = {}
    for _, _, outcome in run:
        tally[outcome] = tally.get(outcome, 0) + 1
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items()))


def summary(directory: Path) -> str:
    lines = ["", "== timing summary"]
    everything: list[tuple[float, str, str]] = []
    run = steps(directory)
    for name, start, end, status in run:
        seconds = end - start
        if status is None:
            lines.append(f"   {name:<12} {_seconds(seconds):>12}")
            continue
        tests = cases(directory, name)
        everything += [(t, f"[{name}] {test_id}", outcome) for t, test_id, outcome in tests]
        worker_seconds = sum(t for t, _, _ in tests)
        verdict = "passed" if status == 0 else f"FAILED (exit {status})"
        lines.append(f"   {name:<12} {_seconds(seconds):>12}   {verdict}: {counts(tests)}; "
                     f"{_seconds(worker_seconds)} in tests across the workers")
    if run:
        total = max(end for _, _, end, _ in run) - min(start for _, start, _, _ in run)
        lines.append(f"   {'in all':<12} {_seconds(total):>12}")
    failed = sorted(test_id for _, test_id, outcome in everything
                    if outcome in ("failure", "error"))
    if failed:
        lines.append(f"== {len(failed)} failed")
        lines += [f"   {test_id}" for test_id in failed]
    if everything:
        lines.append(f"== the {SLOWEST} slowest tests (setup, call and teardown)")
        for seconds, test_id, outcome in sorted(everything, reverse=True)[:SLOWEST]:
            mark = "" if outcome == "passed" else f"  ({outcome})"
            lines.append(f"   {seconds:7.1f} s  {test_id}{mark}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
