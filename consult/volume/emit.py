"""The rows of the planned world: meetings with the states their agendas imply, clients
with consents that cover their cases, and for each request its pre-form and frozen
versions, the event of every transition, its agenda item or booking (or the times
proposed to it), its protocol, note or statement with recommendations and action
items, and its follow-up."""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from consult.consultations.models import PREFORM_FIELDS
from consult.protocols.models import PATHS
from consult.volume import texts
from consult.volume.cases import Case, Choice, ClientPlan, is_open
from consult.volume.world import World

PATH_CHOICE = Choice({"work": 0.25, "studies": 0.12, "rehabilitation": 0.28,
                      "assessment": 0.18, "social_rehabilitation": 0.12, "other": 0.05})
RECOMMENDATION_COUNT = Choice({1: 0.2, 2: 0.35, 3: 0.3, 4: 0.15})
ACTION_COUNT = Choice({0: 0.15, 1: 0.35, 2: 0.35, 3: 0.15})
PLAN_CHANGED = Choice({"yes": 0.45, "partly": 0.35, "no": 0.2})
SUBMITTING_ACTS = ("submit", "resubmit")


class Emitter:
    def __init__(self, writer, rng, world: World, *, now: datetime, today, service_ids):
        self.w = writer
        self.rng = rng
        self.world = world
        self.now = now
        self.today = today
        self.service_ids = service_ids
        self.staff = {}

    def uid(self) -> str:
        """Random-looking and deterministic; the run's batch number in the low bits keeps
        the UIDs of a second run with the same seed unique."""
        bits = self.rng.getrandbits(128) ^ self.world.batch
        return f"{uuid.UUID(int=bits, version=4)}@consult"

    # Meetings --------------------------------------------------------------------

    def meetings(self) -> None:
        now = self.now
        for m in self.world.meetings:
            items = sorted(m.items, key=lambda c: c.item[1])
            for position, case in enumerate(items, start=1):
                case.item.append(position)
            counted = [c for c in items if c.item[2] != "removed"]
            sent_at = cancelled_at = None
            if m.closed or (m.starts_at < now and not counted):
                state = "cancelled"
                cancelled_at = m.starts_at - timedelta(days=21 if m.closed else 1)
            elif m.starts_at < now:
                done = all(c.item[2] == "finalised" for c in counted)
                state = "protocol_finalised" if done else "held"
                sent_at = m.starts_at - timedelta(days=2)
            elif counted and m.starts_at - timedelta(days=2) <= now:
                state, sent_at = "agenda_sent", m.starts_at - timedelta(days=2)
            else:
                state = "draft"
            self.w.add("meeting", {
                "id": m.id, "team_id": m.team.id, "series_id": m.series_id, "uid": self.uid(),
                "sequence": 0, "starts_at": m.starts_at, "ends_at": m.ends_at,
                "location": m.team.defaults.location, "video_link": m.team.defaults.video,
                "state": state, "agenda_version": len(items), "is_changed": False,
                "sent_at": sent_at, "cancelled_at": cancelled_at,
                "created_at": m.created_at})
            m.state = state

    # Clients and consents ----------------------------------------------------------

    def client(self, client: ClientPlan) -> None:
        rng = self.rng
        referrer = client.referrer.person
        interpreter = client.language == "other" and rng.random() < 0.8
        self.w.add("client", {
            "id": client.id, "organisation_id": referrer.org_id,
            "last_name": client.last_name, "first_names": client.first_names,
            "identity_code": client.identity_code,
            "name_key": f"{client.first_names} {client.last_name}".casefold(),
            "municipality": client.municipality,
            "phone": f"04{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            "email": "",
            "address": f"{rng.choice(texts.STREETS)} {rng.randint(1, 80)}, {client.municipality}",
            "preferred_language": client.language, "interpreter_needed": interpreter,
            "interpreter_language": rng.choice(texts.INTERPRETER_LANGUAGES) if interpreter else "",
            "created_at": client.created_at, "created_by_id": referrer.id,
            "updated_at": client.created_at})
        # One consent that covers every target of the client's requests, valid from
        # registration until the last act (and on, while a case is open).
        given = client.created_at.date()
        last = max((c.events[-1][0] if c.events else c.created_at) for c in client.cases).date()
        still_open = any(is_open(c) for c in client.cases)
        needed = self.today + timedelta(days=rng.randint(30, 330)) if still_open else last
        withdrawn_on = None
        if not still_open and (self.today - last).days > 30 and rng.random() < 0.03:
            withdrawn_on = last + timedelta(days=rng.randint(1, 30))
        organisations = {referrer.org_id}
        for case in client.cases:
            if case.team is not None:
                organisations.update(case.team.participating)
            else:
                organisations.add(case.physician.person.org_id)
        consent_id = self.w.new_id("consent")
        self.w.add("consent", {
            "id": consent_id, "client_id": client.id, "purpose_consultation": True,
            "purpose_data_exchange": True, "given_on": given,
            "valid_until": max(given + timedelta(days=365), needed), "form_reference": "Y100",
            "recorded_by_id": referrer.id,
            "recorded_at": client.created_at + timedelta(minutes=5),
            "withdrawn_on": withdrawn_on,
            "withdrawal_reason": "Asiakas perui suostumuksen." if withdrawn_on else "",
            "withdrawn_by_id": referrer.id if withdrawn_on else None})
        self.w.add_many("consent_organisation", [
            {"consent_id": consent_id, "organisation_id": org_id}
            for org_id in sorted(organisations)])

    # Requests ----------------------------------------------------------------------

    def preform_content(self, case: Case, complete: bool = True) -> dict:
        rng = self.rng
        found = {}
        for key, chance in texts.PREFORM_OPTIONAL.items():
            if rng.random() < chance:
                found[key] = rng.choice(texts.PREFORM[key])
        found["wishes_goals.wishes_goals"] = rng.choice(texts.PREFORM["wishes_goals.wishes_goals"])
        if rng.random() < 0.45:
            found["self_assessment.kykyviisari_score"] = str(rng.randint(2, 8))
            found["self_assessment.kykyviisari_date"] = (
                case.created_at.date() - timedelta(days=rng.randint(0, 30))).isoformat()
        if complete or rng.random() < 0.5:
            found["question.question"] = rng.choice(texts.PREFORM["question.question"])
        return {key: found[key] for key in PREFORM_FIELDS if key in found}

    def case(self, case: Case) -> None:
        rng = self.rng
        w = self.w
        referrer = case.referrer.person
        request_id = w.new_id("consultation_request")
        case.id = request_id
        events = case.events
        submits = [e for e in events if e[2] in SUBMITTING_ACTS]
        w.add("consultation_request", {
            "id": request_id, "client_id": case.client.id, "organisation_id": referrer.org_id,
            "referrer_id": referrer.id,
            "target_team_id": case.team.id if case.team is not None else None,
            "target_physician_id": case.physician.person.id if case.physician else None,
            "mode": case.mode, "urgency": "urgent" if case.urgent else "normal",
            "urgency_reason": rng.choice(texts.URGENT_REASONS) if case.urgent else "",
            "preferred_dates": rng.choice(texts.PREFERRED_DATES),
            "client_attends": case.client_attends, "state": case.state, "is_paused": False,
            "created_at": case.created_at,
            "first_submitted_at": submits[0][0] if submits else None,
            "updated_at": events[-1][0] if events else case.created_at})

        # The pre-form: the draft as last saved, and one frozen version per submission
        # (the first one of a returned request lacks what the team asked for).
        content = self.preform_content(case, complete=bool(submits))
        preform_id = w.new_id("pre_form")
        saved_at = (submits[-1][0] if submits else case.created_at) - timedelta(
            minutes=rng.randint(1, 30))
        w.add("pre_form", {
            "id": preform_id, "request_id": request_id, "draft": content,
            "draft_revision": rng.randint(1, 6) + len(submits),
            "draft_saved_at": max(saved_at, case.created_at), "draft_saved_by_id": referrer.id})
        for number, event in enumerate(submits, start=1):
            version = content
            if number < len(submits):
                version = dict(content)
                for key in rng.sample(sorted(texts.PREFORM_OPTIONAL), 3):
                    version.pop(key, None)
            w.add("pre_form_version", {
                "id": w.new_id("pre_form_version"), "preform_id": preform_id, "number": number,
                "content": version, "frozen_at": event[0], "frozen_by_id": referrer.id})

        for at, actor, act, from_state, to_state, message in events:
            event_id = w.new_id("request_event")
            w.add("request_event", {
                "id": event_id, "request_id": request_id, "at": at, "actor_id": actor,
                "act": act, "from_state": from_state, "to_state": to_state, "message": message})
            if act == "resolve_at_consultation":
                for service_id in case.services:
                    w.add("request_event_service", {"request_event_id": event_id,
                                                    "service_id": service_id})

        item_id = None
        if case.item is not None:
            meeting, scheduled_at, state, position = case.item
            item_id = w.new_id("agenda_item")
            w.add("agenda_item", {
                "id": item_id, "meeting_id": meeting.id, "request_id": request_id,
                "position": position, "minutes": case.team.minutes_per_case, "state": state,
                "uid": self.uid(), "created_at": scheduled_at})
        if case.booking is not None:
            book, index, booked_at, booked_by, cancelled_at = case.booking
            w.add("booking", {
                "id": w.new_id("booking"), "uid": self.uid(), "sequence": 1 if cancelled_at else 0,
                "request_id": request_id, "slot_id": book.ids[index],
                "state": "cancelled" if cancelled_at else "active", "booked_by_id": booked_by,
                "created_at": booked_at, "cancelled_at": cancelled_at,
                "cancel_reason": "Pyyntö peruttiin." if cancelled_at else ""})
        if case.proposals is not None:
            book, indexes = case.proposals
            proposed_at = next(e[0] for e in reversed(events) if e[2] == "propose_slots")
            for index in indexes:
                w.add("slot_proposal", {"id": w.new_id("slot_proposal"),
                                        "request_id": request_id, "slot_id": book.ids[index],
                                        "created_at": proposed_at})
        if case.discussed_at is not None:
            path = self.record(case, item_id)
            if case.followup_at is not None:
                self.follow_up(case, path)
        elif item_id is not None and case.item[2] == "on_agenda" and case.item[0].state == "held":
            self.draft_protocol(case, item_id)

    # Records -----------------------------------------------------------------------

    def notes(self, keys: int) -> dict:
        rng = self.rng
        chosen = sorted(rng.sample(range(len(texts.NOTES)), keys))
        sections = list(texts.NOTES)
        return {sections[i]: rng.choice(texts.NOTES[sections[i]]) for i in chosen}

    def attendees(self, case: Case) -> str:
        if case.team is None:
            if case.mode == "written_statement":
                return ""
            return f"{case.physician.person.name} (työterveyslääkäri), asiakas"
        team = case.team
        if team.id not in self.staff:
            self.staff[team.id] = ", ".join(
                f"{p.name} ({p.title})" for p in [*team.coordinators, *team.members,
                                                  team.physician])
        presence = {"yes": "asiakas paikalla", "remotely": "asiakas etäyhteydellä",
                    "no": "asiakas ei ollut paikalla"}[case.client_attends]
        return f"{self.staff[team.id]}; asiakasvastaava {case.referrer.person.name}; {presence}"

    def draft_protocol(self, case: Case, item_id: int) -> None:
        """A meeting held but its protocol not finalised yet: the run view's draft."""
        starts_at = case.item[0].starts_at
        self.w.add("protocol", {
            "id": self.w.new_id("protocol"), "request_id": case.id, "agenda_item_id": item_id,
            "kind": "protocol", "notes": self.notes(self.rng.randint(1, 4)),
            "revision": self.rng.randint(1, 4), "attendees": "", "path": None,
            "follow_up_on": None, "finalised_at": None, "finalised_by_id": None,
            "created_at": starts_at, "updated_at": case.item[0].ends_at})

    def record(self, case: Case, item_id: int | None) -> str:
        """The finalised protocol, note or statement; returns the client's path."""
        rng = self.rng
        w = self.w
        at = case.discussed_at
        if case.team is not None:
            kind, created_at = "protocol", case.item[0].starts_at
        elif case.mode == "written_statement":
            kind = "statement"
            created_at = next(e[0] for e in case.events if e[2] == "accept")
        else:
            kind = "note"
            created_at = case.booking[0].starts[case.booking[1]]
        path = PATH_CHOICE.pick(rng)
        protocol_id = w.new_id("protocol")
        w.add("protocol", {
            "id": protocol_id, "request_id": case.id, "agenda_item_id": item_id, "kind": kind,
            "notes": self.notes(rng.randint(4, 8)), "revision": rng.randint(2, 9),
            "attendees": self.attendees(case), "path": path,
            "follow_up_on": case.follow_up_on, "finalised_at": at,
            "finalised_by_id": case.discussed_by, "created_at": created_at, "updated_at": at})
        for position in range(1, RECOMMENDATION_COUNT.pick(rng) + 1):
            w.add("recommendation", {
                "id": w.new_id("recommendation"), "protocol_id": protocol_id,
                "position": position, "text": rng.choice(texts.RECOMMENDATIONS),
                "service_id": rng.choice(self.service_ids) if rng.random() < 0.5 else None})
        referrer = case.referrer.person
        people = ([*case.team.coordinators, *case.team.members] if case.team is not None
                  else [case.physician.person])
        for _ in range(ACTION_COUNT.pick(rng)):
            r = rng.random()
            user_id = org_id = None
            if r < 0.35:
                user_id = rng.choice(people).id
            elif r < 0.7:
                user_id = referrer.id
            else:
                org_id = (referrer.org_id if rng.random() < 0.7 or case.team is None
                          else rng.choice(case.team.participating))
            due_on = at.date() + timedelta(days=rng.randint(7, 60))
            completed_at = None
            overdue_days = (self.today - due_on).days
            if rng.random() < (0.93 if overdue_days > 60 else 0.7 if overdue_days > 0 else 0.35):
                room = max(1.0, (min(due_on + timedelta(days=14), self.today) - at.date()).days)
                completed_at = datetime.combine(at.date(), time(6)) + timedelta(
                    days=rng.uniform(1, room), minutes=rng.randrange(480))
                if completed_at >= self.now:
                    completed_at = None
            w.add("action_item", {
                "id": w.new_id("action_item"), "protocol_id": protocol_id,
                "what": rng.choice(texts.ACTIONS), "responsible_user_id": user_id,
                "responsible_organisation_id": org_id, "due_on": due_on,
                "state": "done" if completed_at else "open", "completed_at": completed_at,
                "completed_by_id": (user_id or referrer.id) if completed_at else None,
                "completion_note": rng.choice(texts.COMPLETION_NOTES) if completed_at else ""})
        return path

    def follow_up(self, case: Case, planned_path: str) -> None:
        rng = self.rng
        path = planned_path if rng.random() < 0.7 else rng.choice(PATHS)
        self.w.add("follow_up", {
            "id": self.w.new_id("follow_up"), "request_id": case.id, "path_taken": path,
            "situation": rng.choice(texts.SITUATIONS),
            "kykyviisari_score": rng.randint(2, 9) if rng.random() < 0.6 else None,
            "meeting_needed": rng.random() < 0.75, "plan_changed": PLAN_CHANGED.pick(rng),
            "recorded_by_id": case.referrer.person.id, "recorded_at": case.followup_at})
