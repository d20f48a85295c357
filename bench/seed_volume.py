"""How long `flask --app app seed-volume --cases N` takes into a fresh SQLite file
(SPEC §9, §10: 100,000 cases in under two minutes). Prints figures, asserts nothing.

    .venv/bin/python bench/seed_volume.py [CASES] [SEED]    (default 100000, 1)"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def flask(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True)


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    seed = sys.argv[2] if len(sys.argv) > 2 else "1"
    with tempfile.TemporaryDirectory(prefix="consult-volume-", dir="/tmp") as folder:
        database = Path(folder) / "volume.sqlite"
        env = {**os.environ, "CONSULT_ENV": "development", "SECRET_KEY": "bench-" + "x" * 40,
               "DATABASE_URL": f"sqlite:///{database}"}
        flask("init-db", env=env)
        started = time.perf_counter()
        result = flask("seed-volume", "--cases", str(cases), "--seed", seed, env=env)
        seconds = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(folder).iterdir()) / 1e6
    print(result.stdout.splitlines()[0])
    print(f"seed-volume --cases {cases}: {seconds:.1f} s wall (process start to commit), "
          f"{cases / seconds:,.0f} cases/s, database {size:,.0f} MB")


if __name__ == "__main__":
    main()
