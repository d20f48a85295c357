"""Booking integrity for real (issue 5): the app under gunicorn with several worker
processes, on the suite's database (SQLite or PostgreSQL), and at least 20 booking
requests for one slot released at the same moment. Exactly one wins; every other gets
the "just taken" answer; nothing errors; the database holds one booking."""
from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.scheduling import booking as bookings
from consult.scheduling.models import Booking
from consult.timeutil import utcnow
from tests import factories
from tests.conftest import SECRET, moved_clock

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = factories.PASSWORD  # every test user's

pytestmark = pytest.mark.long  # a real server in its own process, and many bookings


MOVED_GUNICORN = ("import sys, time_machine; time_machine.travel(sys.argv.pop(1), tick=True)"
                  ".start(); from gunicorn.app.wsgiapp import run; sys.argv[0] = 'gunicorn'; run()")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """The app under gunicorn, two sync workers, logging each request with its pid."""
    port = free_port()
    log = tmp_path / "access.log"
    env = dict(os.environ, CONSULT_ENV="testing", SECRET_KEY=SECRET, DATABASE_URL=database_url,
               BASE_URL=f"http://127.0.0.1:{port}")
    arguments = ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log),
                 "--access-logformat", "%(p)s %(r)s %(s)s", "app:app"]
    # Under a moved clock (TEST_CLOCK) the server's clock is moved to the test's now, so
    # that both sides agree on what time it is; its workers, forked, inherit it.
    launch = ([sys.executable, "-c", MOVED_GUNICORN, datetime.now(timezone.utc).isoformat()]
              if moved_clock() else [sys.executable, "-m", "gunicorn"])
    process = subprocess.Popen(launch + arguments, cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
    try:
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=10)


class Browser:
    """One logged-in user over plain HTTP: a cookie jar and the page's CSRF token."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
        token = self.token("/login")
        self.post("/login", email=email, password=PASSWORD, csrf_token=token)
        self.csrf = self.token("/")

    def token(self, path: str) -> str:
        html = self.opener.open(self.base + path).read().decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def post(self, path: str, **data) -> int:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        try:
            return self.opener.open(self.base + path, data=body, timeout=60).status
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def release_at_once(calls) -> list[int]:
    """Run every call in its own thread, all released by one barrier."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def world(requests: int):
    physician = factories.create_user("physician")
    start = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    slot = factories.create_slot(physician, starts_at=start)
    cases = [factories.create_submitted_request(physician=physician) for _ in range(requests)]
    return physician, slot, cases


def served_by(log: Path, path_part: str) -> set[str]:
    return {line.split()[0] for line in log.read_text().splitlines() if path_part in line}


def one_booking_of(slot) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Booking.id)).where(
        Booking.slot_id == slot.id, Booking.state == "active"))


def test_twenty_physician_bookings_of_one_slot_one_wins(app, gunicorn):
    base, log = gunicorn
    physician, slot, cases = world(20)
    db.session.commit()
    browser = Browser(base, physician.email)
    answers = release_at_once([
        (lambda c=c: browser.post(f"/requests/{c.id}/booking", slots=slot.id, action="book",
                                  csrf_token=browser.csrf)) for c in cases])
    assert sorted(answers) == [303] + [409] * 19, answers
    assert one_booking_of(slot) == 1
    assert len(served_by(log, "/booking")) >= 2, "one worker served every booking"


def test_referrers_picking_a_proposed_slot_race_direct_bookings(app, gunicorn):
    base, log = gunicorn
    physician, slot, cases = world(20)
    other = factories.create_slot(physician, starts_at=slot.starts_at + timedelta(hours=1))
    pickers = cases[:5]
    for case in pickers:
        bookings.propose(case, [slot, other], physician)
    db.session.commit()
    doctor = Browser(base, physician.email)
    calls = [(lambda c=c: doctor.post(f"/requests/{c.id}/booking", slots=slot.id,
                                      action="book", csrf_token=doctor.csrf))
             for c in cases[5:]]
    for case in pickers:
        referrer = Browser(base, case.referrer.email)
        calls.append(lambda c=case, r=referrer: r.post(f"/requests/{c.id}/booking/pick",
                                                       slot_id=slot.id, csrf_token=r.csrf))
    answers = release_at_once(calls)
    assert sorted(answers) == [303] + [409] * 19, answers
    assert one_booking_of(slot) == 1
    assert len(served_by(log, "/booking")) >= 2
