"""SPEC §10's budgets measured under load: prints figures, asserts nothing.

    .venv/bin/python bench/pages.py [--cases 1000 100000] [--engines sqlite postgresql]
        [--seconds 10] [--rounds 3] [--quick] [--tree PATH] [--out DIR]

1. Seeds a fresh database for each engine and size, all before measuring: `init-db`,
   `seed-demo`, `seed-volume --cases N --seed 1` (SQLite files in a temporary folder;
   PostgreSQL databases consult_bench_<pid>_<cases>, dropped at the end).
2. Starts gunicorn on each database, and on bench/hello.py, with the README's deployment
   (`gunicorn --workers N --bind 127.0.0.1:PORT app:app`, CONSULT_ENV=production, a
   random SECRET_KEY, DATABASE_URL, TRUSTED_PROXIES=1), with 2 workers, not the
   README's 4: the machine has two cores, which wrk shares. The README puts an HTTPS
   proxy in front; this bench plays that proxy: every request carries
   `X-Forwarded-Proto: https` and `X-Forwarded-For: 127.0.0.1`, so production runs as
   deployed (Secure `__Host-` cookie, HSTS, CSRF's strict Referer check) over loopback.
3. Picks with SQL the volume region's users and what each may see, and logs each user
   in once through the login form (a second factor from the stored secret if asked).
4. Counts SQL statements per request without touching the app: the app, imported from
   the same tree in a separate process, answers a sample of every page's requests
   through Flask's test client while a SQLAlchemy `before_cursor_execute` listener
   counts (the same requests, cookies and headers as wrk sends; the answers' status
   codes are checked too).
5. Drives every page with wrk (`-t2 -c8 -d10s`, `--timeout 60s`) through a Lua script
   that cycles over (cookie, request) pairs: at least 50 users and 200 objects a page
   where the data has them, all of them otherwise (the table says how many). Three
   rounds, interleaved: each round runs hello, then every page at every size, per
   engine, so that drift hits all alike; the table shows the rounds' medians.

Per page, engine and size: req/s, its ratio to the same round's hello (median of the
rounds' ratios; budget ≥ 0.25), p50 and p95 latency, p95 against the first size's
(budget ≤ 1.3), SQL statements per request (mean of the sample; budget ≤ 12), the
gunicorn workers' CPU ms per request (utime + stime from /proc), PostgreSQL's backends'
CPU ms per request, bytes transferred per request (asked with `Accept-Encoding: gzip,
br`, as a browser does), first load (the page and every static file it links; budget
< 100 KB; a fragment's budget is 10 KB a request) and the largest worker's RSS. The
table, a CSV and a JSON file go to --out (a new folder in /tmp by default).

`--quick` is a smoke run (1,000 and 5,000 cases, 1 s a page, one round, 60 referrers).
`--tree PATH` seeds and serves another checkout (e.g. a `git worktree` of an older
revision) with its own .venv when it has one, so that "before" figures come from the
same bench. Needs wrk (Debian's package) and, for PostgreSQL, a server with trust
authentication (--postgres)."""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.client import HTTPResponse
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
PAIRS = 240               # (user, object) pairs per page, at most
PER_TEAM = 5              # a team's people who log in, at least (coordinators first)
VOLUME = "%@volyymi.example.fi"
PROXY = ("X-Forwarded-Proto: https", "X-Forwarded-For: 127.0.0.1")
BROWSER = ("Accept: text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Encoding: gzip, br")
INBOX_STATES = ("submitted", "accepted", "returned", "scheduled")


# --- HTTP: one request format for wrk and for the checks ---------------------------

def raw_request(port: int, method: str, path: str, *, cookie: str = "", form=None,
                referer: str = "", extra=()) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *PROXY, *BROWSER, *extra]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if referer:
        lines.append(f"Referer: https://127.0.0.1:{port}{referer}")
    body = urlencode(form).encode() if form is not None else b""
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def send(port: int, raw: bytes):
    """(status, headers, body, bytes on the wire) of one request."""
    with socket.create_connection(("127.0.0.1", port), timeout=300) as sock:
        sock.sendall(raw)
        response = HTTPResponse(sock, method=raw.split(b" ", 1)[0].decode())
        response.begin()
        body = response.read()
    wire = len(f"HTTP/1.1 {response.status} {response.reason}\r\n\r\n") + len(body) + sum(
        len(name) + len(value) + 4 for name, value in response.getheaders())
    return response.status, response.msg, body, wire


@dataclass
class Login:
    cookie: str
    csrf: str


def log_in(port: int, email: str, password: str, totp_secret) -> Login:
    """Through the login form, as a person would; the session cookie and CSRF token
    after a first page (which puts the token in the session)."""
    jar: dict[str, str] = {}

    def call(method, path, form=None):
        status, headers, body, _ = send(port, raw_request(
            port, method, path, cookie="; ".join(f"{k}={v}" for k, v in jar.items()),
            form=form, referer=path if form is not None else ""))
        for cookie in headers.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            jar[name.strip()] = value
        return status, headers, body.decode()

    def token(page):
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)

    _, _, page = call("GET", "/login")
    status, headers, _ = call("POST", "/login", {"email": email, "password": password,
                                                 "csrf_token": token(page)})
    where = headers.get("Location", "")
    if status == 302 and "/login/second-factor" in where and "setup" not in where:
        import pyotp

        _, _, page = call("GET", "/login/second-factor")
        status, headers, _ = call("POST", "/login/second-factor", {
            "code": pyotp.TOTP(totp_secret).now(), "csrf_token": token(page)})
        where = headers.get("Location", "")
    if status != 302 or "/login" in where:
        raise RuntimeError(f"{email} could not log in ({status} → {where or 'no redirect'})")
    status, _, page = call("GET", "/profile")
    if status != 200:
        raise RuntimeError(f"{email}: /profile answered {status} after logging in")
    return Login("; ".join(f"{k}={v}" for k, v in jar.items()),
                 re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1))


# --- What each page is asked for ----------------------------------------------------

@dataclass
class Page:
    name: str
    status: int                  # the answer every request must get
    pairs: list = field(default_factory=list)   # (email, method, path, form, referer)
    note: str = ""

    @property
    def fragment(self) -> bool:
        return self.name.startswith("fragment:")

    def users(self) -> int:
        return len({p[0] for p in self.pairs})

    def objects(self) -> int | None:
        """Distinct requests; None where every user asks for the same (my work)."""
        count = len({p[2] + json.dumps(p[3]) for p in self.pairs})
        return None if count == 1 else count


def spread(items: list, n: int = PAIRS) -> list:
    """n items evenly spread over the list (all of them when there are fewer)."""
    if len(items) <= n:
        return list(items)
    return [items[math.floor(i * len(items) / n)] for i in range(n)]


class Turns:
    """Hands out a group's people in turn, so that the pairs spread over everyone."""

    def __init__(self, people: dict):
        self.people, self.turn = people, defaultdict(int)

    def __call__(self, group):
        people = self.people.get(group) or []
        if not people:
            return None
        self.turn[group] += 1
        return people[(self.turn[group] - 1) % len(people)]


def pick(database_url: str, pool: int = PAIRS) -> tuple[list[Page], dict]:
    """The pages and their (user, object) pairs: the volume region's people, each with
    what they may see (the checks before measuring confirm every status)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as db:
        def rows(sql, **values):
            return db.execute(text(sql), {"v": VOLUME, **values}).all()

        roles = defaultdict(list)
        for email, role in rows('SELECT u.email, r.role FROM "user" u JOIN user_role r '
                                'ON r.user_id = u.id WHERE u.email LIKE :v ORDER BY u.email'):
            roles[role].append(email)
        team_people, coordinators = defaultdict(list), defaultdict(list)
        for team, email, role in rows(
                'SELECT m.team_id, u.email, m.role FROM team_membership m JOIN "user" u ON '
                'u.id = m.user_id WHERE u.email LIKE :v UNION SELECT t.id, u.email, '
                '\'physician\' FROM team t JOIN "user" u ON u.id = t.physician_id WHERE '
                'u.email LIKE :v ORDER BY 1, 3 DESC, 2'):
            team_people[team].append(email)
            if role == "coordinator":
                coordinators[team].append(email)
        requests = rows(
            'SELECT r.id, u.email, r.state, r.mode, r.target_team_id, p.email FROM '
            'consultation_request r JOIN "user" u ON u.id = r.referrer_id LEFT JOIN "user" p '
            'ON p.id = r.target_physician_id WHERE u.email LIKE :v ORDER BY r.id')
        meetings = rows(
            'SELECT m.id, m.team_id, m.state FROM meeting m WHERE m.team_id IN (SELECT '
            'team_id FROM team_membership tm JOIN "user" u ON u.id = tm.user_id WHERE '
            'u.email LIKE :v) AND EXISTS (SELECT 1 FROM agenda_item i WHERE i.meeting_id = '
            'm.id) ORDER BY m.starts_at, m.id')
        movable = rows(
            "SELECT i.id, m.id, m.team_id FROM agenda_item i JOIN meeting m ON m.id = "
            "i.meeting_id WHERE m.state IN ('draft', 'agenda_sent') AND i.state = 'on_agenda' "
            "ORDER BY m.starts_at, i.position")
        protocols = rows(
            'SELECT p.id, p.kind, r.target_team_id, ph.email, i.meeting_id, r.id FROM protocol p '
            'JOIN consultation_request r ON r.id = p.request_id JOIN "user" u ON '
            'u.id = r.referrer_id LEFT JOIN "user" ph ON ph.id = r.target_physician_id '
            'LEFT JOIN agenda_item i ON i.id = p.agenda_item_id WHERE u.email LIKE :v '
            'ORDER BY p.id')
        surnames = defaultdict(list)
        for email, name in rows(
                'SELECT DISTINCT u.email, c.last_name FROM "user" u JOIN client c ON '
                'c.created_by_id = u.id WHERE u.email LIKE :v ORDER BY 1, 2'):
            surnames[email].append(name)
        kinds = [k for (k,) in rows("SELECT DISTINCT kind FROM organisation ORDER BY kind")]
        secrets_ = dict(rows('SELECT email, totp_secret FROM "user" WHERE totp_secret IS NOT NULL'))
    engine.dispose()

    # Each user logs in once (a scrypt hash each): the pages draw on a few hundred of
    # them, `pool` referrers and at least PER_TEAM people of each team (coordinators,
    # the physician, members), and every physician and manager.
    roles["referrer"] = spread(roles["referrer"], pool)
    referrers = set(roles["referrer"])
    requests = [r for r in requests if r[1] in referrers]
    per_team = max(PER_TEAM, math.ceil(PAIRS / max(len(team_people), 1)))
    team_people = {team: [e for e in emails if e in coordinators[team]] + [
        e for e in emails if e not in coordinators[team]][:per_team - len(coordinators[team])]
        for team, emails in team_people.items()}
    pooled = referrers | {e for emails in team_people.values() for e in emails}
    for role in ("coordinator", "member"):
        roles[role] = [e for e in roles[role] if e in pooled]
    team_turns, coordinator_turns = Turns(team_people), Turns(coordinators)
    pages = [Page(f"my work: {role}", 200, [(e, "GET", "/", None, None)
                                           for e in spread(roles[role])])
             for role in ("referrer", "coordinator", "member", "physician", "manager")]

    inbox = [(t, s, k) for t in sorted(coordinators) for s in INBOX_STATES for k in ["", *kinds]]
    pages.append(Page("team inbox", 200, [
        (coordinator_turns(t), "GET", f"/teams/{t}/inbox?state={s}" + (f"&kind={k}" if k else ""),
         None, None) for t, s, k in spread(inbox)]))
    physician_inbox = [(e, s) for e in roles["physician"] for s in INBOX_STATES]
    pages.append(Page("physician inbox", 200, [
        (e, "GET", f"/physician/inbox?state={s}", None, None) for e, s in spread(physician_inbox)]))

    shown = spread([m for m in meetings if m[1] in team_people])
    pages.append(Page("meeting agenda", 200, [(team_turns(t), "GET", f"/meetings/{m}", None, None)
                                              for m, t, _ in shown]))
    pages.append(Page("run view", 200, [(team_turns(t), "GET", f"/meetings/{m}/run", None, None)
                                        for m, t, _ in shown]))

    def other_side(request):
        """The request's coordinator (a team's) or physician."""
        team, physician = request[4:6]
        return coordinator_turns(team) if team else physician

    case_pairs = []
    for n, request in enumerate(spread(requests)):
        user = other_side(request) if n % 2 and request[2] != "draft" else request[1]
        case_pairs.append((user, "GET", f"/requests/{request[0]}", None, None))
    pages.append(Page("case page", 200, case_pairs,
                      "its referrer, or every other time the team's coordinator or the physician"))

    managers_and_coordinators = roles["manager"] + roles["coordinator"]
    today = date.today()
    months = [date((m := today.year * 12 + today.month - 1 - n) // 12, m % 12 + 1, 15)
              for n in range(36)]
    years = [today.replace(year=today.year - n, day=1) for n in range(4)]
    ends = [today - timedelta(days=7 * n) for n in range(20)]
    # Every kind of organisation, as the indicators are read most; one kind chosen (a
    # direct count, see README "Indicators") is a page of its own.
    for name, filters in (
            ("indicators: month", [f"period=month&day={d}" for d in months]),
            ("indicators: year", [f"period=year&day={d}" for d in years]),
            ("indicators: 3-year range",
             [f"period=range&start={e - timedelta(days=3 * 365 - 1)}&end={e}" for e in ends]),
            ("indicators: year, one kind",
             [f"period=year&day={d}&kind={k}" for d in years for k in kinds])):
        pages.append(Page(name, 200, [
            (managers_and_coordinators[n % len(managers_and_coordinators)], "GET",
             f"/indicators?{query}", None, None) for n, query in enumerate(spread(filters))],
            "managers and coordinators; all the teams each sees"))

    stale = "stale"   # not a number: every version check takes it as out of date
    pages.append(Page("fragment: agenda move", 409, [
        (coordinator_turns(t), "POST", f"/meetings/{m}/items/{i}/move",
         {"direction": "down", "version": stale}, f"/meetings/{m}")
        for i, m, t in spread(movable) if t in coordinators],
        "a move on a stale agenda version: the agenda as it is, 409"))
    talk = [r for r in requests if r[2] != "draft"]
    pages.append(Page("fragment: message thread", 422, [
        (other_side(r) if n % 2 else r[1], "POST", f"/requests/{r[0]}/messages", {"body": ""},
         f"/requests/{r[0]}") for n, r in enumerate(spread(talk))],
        "an empty message: the thread again with the error, 422"))
    drafts = [r for r in requests if r[2] in ("draft", "returned")]
    pages.append(Page("fragment: pre-form autosave", 409, [
        (r[1], "POST", f"/requests/{r[0]}/preform/autosave",
         {"revision": stale, "wishes_goals__wishes_goals": "bench"}, f"/requests/{r[0]}")
        for r in spread(drafts)],
        "a save on a stale revision: the conflict's status line, 409"))
    pages.append(Page("fragment: notes autosave", 409, [
        (team_turns(team) if kind == "protocol" else physician, "POST",
         f"/protocols/{p}/notes/autosave", {"revision": stale, "general": "bench"},
         f"/meetings/{meeting}/run" if kind == "protocol" else f"/requests/{request}/record")
        for p, kind, team, physician, meeting, request in spread(protocols)],
        "a save into a record: 409 (the volume data's records are all finalised)"))
    appointments = [r for r in requests if r[5] and r[3] != "written_statement"
                    and r[2] in ("submitted", "scheduled")]
    pages.append(Page("fragment: booking", 422, [
        (r[5], "POST", f"/requests/{r[0]}/booking", {"action": "book"}, f"/requests/{r[0]}")
        for r in spread(appointments)],
        "booking with no time chosen: the booking section with the error, 422"))
    searchers = [e for e in roles["referrer"] if surnames[e]]
    pages.append(Page("fragment: client search", 200, [
        (e, "POST", "/clients", {"q": surnames[e][n % len(surnames[e])]}, "/clients")
        for n, e in enumerate(spread(searchers))],
        "a referrer's register searched by a surname of their own clients"))
    everyone = sorted({pair[0] for page in pages for pair in page.pairs})
    pages.append(Page("fragment: session continue", 204, [
        (e, "POST", "/session/continue", {}, "/") for e in spread(everyone)],
        "the session warning's 'continue': 204"))
    return pages, secrets_


# --- Databases and servers ----------------------------------------------------------

@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(name: str, target: str, python: str, cwd: Path, env: dict, logs: Path) -> Server:
    port = free_port()
    log = logs / f"{name.replace(' ', '-').replace(',', '')}.log"
    process = subprocess.Popen(
        [python, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         target], cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    server = Server(name, process, port, log)
    path = "/healthz" if target == "app:app" else "/"
    for _ in range(300):
        try:
            if send(port, raw_request(port, "GET", path))[0] == 200 and \
                    len(server.workers()) == WORKERS:
                return server
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start: see {log}")


def stop(server: Server) -> None:
    os.killpg(server.process.pid, signal.SIGTERM)
    server.process.wait(30)


def cpu_ticks(pids) -> int:
    """utime + stime of the processes, in clock ticks."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Setup:
    """One engine and size: its database, server, pages and logins."""
    engine: str
    cases: int
    url: str
    password: str = ""
    server: Server | None = None
    pages: list = field(default_factory=list)
    logins: dict = field(default_factory=dict)
    used: dict = field(default_factory=dict)     # e-mail → when its session was last used
    statements: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.engine} {self.cases:,}"

    def backends(self, admin) -> list[int]:
        """PostgreSQL's server processes of this database (the workers' connections)."""
        if admin is None or self.engine != "postgresql":
            return []
        name = self.url.rsplit("/", 1)[1]
        return [pid for (pid,) in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)).fetchall()]


def flask(python: str, tree: Path, env: dict, *args: str) -> str:
    done = subprocess.run([python, "-m", "flask", "--app", "app", *args], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


# --- Statements per request (run by the tree's python, in the tree) ------------------

def count_statements(spec: str) -> None:
    """Answers each request of the spec file with the app's test client, counting the
    statements it runs; prints [[status, statements], …] as JSON."""
    sys.path.insert(0, os.getcwd())
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from consult import create_app

    app = create_app()
    counter = [0]

    def counted(*_):
        counter[0] += 1

    event.listen(Engine, "before_cursor_execute", counted)
    client = app.test_client(use_cookies=False)
    answers = []
    for port, raw in json.loads(Path(spec).read_text()):
        head, _, body = raw.encode("latin-1").partition(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ")
        headers = [tuple(line.split(": ", 1)) for line in lines
                   if not line.lower().startswith(("host:", "content-length:"))]
        before = counter[0]
        response = client.open(path, method=method, headers=headers, data=body,
                               base_url=f"http://127.0.0.1:{port}")
        answers.append([response.status_code, counter[0] - before])
    print(json.dumps(answers))


# --- wrk -------------------------------------------------------------------------------

LUA = """-- bench/pages.py: {name}
local requests = {{
{requests}
}}
local n = #requests
local threads = 0
function setup(thread)
  thread:set("first", math.floor(threads * n / {threads}))
  threads = threads + 1
end
function init(args) turn = first end
function request()
  turn = turn + 1
  return requests[turn % n + 1]
end
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format("BENCH %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.1f %.1f\\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95)))
end
"""


def lua_string(data: bytes) -> str:
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}"
                         for b in data) + '"'


def page_requests(setup: Setup, page: Page) -> list[bytes]:
    port = setup.server.port
    made = []
    for email, method, path, form, referer in page.pairs:
        login = setup.logins[email]
        extra = ("HX-Request: true", f"X-CSRFToken: {login.csrf}") if method == "POST" else ()
        made.append(raw_request(port, method, path, cookie=login.cookie, form=form,
                                referer=referer or "", extra=extra))
    return made


def wrk(server: Server, name: str, requests: list[bytes], seconds: int, args, folder: Path,
        backends=()) -> dict:
    script = folder / f"{re.sub(r'[^a-z0-9]+', '-', (server.name + ' ' + name).lower())}.lua"
    script.write_text(LUA.format(name=name, threads=args.threads, requests=",\n".join(
        lua_string(r) for r in requests)))
    workers = server.workers()
    backends = list(backends)
    cpu, db_cpu = cpu_ticks(workers), cpu_ticks(backends)
    done = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "60s",
         "-s", str(script), f"http://127.0.0.1:{server.port}"],
        capture_output=True, text=True, check=True)
    cpu, db_cpu = cpu_ticks(workers) - cpu, cpu_ticks(backends) - db_cpu
    line = next(l for l in done.stdout.splitlines() if l.startswith("BENCH "))
    count, size, micros, *errors, p50, p95 = (float(x) for x in line.split()[1:])
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    return {
        "requests": int(count), "rps": count / (micros / 1e6), "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000, "bytes_per_request": size / max(count, 1),
        "cpu_ms_per_request": cpu * tick_ms / max(count, 1),
        "db_cpu_ms_per_request": db_cpu * tick_ms / max(count, 1) if backends else None,
        "worker_rss_mb": max(rss_mb(pid) for pid in workers),
        "errors": dict(zip(("connect", "read", "write", "status", "timeout"),
                           (int(e) for e in errors)))}


# --- The run -----------------------------------------------------------------------------

def main() -> None:
    if sys.argv[1:2] == ["--count-statements"]:
        return count_statements(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", help="sizes (default 1000 100000; "
                        "--quick: 1000 5000)")
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=int, help="wrk's -d per page (default 10)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3)")
    parser.add_argument("--warmup", type=int, help="seconds of wrk per page before the "
                        "rounds (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk's -t")
    parser.add_argument("--connections", type=int, default=8, help="wrk's -c")
    parser.add_argument("--sample", type=int, help="requests per page whose statements are "
                        "counted (default 40)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few minutes: "
                        "1,000 and 5,000 cases, 1 s a page, one round, no warm-up, 10 counted, "
                        "60 referrers")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to seed and serve")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432",
                        help="the PostgreSQL server (trust authentication)")
    parser.add_argument("--out", type=Path, help="where the results go (default: a new "
                        "folder in /tmp)")
    args = parser.parse_args()
    quick = args.quick
    args.cases = args.cases or ([1000, 5000] if quick else [1000, 100_000])
    args.seconds = args.seconds or (1 if quick else 10)
    args.rounds = args.rounds or (1 if quick else 3)
    args.warmup = args.warmup if args.warmup is not None else (0 if quick else 1)
    args.sample = args.sample or (10 if quick else 40)

    tree = args.tree.resolve()
    if not (tree / "app.py").exists():
        parser.error(f"{tree} is not a checkout of consult (no app.py)")
    python = str(next((p for p in (tree / ".venv/bin/python", ROOT / ".venv/bin/python")
                       if p.exists()), Path(sys.executable)))
    folder = Path(tempfile.mkdtemp(prefix="consult-bench-", dir="/tmp"))
    out = args.out or folder
    (out / "logs").mkdir(parents=True, exist_ok=True)
    revision = subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %s"],
                              capture_output=True, text=True).stdout.strip()
    secret = secrets.token_hex(32)
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("CONSULT_", "DATABASE_URL", "SMTP_", "TRUSTED_"))}
    production = {**base_env, "CONSULT_ENV": "production", "SECRET_KEY": secret,
                  "TRUSTED_PROXIES": "1"}
    settings = (f"gunicorn --workers {WORKERS} --bind 127.0.0.1:PORT app:app (the README "
                f"deploys --workers 4; {WORKERS} here: two cores, shared with wrk), sync "
                f"workers, gunicorn's other defaults; CONSULT_ENV=production, SECRET_KEY=<random "
                f"64 hex>, DATABASE_URL=<fresh database>, TRUSTED_PROXIES=1 (SECURE_COOKIES "
                f"stays on); each request carries X-Forwarded-Proto: https and X-Forwarded-For: "
                f"127.0.0.1, as the README's HTTPS proxy would. The same for bench/hello.py.")
    print(f"tree: {tree} ({revision}); python: {python}")
    print(f"server: {settings}")
    print(f"load: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s --timeout 60s, "
          f"{args.rounds} interleaved round(s), medians; results in {out}\n", flush=True)

    admin = None
    setups: list[Setup] = []
    servers: list[Server] = []
    started = time.perf_counter()
    try:
        if "postgresql" in args.engines:
            import psycopg

            admin = psycopg.connect(f"{args.postgres}/postgres", autocommit=True)
        for engine in args.engines:
            for cases in args.cases:
                if engine == "sqlite":
                    url = f"sqlite:///{folder}/consult-{cases}.sqlite"
                else:
                    name = f"consult_bench_{os.getpid()}_{cases}"
                    admin.execute(f'CREATE DATABASE "{name}"')
                    url = f"{args.postgres}/{name}"
                setup = Setup(engine, cases, url)
                setups.append(setup)
                began = time.perf_counter()
                seeding = {**base_env, "CONSULT_ENV": "development", "SECRET_KEY": secret,
                           "DATABASE_URL": url}
                flask(python, tree, seeding, "init-db")
                flask(python, tree, seeding, "seed-demo")
                printed = flask(python, tree, seeding, "seed-volume", "--cases", str(cases),
                                "--seed", "1")
                setup.password = re.search(r"password for all: (\S+?)\)", printed).group(1)
                print(f"seeded {setup.label} cases in {time.perf_counter() - began:.0f} s",
                      flush=True)

        hello = serve("hello", "bench.hello:app", python, ROOT, production, out / "logs")
        servers.append(hello)
        for setup in setups:
            setup.server = serve(setup.label, "app:app", python, tree,
                                 {**production, "DATABASE_URL": setup.url}, out / "logs")
            servers.append(setup.server)
            setup.pages, totp = pick(setup.url, 60 if quick else PAIRS)
            emails = sorted({p[0] for page in setup.pages for p in page.pairs})
            began = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                logins = pool.map(lambda e: log_in(setup.server.port, e, setup.password,
                                                   totp.get(e)), emails)
                setup.logins = dict(zip(emails, logins))
            setup.used = dict.fromkeys(emails, time.monotonic())
            logged_in = time.perf_counter() - began
            check_and_count(setup, python, tree, production, args.sample, folder)
            print(f"{setup.label}: {len(emails)} users logged in ({logged_in:.0f} s), "
                  f"statements counted and answers checked "
                  f"({time.perf_counter() - began - logged_in:.0f} s)", flush=True)

        weights = first_loads(setups)
        if args.warmup:
            for setup in setups:
                for page in (p for p in setup.pages if p.pairs):
                    wrk(setup.server, page.name, page_requests(setup, page), args.warmup, args,
                        folder)
        estimate = args.rounds * len(args.engines) * (
            1 + len(setups[0].pages) * len(args.cases)) * (args.seconds + 0.5)
        print(f"measuring: about {estimate / 60:.0f} min\n", flush=True)
        results = defaultdict(list)     # (engine, cases, page) or (engine, "hello") → rounds
        for round_ in range(1, args.rounds + 1):
            for engine in args.engines:
                results[(engine, "hello")].append(wrk(
                    hello, "hello", [raw_request(hello.port, "GET", "/")], args.seconds, args,
                    folder))
                for n in range(len(setups[0].pages)):
                    for setup in (s for s in setups if s.engine == engine):
                        page = setup.pages[n]
                        if not page.pairs:
                            continue
                        keep_alive(setup, page)
                        result = wrk(setup.server, page.name, page_requests(setup, page),
                                     args.seconds, args, folder, setup.backends(admin))
                        result["checked"] = spot_check(setup, page)
                        results[(engine, setup.cases, page.name)].append(result)
            print(f"round {round_} done ({(time.perf_counter() - started) / 60:.1f} min)",
                  flush=True)
        report(args, setups, results, weights, out, settings, tree, revision)
        for server in servers:
            errors = sum("Traceback" in line or "[ERROR]" in line
                         for line in server.log.read_text().splitlines())
            if errors:
                print(f"{server.name}: {errors} error lines in {server.log}")
        print(f"\ntotal {(time.perf_counter() - started) / 60:.1f} min")
    finally:
        for server in servers:
            stop(server)
        if admin is not None:
            for setup in setups:
                if setup.engine == "postgresql":
                    admin.execute(f'DROP DATABASE IF EXISTS "{setup.url.rsplit("/", 1)[1]}" '
                                  "WITH (FORCE)")
            admin.close()
        for item in folder.iterdir():
            if item.suffix in (".sqlite", ".sqlite-wal", ".sqlite-shm", ".lua", ".json"):
                item.unlink()
        if out != folder and not any(folder.iterdir()):
            folder.rmdir()


def keep_alive(setup: Setup, page: Page) -> None:
    """Sessions end after 30 idle minutes: a user not seen for 20 continues theirs."""
    now = time.monotonic()
    for email in {p[0] for p in page.pairs}:
        if now - setup.used[email] > 20 * 60:
            login = setup.logins[email]
            send(setup.server.port, raw_request(
                setup.server.port, "POST", "/session/continue", cookie=login.cookie, form={},
                referer="/", extra=("HX-Request: true", f"X-CSRFToken: {login.csrf}")))
        setup.used[email] = now


def spot_check(setup: Setup, page: Page) -> bool:
    """After a run: its first request still gets the expected answer (a session that
    ended would answer with a redirect to the login page, which wrk counts as fine)."""
    return send(setup.server.port, page_requests(setup, page)[0])[0] == page.status


def check_and_count(setup: Setup, python: str, tree: Path, env: dict, sample: int,
                    folder: Path) -> None:
    """Statements per request over a sample of each page's pairs, and every sampled
    answer's status checked."""
    chosen = {page.name: spread(list(zip(page.pairs, page_requests(setup, page))), sample)
              for page in setup.pages if page.pairs}
    spec = folder / f"count-{setup.engine}-{setup.cases}.json"
    spec.write_text(json.dumps([[setup.server.port, raw.decode("latin-1")]
                                for pairs in chosen.values() for _, raw in pairs]))
    done = subprocess.run([python, str(ROOT / "bench/pages.py"), "--count-statements", str(spec)],
                          cwd=tree, env={**env, "DATABASE_URL": setup.url, "PYTHONPATH": str(tree)},
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"counting statements failed:\n{done.stderr[-3000:]}")
    answers = iter(json.loads(done.stdout.strip().splitlines()[-1]))
    wrong = []
    for page in (p for p in setup.pages if p.pairs):
        counts = []
        for (email, method, path, *_), _raw in chosen[page.name]:
            status, statements = next(answers)
            counts.append(statements)
            if status != page.status:
                wrong.append(f"  {page.name}: {method} {path} as {email}: {status}, "
                             f"expected {page.status}")
        setup.statements[page.name] = {"mean": statistics.mean(counts), "max": max(counts),
                                       "min": min(counts), "sampled": len(counts)}
    if wrong:
        raise RuntimeError(f"{setup.label}: unexpected answers:\n" + "\n".join(wrong[:30]))


def first_loads(setups: list[Setup]) -> dict:
    """Bytes transferred for each page's first request and every static file it links
    (the same on every page: measured once per server)."""
    weights = {}
    for setup in setups:
        port, static = setup.server.port, {}
        for page in setup.pages:
            if page.fragment or not page.pairs:
                continue
            _, _, body, wire = send(port, page_requests(setup, page)[0])
            for asset in set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', body)):
                if asset not in static:
                    static[asset] = send(port, raw_request(port, "GET", asset.decode()))[3]
            weights[(setup.engine, setup.cases, page.name)] = wire + sum(
                static[a] for a in set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', body)))
    return weights


def report(args, setups, results, weights, out: Path, settings, tree, revision) -> None:
    def median(runs, key):
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if values else None

    rows = []
    for engine in args.engines:
        hello = results[(engine, "hello")]
        for page in setups[0].pages:
            first_p95 = None
            for setup in (s for s in setups if s.engine == engine):
                runs = results[(engine, setup.cases, page.name)]
                mine = next(p for p in setup.pages if p.name == page.name)
                if not runs:
                    continue
                p95 = median(runs, "p95_ms")
                first_p95 = first_p95 or p95
                errors = sum(sum(r["errors"].values()) - (r["errors"]["status"]
                             if mine.status >= 400 else 0) for r in runs)
                wrong_status = sum(r["requests"] - r["errors"]["status"] if mine.status >= 400
                                   else 0 for r in runs)
                rows.append({
                    "page": page.name, "engine": engine, "cases": setup.cases,
                    "users": mine.users(), "objects": mine.objects(),
                    "rps": median(runs, "rps"),
                    "ratio_to_hello": statistics.median(
                        r["rps"] / h["rps"] for r, h in zip(runs, hello)),
                    "p50_ms": median(runs, "p50_ms"), "p95_ms": p95,
                    "p95_ratio_to_first_size": p95 / first_p95 if first_p95 else None,
                    "statements": setup.statements[page.name]["mean"],
                    "statements_max": setup.statements[page.name]["max"],
                    "cpu_ms_per_request": median(runs, "cpu_ms_per_request"),
                    "db_cpu_ms_per_request": median(runs, "db_cpu_ms_per_request"),
                    "kb_per_request": median(runs, "bytes_per_request") / 1024,
                    "first_load_kb": (weights[(engine, setup.cases, page.name)] / 1024
                                      if (engine, setup.cases, page.name) in weights else None),
                    "worker_rss_mb": median(runs, "worker_rss_mb"),
                    "problems": errors + wrong_status + sum(not r["checked"] for r in runs),
                    "rounds": runs})

    def cell(value, digits=0, width=7):
        return f"{'-':>{width}}" if value is None else f"{value:>{width},.{digits}f}"

    lines = []
    for engine in args.engines:
        hello = results[(engine, "hello")]
        rounds = ", ".join(f"{h['rps']:,.0f}" for h in hello)
        lines.append(f"\n{engine}: hello {statistics.median(h['rps'] for h in hello):,.0f} req/s "
                     f"(rounds: {rounds}), p95 "
                     f"{median(hello, 'p95_ms'):.1f} ms, CPU {median(hello, 'cpu_ms_per_request'):.2f}"
                     f" ms/req, {median(hello, 'bytes_per_request'):.0f} B/req")
        lines.append(f"{'page':<28}{'cases':>8}{'users':>6}{'objs':>5}{'req/s':>7}{'×hello':>7}"
                     f"{'p50':>7}{'p95':>7}{'p95×':>6}{'SQL':>6}{'CPU':>6}{'dbCPU':>6}{'KB/rq':>7}"
                     f"{'1stKB':>7}{'RSS':>5}{'!':>3}")
        lines.append(f"{'':<28}{'':>8}{'':>6}{'':>5}{'':>7}{'≥.25':>7}{'ms':>7}{'ms':>7}"
                     f"{'≤1.3':>6}{'≤12':>6}{'ms':>6}{'ms':>6}{'<10fr':>7}{'<100':>7}{'MB':>5}")
        for row in (r for r in rows if r["engine"] == engine):
            lines.append(
                f"{row['page']:<28}{row['cases']:>8,}{row['users']:>6}{row['objects'] or '-':>5}"
                f"{cell(row['rps'])}{cell(row['ratio_to_hello'], 2)}{cell(row['p50_ms'], 1)}"
                f"{cell(row['p95_ms'], 1)}{cell(row['p95_ratio_to_first_size'], 2, 6)}"
                f"{cell(row['statements'], 1, 6)}{cell(row['cpu_ms_per_request'], 1, 6)}"
                f"{cell(row['db_cpu_ms_per_request'], 1, 6)}{cell(row['kb_per_request'], 1)}"
                f"{cell(row['first_load_kb'], 1)}{cell(row['worker_rss_mb'], 0, 5)}"
                f"{row['problems'] or '':>3}")
    few = defaultdict(dict)     # the same data on every engine
    for r in rows:
        if r["users"] < 50 or (r["objects"] or 200) < 200:
            few[r["page"]][r["cases"]] = f"{r['users']} users, {r['objects'] or '-'} objects"
    few = [f"{page}: " + "; ".join(f"{cases:,} cases {text}" for cases, text in sizes.items())
           for page, sizes in few.items()]
    lines.append("\nSQL: statements per request, mean of a sample of each page's requests "
                 "(max in the JSON); CPU: the gunicorn workers' CPU per request; dbCPU: "
                 "PostgreSQL's backends' (SQLite's is in CPU); p95×: against the first size; "
                 "1stKB: the page and its static files; !: requests that failed, answered "
                 "otherwise than expected, or a failed check after the run.")
    if few:
        lines.append("Fewer than 50 users or 200 objects in the data, all of them used:\n  "
                     + "\n  ".join(few))
    for page in setups[0].pages:
        if page.note:
            lines.append(f"{page.name}: {page.note}")
    text = "\n".join(lines)
    print(text)
    fields = [k for k in rows[0] if k != "rounds"]
    with (out / "results.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows({k: r[k] for k in fields} for r in rows)
    (out / "results.txt").write_text(text + "\n")
    (out / "results.json").write_text(json.dumps({
        "tree": str(tree), "revision": revision, "settings": settings,
        "load": {"threads": args.threads, "connections": args.connections,
                 "seconds": args.seconds, "rounds": args.rounds},
        "hello": {e: results[(e, "hello")] for e in args.engines},
        "statements": {s.label: s.statements for s in setups},
        "pages": rows}, indent=1, default=str))
    print(f"\nresults: {out / 'results.txt'}, {out / 'results.csv'}, {out / 'results.json'}")


if __name__ == "__main__":
    main()
