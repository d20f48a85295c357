"""SPEC §10's budgets, measured (prints figures, asserts nothing):

- each key page (my work, team inbox, meeting agenda, run view, case page, indicators)
  against a bare Flask "hello" app under the same gunicorn settings, in the same run:
  requests per second and the ratio (budget: at least a quarter);
- p95 latency of each key page with N₂ cases in the database against N₁ (budget: at
  most 1.3 × with 100,000 against 1,000);
- first-load weight of each key page with its CSS and JS (budget: under 100 KB) and of
  an htmx fragment (under 10 KB).

The statement budget (≤ 12 per page) is a test (tests/test_query_budget.py), not here.

    .venv/bin/python bench/pages.py [--cases 1000 100000] [--seconds 5] [--clients 4]

Each size gets a fresh SQLite database in /tmp: init-db, seed-demo, seed-volume."""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Demo-salasana-2026"
GUNICORN = ["-m", "gunicorn", "--workers", "2", "--threads", "1", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask(*args: str, env: dict) -> str:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True).stdout


def serve(target: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, *GUNICORN, "--bind", f"127.0.0.1:{port}",
                                target], cwd=ROOT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/healthz" if target == "app:app" else url, timeout=5)
            return process, url
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{target} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(10)


def logged_in(url: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/login")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text).group(1)
    answer = session.post(url + "/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": token})
    assert answer.ok and "/login" not in answer.url, "login failed"
    return session


def load(url: str, cookies, seconds: float, clients: int) -> tuple[float, list[float]]:
    """Requests per second and every latency (s) of `clients` keep-alive loops."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop():
        session = requests.Session()
        session.cookies.update(cookies)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = session.get(url)
            response.raise_for_status()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - began), latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def sent(session: requests.Session, url: str) -> int:
    """Bytes of a body as the server sent it: compressed where it compressed it (the
    session asks for gzip and brotli, as browsers do)."""
    with session.get(url, stream=True) as response:
        return len(response.raw.read(decode_content=False))


def weight(session: requests.Session, url: str) -> int:
    """Bytes of the page and of the CSS, JS and icons it links as sent (first load, no
    cache; headers not counted)."""
    page = session.get(url)
    links = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text))
    return sent(session, url) + sum(sent(session, urljoin(url, link)) for link in links)


def fragment_size(session: requests.Session, meeting_url: str) -> int:
    """The agenda fragment htmx swaps in: asked for with a stale agenda version, so
    that the answer (409, the agenda as it is) changes nothing."""
    page = session.get(meeting_url).text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    move = re.search(r'action="(/meetings/\d+/items/\d+/move)"', page).group(1)
    answer = session.post(urljoin(meeting_url, move), headers={"HX-Request": "true"},
                          data={"csrf_token": token, "direction": "down", "version": "-1"})
    assert answer.status_code == 409, answer.status_code
    return len(answer.content)


def key_pages(env: dict) -> dict[str, tuple[str, str]]:
    """{name: (login e-mail, path)} on the demo world."""
    script = (
        "from consult import create_app\n"
        "from consult.extensions import db\n"
        "from sqlalchemy import select\n"
        "from consult.meetings.models import Meeting\n"
        "from consult.organisations.models import Team\n"
        "from consult.consultations.models import ConsultationRequest as CR\n"
        "from consult.accounts.models import User\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    team = db.session.scalar(select(Team).where(Team.name == 'Työkyvyn tuen tiimi Pirkanmaa'))\n"
        "    meeting = db.session.scalar(select(Meeting).where(Meeting.team_id == team.id, "
        "Meeting.state == 'agenda_sent').order_by(Meeting.starts_at))\n"
        "    referrer = db.session.scalar(select(User).where(User.email == 'referrer@example.fi'))\n"
        "    case = db.session.scalar(select(CR.id).where(CR.referrer_id == referrer.id).order_by(CR.id))\n"
        "    print(team.id, meeting.id, case)\n")
    team, meeting, case = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                                         capture_output=True, text=True,
                                         check=True).stdout.split()
    return {
        "my work": ("coordinator@example.fi", "/"),
        "team inbox": ("coordinator@example.fi", f"/teams/{team}/inbox"),
        "meeting agenda": ("coordinator@example.fi", f"/meetings/{meeting}"),
        "run view": ("coordinator@example.fi", f"/meetings/{meeting}/run"),
        "case page": ("referrer@example.fi", f"/requests/{case}"),
        "indicators": ("manager@example.fi", "/indicators?period=year"),
    }


def measure(cases: int, seconds: float, clients: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="consult-bench-", dir="/tmp") as folder:
        env = {**os.environ, "CONSULT_ENV": "development", "SECRET_KEY": "bench-" + "x" * 40,
               "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite"}
        flask("init-db", env=env)
        flask("seed-demo", env=env)
        flask("seed-volume", "--cases", str(cases), "--seed", "1", env=env)
        pages = key_pages(env)
        hello, hello_url = serve("bench.hello:app", env)
        try:
            hello_rps, _ = load(hello_url + "/", {}, seconds, clients)
        finally:
            stop(hello)
        server, url = serve("app:app", env)
        results = {"hello": hello_rps}
        try:
            sessions = {email: logged_in(url, email) for email, _ in pages.values()}
            for name, (email, path) in pages.items():
                rps, latencies = load(url + path, sessions[email].cookies, seconds, clients)
                results[name] = (rps, p95(latencies), weight(sessions[email], url + path))
            results["fragment"] = fragment_size(sessions["coordinator@example.fi"],
                                                url + pages["meeting agenda"][1])
        finally:
            stop(server)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs=2, default=(1000, 100_000))
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    small, large = (measure(n, args.seconds, args.clients) for n in args.cases)
    print(f"gunicorn {' '.join(GUNICORN[2:])}; {args.clients} clients, {args.seconds:g} s a page")
    print(f"hello app: {small['hello']:.0f} req/s ({args.cases[0]:,} cases run), "
          f"{large['hello']:.0f} req/s ({args.cases[1]:,} cases run)")
    print(f"{'page':<15} {'req/s':>7} {'× hello':>8} {'p95 ms':>8} {'p95 ms':>8} "
          f"{'ratio':>6} {'KB':>6}")
    print(f"{'':<15} {args.cases[1]:>7,} {'(≥0.25)':>8} {args.cases[0]:>8,} "
          f"{args.cases[1]:>8,} {'(≤1.3)':>6} {'(<100)':>6}")
    for name in small:
        if name in ("hello", "fragment"):
            continue
        rps, p95_large, size = large[name]
        p95_small = small[name][1]
        print(f"{name:<15} {rps:>7.0f} {rps / large['hello']:>8.2f} {p95_small * 1000:>8.1f} "
              f"{p95_large * 1000:>8.1f} {p95_large / p95_small:>6.2f} {size / 1024:>6.1f}")
    print(f"htmx fragment (the agenda as htmx asks for it): {large['fragment'] / 1024:.1f} KB "
          f"(budget < 10)")


if __name__ == "__main__":
    main()
