"""Code checks that run with the tests, so CI runs them (issue 11): bandit finds no
high-severity issue in the app's code, and every dependency is pinned to a version."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^[A-Za-z0-9_.\[\]-]+==[0-9][^\s;]*$")


def test_bandit_finds_no_high_severity_issue():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "--recursive", "consult", "app.py",
         "--severity-level", "high", "--quiet", "--format", "txt"],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("-r "):
                continue
            assert PIN.match(line), f"{name}: {line!r} is not pinned with =="


def test_the_javascript_dependencies_are_locked():
    lock = (ROOT / "package-lock.json").read_text()
    assert '"lockfileVersion"' in lock
    package = (ROOT / "package.json").read_text()
    assert not re.search(r'"[\^~]', package), "package.json ranges must be exact versions"
