"""The region of the volume data: organisations of every kind, work ability teams with
their coordinators, members and physician, physicians outside the teams, referrers, a
manager; the physicians' weekly availability with its slots for the whole period, and
each team's weekly meetings.

Beyond some 9,000 cases the world grows with the number of cases (from 6 teams and
10–40 referrers per referring kind; 3 physicians outside the teams always), so that one
team's meeting, one physician's week and one referrer's cases look alike at every
volume instead of filling up without end."""
from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from consult.organisations.models import Organisation
from consult.scheduling.availability import (SLOT_WEEKS_AHEAD, finnish_holidays, local_to_utc,
                                             rule_times)
from consult.volume import texts

REGION = "Pirkanmaa"
PASSWORD = "Volyymi-salasana-2026"

# (name, kind). The prefix ("Volyymi-") keeps them apart from the demo's.
ORGANISATIONS = (
    ("Tampereen seudun työllisyysalue", "employment_area"),
    ("Etelä-Pirkanmaan työllisyysalue", "employment_area"),
    ("Ylä-Pirkanmaan työllisyysalue", "employment_area"),
    ("Pirkanmaan hyvinvointialue, sosiaalipalvelut", "social_services"),
    ("Pirkanmaan hyvinvointialue, terveyspalvelut", "health_services"),
    ("Pirkanmaan hyvinvointialue, vammaispalvelut", "disability_services"),
    ("Kela, Pirkanmaan vakuutuspiiri", "kela"),
    ("Työterveys Pirkanmaa Oy", "occupational_health"),
    ("Työterveys Näsi Oy", "occupational_health"),
    ("Ohjaamo Tampere", "ohjaamo"),
    ("Ohjaamo Nokia", "ohjaamo"),
    ("Tampereen seudun ammattiopisto", "education"),
    ("Sasky koulutuskuntayhtymä", "education"),
    ("Mielenterveysyhdistys Mielikki ry", "ngo"),
    ("Työpaja Verstas ry", "ngo"),
    ("A-kilta Pirkanmaa ry", "ngo"),
    ("Pirkanmaan seurakuntayhtymä, diakonia", "other"),
)
# Who refers the cases: the share of each organisation kind.
REFERRING_SHARES = {
    "employment_area": 0.38, "social_services": 0.20, "health_services": 0.12,
    "ohjaamo": 0.08, "disability_services": 0.05, "kela": 0.04, "occupational_health": 0.04,
    "education": 0.04, "ngo": 0.04, "other": 0.01,
}
LOCALITIES = ("Tampere keskusta", "Hervanta", "Nokia", "Ylöjärvi", "Kangasala", "Lempäälä",
              "Valkeakoski", "Sastamala", "Orivesi", "Pirkkala")

CASES_PER_TEAM = 1500        # beyond 6 teams, one more team per this many cases
PHYSICIANS_OUTSIDE_TEAMS = 3
CASES_PER_REFERRER = 80      # beyond the minimum, one more referrer per this many cases
MEETING_WEEKS_AHEAD = 6
SUMMER_BREAK_WEEKS = range(27, 31)  # ISO weeks without team meetings

# A physician's week: (weekday offset from the first day, start, end, minutes, mode).
PHYSICIAN_WEEK = (
    (0, time(9), time(11), 30, "video"),
    (0, time(12, 30), time(14), 30, "phone"),
    (2, time(9), time(11, 15), 45, "in_person"),
    (2, time(13), time(14), 30, "video"),
)


@dataclass
class Person:
    id: int
    name: str
    org_id: int
    title: str
    email: str


@dataclass
class MeetingInfo:
    id: int
    team: "TeamInfo"
    series_id: int
    starts_at: datetime
    ends_at: datetime
    closed: bool  # a public holiday or the summer break: cancelled beforehand
    capacity: int
    created_at: datetime
    items: list = field(default_factory=list)
    state: str = "draft"


@dataclass
class TeamInfo:
    id: int
    name: str
    host_org_id: int
    coordinators: list[Person]
    members: list[Person]
    physician: Person
    minutes_per_case: int
    participating: list[int] = field(default_factory=list)
    meetings: list[MeetingInfo] = field(default_factory=list)
    open_meetings: list[MeetingInfo] = field(default_factory=list)
    open_starts: list[datetime] = field(default_factory=list)
    defaults: SimpleNamespace | None = None
    doctor: "Physician | None" = None


class SlotBook:
    """One physician's slots of one mode, in time order, and which are spoken for."""

    def __init__(self):
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.ids: list[int] = []
        self.taken = bytearray()

    def free(self, after: datetime, count: int = 1) -> list[int]:
        """Indexes of the first `count` free slots starting after `after`."""
        found = []
        i = bisect_left(self.starts, after)
        while i < len(self.starts) and len(found) < count:
            if not self.taken[i]:
                found.append(i)
            i += 1
        return found


@dataclass
class Physician:
    person: Person
    team: TeamInfo | None
    slots: dict[str, SlotBook] = field(default_factory=dict)


@dataclass
class Referrer:
    person: Person
    kind: str
    home_team: TeamInfo


@dataclass
class World:
    batch: int
    prefix: str
    created_at: datetime
    teams: list[TeamInfo]
    outside_physicians: list[Physician]
    all_physicians: list[Physician]      # the teams' own first
    referrers_by_kind: dict[str, list[Referrer]]
    meetings: list[MeetingInfo]
    holidays: set
    logins: list[tuple[str, str]]      # (role, e-mail) of a few users to log in as


def _batch(session) -> int:
    """1 for the first run into a database, 2 for the next and so on: names are unique."""
    batch = 1
    while session.scalar(select(Organisation.id).where(
            Organisation.name == prefix_of(batch) + ORGANISATIONS[0][0])) is not None:
        batch += 1
    return batch


def prefix_of(batch: int) -> str:
    return "Volyymi-" if batch == 1 else f"Volyymi{batch}-"


class WorldBuilder:
    def __init__(self, writer, rng, *, cases: int, today: date, first_day: date,
                 password_hash: str):
        self.w = writer
        self.rng = rng
        self.cases = cases
        self.today = today
        self.first_day = first_day
        self.password_hash = password_hash
        self.created_at = datetime.combine(first_day - timedelta(days=90), time(7))
        self.last_slot_day = today + timedelta(weeks=SLOT_WEEKS_AHEAD)

    # People ----------------------------------------------------------------------

    def _name(self) -> str:
        rng = self.rng
        first = rng.choice(texts.FIRST_NAMES_FEMALE if rng.random() < 0.7
                           else texts.FIRST_NAMES_MALE)
        return f"{first} {rng.choice(texts.LAST_NAMES)}"

    def _user(self, email: str, org_id: int, roles: tuple[str, ...], title: str = "") -> Person:
        user_id = self.w.new_id("user")
        name = self._name()
        r = self.rng.random()
        self.w.add("user", {
            "id": user_id, "email": email, "name": name, "organisation_id": org_id,
            "password_hash": self.password_hash,
            "language": "fi" if r < 0.92 else ("sv" if r < 0.97 else "en"),
            "is_active_account": True, "created_at": self.created_at,
            "password_changed_at": self.created_at, "deactivated_at": None,
        })
        for role in roles:
            self.w.add("user_role", {"id": self.w.new_id("user_role"), "user_id": user_id,
                                     "role": role})
        return Person(user_id, name, org_id, title, email)

    def _membership(self, team_id: int, user_id: int, role: str) -> None:
        self.w.add("team_membership", {"id": self.w.new_id("team_membership"),
                                       "team_id": team_id, "user_id": user_id, "role": role,
                                       "created_at": self.created_at})

    # The whole world -------------------------------------------------------------

    def build(self, session) -> World:
        rng = self.rng
        batch = _batch(session)
        prefix = prefix_of(batch)
        domain = "volyymi.example.fi" if batch == 1 else f"volyymi{batch}.example.fi"
        by_kind: dict[str, list[int]] = {}
        for name, kind in ORGANISATIONS:
            org_id = self.w.new_id("organisation")
            self.w.add("organisation", {"id": org_id, "name": prefix + name, "kind": kind,
                                        "region": REGION, "created_at": self.created_at})
            by_kind.setdefault(kind, []).append(org_id)

        manager = self._user(f"manager@{domain}", by_kind["health_services"][0], ("manager",),
                             "johtaja")
        logins = [("manager", manager.email)]
        n_teams = max(6, math.ceil(self.cases / CASES_PER_TEAM))
        teams = []
        hosts = (by_kind["health_services"][0], by_kind["social_services"][0])
        for i in range(1, n_teams + 1):
            host = hosts[0] if rng.random() < 0.6 else hosts[1]
            coordinators = [
                self._user(f"coordinator.{i:02d}.{c}@{domain}", host, ("coordinator",),
                           rng.choice(texts.COORDINATOR_TITLES))
                for c in range(1, rng.choice((1, 2, 2)) + 1)]
            profiles = rng.sample(texts.MEMBER_PROFILES, rng.randint(4, 8))
            members = [
                self._user(f"member.{i:02d}.{m}@{domain}", rng.choice(by_kind[kind]),
                           ("member",), title)
                for m, (kind, title) in enumerate(profiles, start=1)]
            doctor = self._user(f"physician.{i:02d}@{domain}",
                                rng.choice(by_kind["occupational_health"]), ("physician",),
                                "työterveyslääkäri")
            team = self._team(i, prefix, host, coordinators, members, doctor)
            team.doctor = Physician(doctor, team)
            teams.append(team)
        outside = []
        for j in range(n_teams + 1, n_teams + 1 + PHYSICIANS_OUTSIDE_TEAMS):
            doctor = self._user(f"physician.{j:02d}@{domain}",
                                rng.choice(by_kind["occupational_health"]), ("physician",),
                                "työterveyslääkäri")
            outside.append(Physician(doctor, None))
        logins += [("coordinator", teams[0].coordinators[0].email),
                   ("member", teams[0].members[0].email),
                   ("physician", teams[0].physician.email),
                   ("physician outside the teams", outside[0].person.email)]

        referrers = {}
        for kind, share in REFERRING_SHARES.items():
            count = max(round(10 + 30 * share / 0.38), math.ceil(share * self.cases
                                                                 / CASES_PER_REFERRER))
            referrers[kind] = [
                Referrer(self._user(f"referrer.{kind}.{n:03d}@{domain}",
                                    by_kind[kind][n % len(by_kind[kind])], ("referrer",),
                                    "asiakasvastaava"),
                         kind, rng.choice(teams))
                for n in range(1, count + 1)]
        logins.append(("referrer", referrers["employment_area"][0].person.email))

        holidays = set(finnish_holidays(self.first_day - timedelta(days=7),
                                        self.last_slot_day + timedelta(days=60)))
        physicians = [*(team.doctor for team in teams), *outside]
        for physician in physicians:
            self._availability(physician, holidays)
        meetings = []
        for team in teams:
            meetings += self._meetings(team, holidays)
        return World(batch, prefix, self.created_at, teams, outside, physicians, referrers,
                     meetings, holidays, logins)

    def _team(self, i, prefix, host, coordinators, members, doctor) -> TeamInfo:
        rng = self.rng
        team_id = self.w.new_id("team")
        locality = LOCALITIES[(i - 1) % len(LOCALITIES)]
        name = f"{prefix}työkyvyn tuen tiimi {i:02d} {locality}"
        weekday = (2, 3, 4, 1, 5)[(i - 1) % 5]
        start = rng.choice((time(9), time(9), time(12, 30), time(13), time(8, 30)))
        minutes = rng.choice((150, 180, 180))
        per_case = rng.choice((20, 30, 30))
        location = f"{rng.choice(texts.STREETS)} {rng.randint(1, 40)}, {locality}"
        video = f"https://video.example.fi/volyymi-tiimi-{i:02d}"
        self.w.add("team", {
            "id": team_id, "name": name, "region": REGION, "host_organisation_id": host,
            "physician_id": doctor.id, "meeting_weekday": weekday, "meeting_time": start,
            "meeting_minutes": minutes, "meeting_location": location,
            "meeting_video_link": video, "minutes_per_case": per_case,
            "created_at": self.created_at})
        for person in coordinators:
            self._membership(team_id, person.id, "coordinator")
        for person in members:
            self._membership(team_id, person.id, "member")
        team = TeamInfo(team_id, name, host, coordinators, members, doctor, per_case)
        team.participating = sorted({p.org_id for p in [*coordinators, *members, doctor]})
        team.defaults = SimpleNamespace(weekday=weekday, start=start, minutes=minutes,
                                        location=location, video=video)
        return team

    # Availability and slots ------------------------------------------------------

    def _availability(self, physician: Physician, holidays: set) -> None:
        rng = self.rng
        person = physician.person
        first_weekday = rng.choice((1, 2))  # Monday and Wednesday, or Tuesday and Thursday
        place = f"{rng.choice(texts.STREETS)} {rng.randint(1, 40)}, Tampere"
        link = f"https://video.example.fi/volyymi-laakari-{person.id}"
        rules = []
        for offset, start, end, minutes, mode in PHYSICIAN_WEEK:
            location = {"video": link, "in_person": place}.get(mode, "")
            rule = SimpleNamespace(weekday=first_weekday + offset, start_time=start,
                                   end_time=end, slot_minutes=minutes, mode=mode,
                                   location=location)
            rules.append(rule)
            self.w.add("availability_rule", {
                "id": self.w.new_id("availability_rule"), "physician_id": person.id,
                "weekday": rule.weekday, "start_time": start, "end_time": end,
                "slot_minutes": minutes, "mode": mode, "location": location,
                "created_at": self.created_at})
        absent = set()
        for year in range(self.first_day.year, self.last_slot_day.year + 1):
            starts = date.fromisocalendar(year, 26 + rng.randint(0, 3), 1)
            ends = starts + timedelta(days=27)
            self.w.add("availability_exception", {
                "id": self.w.new_id("availability_exception"), "physician_id": person.id,
                "starts_on": starts, "ends_on": ends, "reason": "Kesäloma",
                "created_at": self.created_at})
            absent.update(starts + timedelta(days=d) for d in range(28))
        books = {mode: SlotBook() for mode in ("phone", "video", "in_person")}
        day = self.first_day
        while day < self.last_slot_day:
            if day not in holidays and day not in absent:
                for rule in rules:
                    if rule.weekday != day.isoweekday():
                        continue
                    book = books[rule.mode]
                    for starts_at, ends_at in rule_times(rule, day):
                        slot_id = self.w.new_id("slot")
                        self.w.add("slot", {
                            "id": slot_id, "physician_id": person.id, "starts_at": starts_at,
                            "ends_at": ends_at, "mode": rule.mode, "location": rule.location,
                            "is_blocked": False,
                            "created_at": max(self.created_at, starts_at - timedelta(weeks=8))})
                        book.starts.append(starts_at)
                        book.ends.append(ends_at)
                        book.ids.append(slot_id)
            day += timedelta(days=1)
        for book in books.values():
            book.taken = bytearray(len(book.ids))
        physician.slots = books

    # Meetings --------------------------------------------------------------------

    def _meetings(self, team: TeamInfo, holidays: set) -> list[MeetingInfo]:
        """Weekly, from the first day to some weeks ahead, one series per 52 weeks
        (a series holds at most 60 meetings)."""
        d = team.defaults
        day = self.first_day + timedelta(days=(d.weekday - self.first_day.isoweekday()) % 7)
        last = self.today + timedelta(weeks=MEETING_WEEKS_AHEAD)
        days = []
        while day <= last:
            days.append(day)
            day += timedelta(weeks=1)
        capacity = d.minutes // team.minutes_per_case
        creator = team.coordinators[0].id
        for chunk_start in range(0, len(days), 52):
            chunk = days[chunk_start:chunk_start + 52]
            series_id = self.w.new_id("meeting_series")
            created_at = max(self.created_at,
                             datetime.combine(chunk[0] - timedelta(days=30), time(8)))
            self.w.add("meeting_series", {
                "id": series_id, "team_id": team.id, "pattern": "weekly",
                "weekday": d.weekday, "nth": None, "start_time": d.start,
                "minutes": d.minutes, "first_date": chunk[0], "until_date": chunk[-1],
                "location": d.location, "video_link": d.video, "created_by_id": creator,
                "created_at": created_at})
            for day in chunk:
                starts_at = local_to_utc(day, d.start)
                closed = (day in holidays or day.isocalendar()[1] in SUMMER_BREAK_WEEKS
                          or (day.month, day.day) >= (12, 23) or (day.month, day.day) <= (1, 6))
                meeting = MeetingInfo(self.w.new_id("meeting"), team, series_id, starts_at,
                                      starts_at + timedelta(minutes=d.minutes), closed, capacity,
                                      created_at)
                team.meetings.append(meeting)
                if not closed:
                    team.open_meetings.append(meeting)
                    team.open_starts.append(starts_at)
        return team.meetings
