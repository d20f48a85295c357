"""Clients and the life of each consultation request, planned in memory before anything
is written.

Each request is lived through from its first submission: the decision after a skewed
lead time, the agenda of one of its team's weekly meetings or a free slot of its
physician, the protocol, note or statement, the follow-up some months later. Whatever
would happen after "now" does not happen, so recent requests are still submitted,
accepted or scheduled and older ones discussed or closed. A withdrawal planned before
the consultation cuts the life short and frees its agenda item or slot."""
from __future__ import annotations

import math
from bisect import bisect, bisect_left
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from consult.clients.identity import check_character
from consult.consultations.states import OPEN_STATES
from consult.volume import texts
from consult.volume.world import REFERRING_SHARES, TeamInfo, World

DAY = timedelta(days=1)
WITHDRAWABLE = ("draft", "submitted", "returned", "accepted", "scheduled")


class Choice:
    """A weighted choice with its cumulative weights computed once."""

    def __init__(self, weights: dict):
        self.items = list(weights)
        self.cumulative = []
        total = 0.0
        for weight in weights.values():
            total += weight
            self.cumulative.append(total)

    def pick(self, rng):
        return self.items[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


MODES = Choice({"team_meeting": 0.58, "video": 0.13, "phone": 0.11, "in_person": 0.07,
                "written_statement": 0.11})
REQUESTS_PER_CLIENT = Choice({1: 0.74, 2: 0.18, 3: 0.06, 4: 0.02})
CLIENT_ATTENDS = Choice({"yes": 0.55, "remotely": 0.25, "no": 0.20})
MEETING_SKIP = Choice({0: 0.5, 1: 0.3, 2: 0.2})
FOLLOW_UP_MONTHS = Choice({3: 0.7, 2: 0.1, 6: 0.15, 1: 0.05})
LANGUAGES = Choice({"fi": 0.9, "sv": 0.03, "en": 0.04, "other": 0.03})

# Days from the first submission to the first decision: log-normal, median 7.5 and 90th
# percentile 25 before the decision is moved into office hours.
LEAD_MEDIAN_DAYS, LEAD_SIGMA = 7.5, 0.95
DRAFT_SHARE_RECENT, DRAFT_SHARE_OLD = 0.12, 0.004
WITHDRAW_SHARE = 0.04
# A physician whose calendar is full this far ahead declines (and says so).
FULL_CALENDAR = timedelta(weeks=8)


class ClientPlan:
    __slots__ = ("id", "referrer", "cases", "identity_code", "last_name", "first_names",
                 "municipality", "language", "created_at")

    def __init__(self, client_id, referrer):
        self.id = client_id
        self.referrer = referrer
        self.cases = []


class Case:
    __slots__ = ("id", "client", "referrer", "team", "physician", "mode", "urgent",
                 "created_at", "submit_at", "is_draft", "withdraw_at", "events", "state",
                 "item", "booking", "proposals", "discussed_at", "discussed_by",
                 "follow_up_on", "followup_at", "services", "client_attends")

    def __init__(self):
        self.events = []
        self.item = self.booking = self.proposals = None
        self.discussed_at = self.discussed_by = self.follow_up_on = self.followup_at = None
        self.withdraw_at = None
        self.services = ()


class CasePlanner:
    def __init__(self, world: World, rng, *, now: datetime, today: date, first_day: date,
                 service_ids: list[int], new_client_id):
        self.world = world
        self.rng = rng
        self.now = now
        self.today = today
        self.first = datetime.combine(first_day, time(6))
        self.span = (now - self.first).total_seconds()
        self.service_ids = service_ids
        self.new_client_id = new_client_id
        self.kinds = Choice(REFERRING_SHARES)
        self.municipalities = Choice(dict(texts.MUNICIPALITIES))
        self.used_codes: set[tuple[int, int]] = set()
        # the case being planned
        self.c = None
        self.st = "draft"
        self.lim = now

    # Clients and their requests ---------------------------------------------------

    def generate(self, n: int) -> tuple[list[ClientPlan], list[Case]]:
        rng = self.rng
        clients, cases = [], []
        while len(cases) < n:
            kind = self.kinds.pick(rng)
            referrer = rng.choice(self.world.referrers_by_kind[kind])
            client = ClientPlan(self.new_client_id(), referrer)
            wanted = min(REQUESTS_PER_CLIENT.pick(rng), n - len(cases))
            at = self.first + timedelta(seconds=rng.random() * self.span)
            for i in range(wanted):
                if i:
                    at += timedelta(days=rng.lognormvariate(math.log(90), 0.7))
                at = self.office(at)
                if at >= self.now:
                    break
                case = self._case(client, at)
                self.plan(case)
                client.cases.append(case)
                cases.append(case)
            if client.cases:
                self._person(client)
                clients.append(client)
        return clients, cases

    def _person(self, client: ClientPlan) -> None:
        rng = self.rng
        first_case = client.cases[0].created_at.date()
        while True:
            born = first_case - timedelta(days=rng.randint(18 * 365 + 5, 64 * 365))
            number = rng.randint(900, 999)  # temporary individual numbers: nobody's real code
            if (born.toordinal(), number) not in self.used_codes:
                self.used_codes.add((born.toordinal(), number))
                break
        digits = born.strftime("%d%m%y") + str(number)
        if born.year >= 2000:
            sign = "A" if rng.random() < 0.9 else "B"
        else:
            sign = "-" if rng.random() < 0.9 else "Y"
        client.identity_code = digits[:6] + sign + digits[6:] + check_character(digits)
        names = texts.FIRST_NAMES_MALE if number % 2 else texts.FIRST_NAMES_FEMALE
        client.first_names = " ".join(rng.sample(names, rng.choice((1, 2, 2))))
        client.last_name = rng.choice(texts.LAST_NAMES)
        client.municipality = self.municipalities.pick(rng)
        client.language = LANGUAGES.pick(rng)
        client.created_at = client.cases[0].created_at - timedelta(
            minutes=rng.randint(30, 3 * 24 * 60))

    def _case(self, client: ClientPlan, submit_at: datetime) -> Case:
        rng = self.rng
        world = self.world
        referrer = client.referrer
        c = Case()
        c.client = client
        c.referrer = referrer
        c.mode = MODES.pick(rng)
        c.team = c.physician = None
        if c.mode == "team_meeting":
            c.team = referrer.home_team if rng.random() < 0.85 else rng.choice(world.teams)
        elif rng.random() < 0.75:
            c.physician = referrer.home_team.doctor
        else:  # any physician of the region, those outside the teams among them
            c.physician = rng.choice(world.all_physicians)
        c.urgent = rng.random() < 0.10
        c.client_attends = "no" if c.mode == "written_statement" else CLIENT_ATTENDS.pick(rng)
        c.submit_at = submit_at
        recent = (self.now - submit_at).days < 40
        c.is_draft = rng.random() < (DRAFT_SHARE_RECENT if recent else DRAFT_SHARE_OLD)
        c.created_at = submit_at if c.is_draft else submit_at - timedelta(
            minutes=rng.randint(60, 6 * 24 * 60))
        if rng.random() < WITHDRAW_SHARE:
            c.withdraw_at = self.office(submit_at + timedelta(
                days=rng.lognormvariate(math.log(12), 0.9)))
        return c

    # Time ------------------------------------------------------------------------

    def office(self, at: datetime) -> datetime:
        """The next office moment: a working day, 6–14 UTC (8/9–16/17 in Helsinki)."""
        day = at.date()
        keep = 6 <= at.hour < 14
        if at.hour >= 14:
            day += DAY
        while day.weekday() >= 5 or day in self.world.holidays:
            day += DAY
            keep = False
        if keep and day == at.date():
            return at
        return datetime.combine(day, time(6)) + timedelta(minutes=self.rng.randrange(480))

    def days(self, median: float, sigma: float) -> timedelta:
        return timedelta(days=self.rng.lognormvariate(math.log(median), sigma))

    # One request's life ------------------------------------------------------------

    def go(self, at: datetime, actor: int, act: str, to: str, message: str = "") -> bool:
        """Record the act if it happens before now (and before a planned withdrawal)."""
        events = self.c.events
        if events and at <= events[-1][0]:
            at = events[-1][0] + timedelta(minutes=self.rng.randint(1, 30))
        if at >= self.lim:
            return False
        events.append((at, actor, act, self.st, to, message))
        self.st = to
        return True

    def no_withdraw(self) -> None:
        """Past this point the referrer no longer withdraws (the consultation is on)."""
        self.c.withdraw_at = None
        self.lim = self.now

    def plan(self, c: Case) -> None:
        self.c, self.st = c, "draft"
        self.lim = min(self.now, c.withdraw_at) if c.withdraw_at else self.now
        if not c.is_draft:
            self._live(c)
        self._finish(c)

    def _finish(self, c: Case) -> None:
        if c.withdraw_at is not None and c.withdraw_at < self.now and self.st in WITHDRAWABLE:
            self.lim = self.now
            if self.go(c.withdraw_at, c.referrer.person.id, "withdraw", "withdrawn",
                       self.rng.choice(texts.WITHDRAW_MESSAGES)):
                if c.item is not None:
                    c.item[2] = "removed"
                if c.booking is not None:
                    c.booking[4] = c.events[-1][0]
                if c.proposals is not None:
                    book, indexes = c.proposals
                    for i in indexes:
                        book.taken[i] = 0
                    c.proposals = None
        c.state = self.st

    def _live(self, c: Case) -> None:
        rng = self.rng
        referrer = c.referrer.person.id
        other = (rng.choice(c.team.coordinators).id if c.team is not None
                 else c.physician.person.id)
        self.go(c.submit_at, referrer, "submit", "submitted")
        if rng.random() < (0.10 if c.team is not None else 0.07):
            returned = self.office(c.submit_at + self.days(3, 0.6))
            if not self.go(returned, other, "return_for_completion", "returned",
                           rng.choice(texts.RETURN_MESSAGES)):
                return
            if rng.random() < 0.15:  # never completed: withdrawn later, or forgotten
                if c.withdraw_at is None and rng.random() < 0.7:
                    c.withdraw_at = self.office(returned + timedelta(days=rng.randint(14, 60)))
                return
            resubmitted = self.office(returned + self.days(5, 0.7))
            if not self.go(resubmitted, referrer, "resubmit", "submitted"):
                return
            decided = self.office(resubmitted + self.days(3, 0.7))
        else:
            lead = min(self.days(LEAD_MEDIAN_DAYS, LEAD_SIGMA), timedelta(days=90))
            decided = self.office(c.submit_at + (lead / 3 if c.urgent else lead))
        if c.team is not None:
            self._team_case(c, decided, other)
        elif c.mode == "written_statement":
            self._statement(c, decided, other)
        else:
            self._appointment(c, decided, other)

    def _team_case(self, c: Case, decided: datetime, coordinator: int) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.13:
            self._resolve(decided, coordinator)
            return
        if r < 0.19:
            self.go(decided, coordinator, "decline", "declined", rng.choice(texts.DECLINE_MESSAGES))
            return
        if not self.go(decided, coordinator, "accept", "accepted"):
            return
        r = rng.random()
        later = self.office(decided + timedelta(days=rng.uniform(1, 6)))
        if r < 0.03:
            self._resolve(later, coordinator)
            return
        if r < 0.04:
            self.go(later, coordinator, "decline", "declined", rng.choice(texts.DECLINE_MESSAGES))
            return
        scheduled = self.office(decided + timedelta(days=rng.uniform(0, 1 if c.urgent else 4)))
        meeting = self._meeting_for(c.team, scheduled, c.urgent)
        if meeting is None or not self.go(scheduled, coordinator, "schedule_on_agenda",
                                          "scheduled"):
            return
        meeting.items.append(c)
        c.item = [meeting, c.events[-1][0], "on_agenda"]
        if c.withdraw_at is not None and c.withdraw_at >= meeting.starts_at:
            self.no_withdraw()
        if rng.random() < 0.88:  # in the run view, right after the meeting
            finalised = meeting.ends_at + timedelta(minutes=rng.randint(5, 120))
        else:
            finalised = self.office(meeting.ends_at + timedelta(days=rng.uniform(1, 4)))
        if self.go(finalised, coordinator, "finalise_protocol", "discussed"):
            c.item[2] = "finalised"
            self._discussed(c, coordinator)

    def _resolve(self, at: datetime, coordinator: int) -> None:
        rng = self.rng
        if self.go(at, coordinator, "resolve_at_consultation", "resolved_at_consultation",
                   rng.choice(texts.GUIDANCE_MESSAGES)) and rng.random() < 0.75:
            self.c.services = tuple(sorted(rng.sample(self.service_ids, rng.choice((1, 1, 2)))))

    def _meeting_for(self, team: TeamInfo, at: datetime, urgent: bool):
        """One of the first meetings at least a few days ahead (the agenda closes then)
        that still has room; a full one if all of the next few are."""
        starts = team.open_starts
        i = bisect_left(starts, at + timedelta(days=2 if urgent else 3))
        if not urgent:
            i += MEETING_SKIP.pick(self.rng)
        if i >= len(starts):
            return None
        for j in range(i, min(i + 6, len(starts))):
            meeting = team.open_meetings[j]
            if len(meeting.items) < meeting.capacity:
                return meeting
        return team.open_meetings[i]

    def _statement(self, c: Case, decided: datetime, physician: int) -> None:
        rng = self.rng
        if rng.random() < 0.06:
            self.go(decided, physician, "decline", "declined", rng.choice(texts.DECLINE_MESSAGES))
            return
        if not self.go(decided, physician, "accept", "accepted"):
            return
        if self.go(self.office(decided + self.days(10, 0.6)), physician, "sign_statement",
                   "discussed"):
            self._discussed(c, physician)

    def _appointment(self, c: Case, decided: datetime, physician: int) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            self.go(decided, physician, "decline", "declined", rng.choice(texts.DECLINE_MESSAGES))
            return
        gap = self.days(9, 0.55)
        gap = min(max(gap / 2 if c.urgent else gap, timedelta(days=1)), timedelta(days=45))
        book = c.physician.slots[c.mode]
        referrer = c.referrer.person.id
        if r < 0.30:  # times proposed; the referrer picks one
            picked = decided + self.days(1.5, 0.7)
            after = max(decided + gap, picked + timedelta(hours=12))
            if picked >= self.lim and self.lim == self.now:
                after = max(after, self.now + DAY)  # still open: future times only
            found = book.free(after, rng.choice((2, 3)))
            if len(found) < 2 or book.starts[found[-1]] > after + FULL_CALENDAR:
                self.go(decided, physician, "decline", "declined", texts.NO_TIMES_MESSAGE)
                return
            if not self.go(decided, physician, "propose_slots", "submitted"):
                return
            if not self.go(picked, referrer, "pick_slot", "scheduled"):
                if self.lim == self.now:
                    for i in found:
                        book.taken[i] = 1
                    c.proposals = (book, found)
                return
            index = found[0] if rng.random() < 0.6 else rng.choice(found)
            booked_by = referrer
        else:
            found = book.free(decided + gap)
            if not found or book.starts[found[0]] > decided + gap + FULL_CALENDAR:
                self.go(decided, physician, "decline", "declined", texts.NO_TIMES_MESSAGE)
                return
            if not self.go(decided, physician, "book_slot", "scheduled"):
                return
            index, booked_by = found[0], physician
        book.taken[index] = 1
        # [slot book, index, booked at, booked by, cancelled at]
        c.booking = [book, index, c.events[-1][0], booked_by, None]
        if c.withdraw_at is not None and c.withdraw_at >= book.starts[index]:
            self.no_withdraw()
        if rng.random() < 0.8:
            signed = book.ends[index] + timedelta(minutes=rng.randint(10, 240))
        else:
            signed = self.office(book.ends[index] + timedelta(days=rng.uniform(1, 5)))
        if self.go(signed, physician, "sign_note", "discussed"):
            self._discussed(c, physician)

    def _discussed(self, c: Case, by: int) -> None:
        rng = self.rng
        self.no_withdraw()
        at = c.events[-1][0]
        c.discussed_at, c.discussed_by = at, by
        c.follow_up_on = at.date() + relativedelta(months=FOLLOW_UP_MONTHS.pick(rng))
        if rng.random() < 0.9:
            recorded = datetime.combine(c.follow_up_on, time(6)) + timedelta(
                days=rng.uniform(-10, 35))
            recorded = self.office(max(recorded, at + timedelta(days=7)))
            if self.go(recorded, c.referrer.person.id, "record_follow_up", "closed"):
                c.followup_at = c.events[-1][0]


def is_open(case: Case) -> bool:
    return case.state in OPEN_STATES
