"""The timing summary make test prints at the end of a run (tests/timing.py): the steps'
times, each pass's counts, the failed tests by name and the slowest tests."""
from __future__ import annotations

from tests.timing import summary

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="tests.test_a" name="test_quick" time="0.5"/>
  <testcase classname="tests.test_a" name="test_slow" time="42.0"/>
  <testcase classname="tests.browser.test_b" name="test_broken[chromium]" time="3.0">
    <failure message="the page answered 500">the page answered 500</failure>
  </testcase>
  <testcase classname="tests.test_c" name="test_deselected_elsewhere" time="0.0">
    <skipped message="not here"/>
  </testcase>
</testsuite></testsuites>
"""


def test_the_summary_names_the_steps_the_failures_and_the_slowest_tests(tmp_path):
    (tmp_path / "times").write_text("install 100.0 120.5\n"
                                    "postgresql 121.0 421.0 1\n")
    (tmp_path / "postgresql.xml").write_text(JUNIT)

    lines = summary(tmp_path).splitlines()

    assert "   install              20 s" in lines
    assert ("   postgresql     5 min 00 s   FAILED (exit 1): 1 failure, 2 passed, 1 skipped;"
            " 46 s in tests across the workers") in lines
    assert "   in all         5 min 21 s" in lines
    failed = lines.index("== 1 failed")
    assert lines[failed + 1] == "   [postgresql] tests/browser/test_b.py::test_broken[chromium]"
    slowest = lines.index("== the 15 slowest tests (setup, call and teardown)")
    assert lines[slowest + 1] == "      42.0 s  [postgresql] tests/test_a.py::test_slow"
    assert lines[slowest + 2].endswith("test_broken[chromium]  (failure)")


def test_a_run_stopped_before_any_pass_still_prints_the_install(tmp_path):
    (tmp_path / "times").write_text("install 100.0 161.0\n")

    assert summary(tmp_path).splitlines()[1:] == [
        "== timing summary", "   install        1 min 01 s", "   in all         1 min 01 s"]
