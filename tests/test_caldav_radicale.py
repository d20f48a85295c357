"""Real calendar software accepts our events (SPEC §5): a Radicale CalDAV server, started
for these tests on a free local port with its own storage folder, stores each kind of
event (a team meeting, a referrer's case on it, a booked physician time) as we download
it and as we e-mail it, takes the changed version in place of the old one (same UID,
higher SEQUENCE) and the cancelled one, and finds it again by time range.

Radicale 3.9 accepts objects that carry METHOD and keeps them as sent (RFC 4791 4.1
says a stored calendar object MUST NOT carry METHOD; a stricter server would refuse the
e-mailed invites, never the downloads, which have none), so the invites go in unchanged."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import unquote
from xml.etree import ElementTree
from dataclasses import dataclass
from datetime import time as clock
from datetime import timedelta, timezone

import icalendar
import pytest
import requests

from consult.extensions import db
from consult.meetings import agenda
from consult.meetings import services as meetings
from consult.outbox.models import OutboxMessage
from consult.scheduling import booking as bookings
from consult.timeutil import to_helsinki
from tests.test_calendar_downloads import booking_world, download, mark_sent, team_world

USER = ("consult", "not-checked")  # [auth] type = none takes any name
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Radicale:
    url: str
    log: object

    def collection(self) -> str:
        """A new, empty calendar collection; its URL ends with a slash."""
        url = f"{self.url}/{USER[0]}/{uuid.uuid4().hex}/"
        response = requests.request("MKCALENDAR", url, auth=USER, timeout=10)
        assert response.status_code == 201, response.text
        return url


def _start(folder, log_path):
    port = free_port()
    config = folder / "config"
    config.write_text(
        "[server]\n"
        f"hosts = 127.0.0.1:{port}\n"
        "[auth]\n"
        "type = none\n"
        "delay = 0\n"
        "[rights]\n"
        "type = owner_only\n"
        "[storage]\n"
        f"filesystem_folder = {folder / 'collections'}\n"
        "[logging]\n"
        "level = warning\n", encoding="utf-8")
    log = open(log_path, "ab")
    process = subprocess.Popen([sys.executable, "-m", "radicale", "-C", str(config)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:  # e.g. the port was taken in between: try another
            log.close()
            return None, None
        try:
            requests.request("OPTIONS", url + "/", timeout=1)
        except requests.ConnectionError:
            time.sleep(0.1)
            continue
        return process, Radicale(url, log)
    process.kill()
    process.wait()
    log.close()
    pytest.fail(f"Radicale did not answer within {STARTUP_SECONDS} s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    """A Radicale server of this module's own (its own port and folder, so that
    parallel test workers each have theirs); stopped at the end."""
    folder = tmp_path_factory.mktemp("radicale")
    log_path = folder / "radicale.log"
    for _attempt in range(3):
        process, server = _start(folder, log_path)
        if process is not None:
            break
    else:
        pytest.fail(f"Radicale did not start:\n{log_path.read_text()}")
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.log.close()


# Talking CalDAV --------------------------------------------------------------------------

def put(href: str, text: str, *, create: bool) -> int:
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    if create:
        headers["If-None-Match"] = "*"
    response = requests.put(href, data=text.encode("utf-8"), headers=headers, auth=USER,
                            timeout=10)
    assert response.status_code in (201, 204), (response.status_code, response.text)
    return response.status_code


def stored_event(href: str):
    response = requests.get(href, auth=USER, timeout=10)
    assert response.status_code == 200
    [event] = icalendar.Calendar.from_ical(response.text).walk("VEVENT")
    return event


def found_in_time_range(collection: str, event) -> list[str]:
    """The hrefs a calendar-query REPORT finds around the event's start: Radicale has
    to read our DTSTART, TZID and VTIMEZONE for this."""
    start = event.decoded("DTSTART").astimezone(timezone.utc)
    fmt = "%Y%m%dT%H%M%SZ"
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{(start - timedelta(minutes=5)).strftime(fmt)}"
                  end="{(start + timedelta(minutes=5)).strftime(fmt)}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
    response = requests.request("REPORT", collection, data=body.encode(), auth=USER,
                                headers={"Depth": "1",
                                         "Content-Type": "application/xml; charset=utf-8"},
                                timeout=10)
    assert response.status_code == 207, response.text
    return hrefs(response.text)


def hrefs(multistatus: str) -> list[str]:
    root = ElementTree.fromstring(multistatus)
    return [unquote(h.text) for h in root.iter("{DAV:}href")]


def uid_of(text: str) -> str:
    [event] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    return str(event["UID"])


def store_versions(radicale, versions: list[str], *, cancelled_last: bool):
    """PUTs each version of one event to <collection>/<uid>.ics: the first creates it
    (201), the later ones replace it (204). Returns the stored event after each step."""
    collection = radicale.collection()
    uid = uid_of(versions[0])
    href = f"{collection}{uid}.ics"
    stored = []
    for n, text in enumerate(versions):
        assert uid_of(text) == uid
        assert put(href, text, create=n == 0) == (201 if n == 0 else 204)
        event = stored_event(href)
        assert str(event["UID"]) == uid
        stored.append(event)
    sequences = [e["SEQUENCE"] for e in stored]
    assert sequences == sorted(set(sequences)), sequences  # each change raised it
    statuses = [str(e["STATUS"]) for e in stored]
    assert statuses[0] == "CONFIRMED"
    assert statuses[-1] == ("CANCELLED" if cancelled_last else "CONFIRMED")
    path = href.removeprefix(radicale.url)
    assert path in found_in_time_range(collection, stored[-1])
    # Still one object in the collection: the changes replaced it.
    listing = requests.request("PROPFIND", collection, auth=USER, headers={"Depth": "1"},
                               timeout=10)
    assert listing.status_code == 207
    assert [h for h in hrefs(listing.text) if h.endswith(".ics")] == [path]
    return stored


# The scenarios -------------------------------------------------------------------------

def reschedule_meeting(world) -> None:
    local = to_helsinki(world.meeting.starts_at)
    meetings.edit_meeting(world.meeting, day=local.date() + timedelta(days=1),
                          start_time=clock(13, 0), minutes=90, location="Kokoushuone Pyhä",
                          video_link=world.meeting.video_link, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    db.session.commit()


def invites(email: str, uid: str) -> list[OutboxMessage]:
    from sqlalchemy import select

    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.coalesce_key == f"{uid}|{email.lower()}").order_by(OutboxMessage.id)))


def downloaded(kind: str) -> tuple[list[str], bool]:
    """The event as downloaded, then after a change, and (for the team's meeting, the
    one event still downloadable once cancelled) after the cancellation."""
    if kind == "booking":
        world = booking_world()
        url = f"/requests/{world.request.id}/booking.ics"
        first = download(None, None, world.referrer, url).text
        bookings.move(world.request, world.later_slot, world.physician)
        db.session.commit()
        return [first, download(None, None, world.referrer, url).text], False
    world = team_world()
    user = world.member if kind == "meeting" else world.referrer
    url = f"/meetings/{world.meeting.id}.ics"
    first = download(None, None, user, url).text
    reschedule_meeting(world)
    versions = [first, download(None, None, user, url).text]
    if kind == "meeting":
        meetings.cancel_meeting(world.meeting, by=world.coordinator)
        db.session.commit()
        versions.append(download(None, None, user, url).text)
    return versions, kind == "meeting"


def emailed(kind: str) -> list[OutboxMessage]:
    """The invites one person was e-mailed: the event, its change, its cancellation
    (each sent before the next, as the worker would)."""
    if kind == "booking":
        world = booking_world()
        mark_sent()
        bookings.move(world.request, world.later_slot, world.physician)
        mark_sent()
        bookings.cancel(world.request, world.physician, "Sairastuin")
        db.session.commit()
        return invites(world.referrer.email, world.booking.uid)
    world = team_world()
    mark_sent()
    reschedule_meeting(world)
    mark_sent()
    if kind == "meeting":
        meetings.cancel_meeting(world.meeting, by=world.coordinator)
        db.session.commit()
        return invites(world.member.email, world.meeting.uid)
    agenda.remove_item(world.item, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    db.session.commit()
    return invites(world.referrer.email, world.item.uid)


@pytest.mark.parametrize("kind", ["meeting", "item", "booking"])
def test_a_downloaded_event_is_stored_and_its_change_replaces_it(app, radicale, kind):
    versions, cancelled = downloaded(kind)
    stored = store_versions(radicale, versions, cancelled_last=cancelled)
    assert stored[1]["SEQUENCE"] == stored[0]["SEQUENCE"] + 1
    assert stored[1].decoded("DTSTART") != stored[0].decoded("DTSTART")
    if kind != "booking":
        assert stored[1].decoded("DTSTART").time() == clock(13, 0)
    if cancelled:
        assert str(stored[2]["STATUS"]) == "CANCELLED"
        assert stored[2]["SEQUENCE"] == stored[1]["SEQUENCE"] + 1


@pytest.mark.parametrize("kind", ["meeting", "item", "booking"])
def test_an_emailed_invite_its_update_and_its_cancellation_are_stored(app, radicale, kind):
    messages = emailed(kind)
    assert [m.ics_method for m in messages] == ["REQUEST", "REQUEST", "CANCEL"]
    assert all(m.ics.count("METHOD:") == 1 for m in messages)
    stored = store_versions(radicale, [m.ics for m in messages], cancelled_last=True)
    assert [e["SEQUENCE"] for e in stored] == [0, 1, 2]
    assert str(stored[-1]["STATUS"]) == "CANCELLED"


def test_the_download_and_the_invite_are_one_event(app, radicale):
    """A referrer who both imports the download and receives the invite gets one
    event in their calendar, not two: the same UID at the same href."""
    world = team_world()
    [invite] = invites(world.referrer.email, world.item.uid)
    text = download(None, None, world.referrer, f"/meetings/{world.meeting.id}.ics").text
    collection = radicale.collection()
    href = f"{collection}{world.item.uid}.ics"
    assert put(href, invite.ics, create=True) == 201
    assert put(href, text, create=False) == 204
    assert str(stored_event(href)["UID"]) == world.item.uid
