"""`seed-demo` brings records of discussed cases: a meeting held one to two weeks ago
with finalised protocols, a meeting today ready to be started, a signed consultation
note and a signed statement, with open action items; and it stays idempotent."""
from __future__ import annotations

from sqlalchemy import func, select

from consult.accounts.models import User
from consult.clients.models import Client
from consult.consultations.models import ConsultationRequest
from consult.extensions import db
from consult.meetings import agenda
from consult.meetings.models import AgendaItem, Attendance, Meeting
from consult.meetings.services import local_day
from consult.protocols import services as protocols
from consult.protocols.models import PATHS, ActionItem, Addendum, Protocol, Recommendation
from consult.scheduling.models import Booking, Slot
from consult.timeutil import today, utcnow


def seed_demo(runner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def held_meeting() -> Meeting:
    return db.session.scalars(select(Meeting).where(
        Meeting.state == "protocol_finalised")).one()


def signed(kind: str) -> Protocol:
    return db.session.scalars(select(Protocol).where(
        Protocol.kind == kind, Protocol.finalised_at.is_not(None))).one()


def test_seed_demo_has_a_past_meeting_with_finalised_protocols_and_discussed_cases(runner):
    seed_demo(runner)
    meeting = held_meeting()
    assert 7 <= (today() - local_day(meeting)).days <= 14
    items = meeting.items
    assert 2 <= len(items) <= 3 and {i.state for i in items} == {"finalised"}
    assert {i.request.state for i in items} == {"discussed", "closed"}  # one followed up
    for item in items:
        protocol = protocols.protocol_of(item.request, item, create=False)
        assert protocol.kind == "protocol" and protocol.is_final
        assert set(protocol.notes) <= set(protocols.NOTE_KEYS)
        assert {"background", "health", "wishes_goals", "question"} <= set(protocol.notes)
        assert protocol.attendees and protocol.path in PATHS
        assert protocol.follow_up_on > local_day(meeting)
        assert protocol.recommendations and protocol.action_items
    assert any(r.service is not None for i in items
               for r in protocols.protocol_of(i.request, i, create=False).recommendations)
    assert db.session.scalar(select(func.count(Addendum.id))) == 1
    assert db.session.scalar(select(func.count(Attendance.id)).where(
        Attendance.meeting_id == meeting.id, Attendance.attended.is_(True))) >= 5


def test_the_held_meetings_agenda_went_out_before_it(runner):
    seed_demo(runner)
    meeting = held_meeting()
    assert meeting.sent_at < meeting.starts_at
    assert meeting.deliveries and all(d.sent_at is not None for d in meeting.deliveries)


def test_seed_demo_has_a_meeting_today_that_a_coordinator_can_start(runner):
    seed_demo(runner)
    meeting = db.session.scalars(select(Meeting).where(Meeting.state == "agenda_sent")).all()
    (today_meeting,) = [m for m in meeting if local_day(m) == today()]
    on_it = agenda.on_agenda(today_meeting)
    assert len(on_it) == 2 and {i.request.state for i in on_it} == {"scheduled"}
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.fi"))
    protocols.start_meeting(today_meeting, by=coordinator)
    assert today_meeting.state == "held"
    assert all(protocols.protocol_of(i.request, i, create=False) for i in on_it)


def test_seed_demo_keeps_the_weekly_series_as_it_was(runner):
    seed_demo(runner)
    series = db.session.scalars(select(Meeting).where(Meeting.series_id.is_not(None))
                                .order_by(Meeting.starts_at)).all()
    assert len(series) == 6 and local_day(series[0]) > today()
    assert [m.state for m in series[:2]] == ["agenda_sent", "draft"]
    assert [len(m.items) for m in series[:2]] == [1, 1]


def test_seed_demo_has_a_signed_note_of_a_past_appointment(runner):
    seed_demo(runner)
    note = signed("note")
    assert note.request.mode in ("phone", "video", "in_person")
    assert note.request.state == "discussed"
    booking = db.session.scalar(select(Booking).where(Booking.request_id == note.request_id,
                                                      Booking.state == "active"))
    assert booking.slot.starts_at < utcnow()
    assert note.recommendations and note.action_items and note.path and note.follow_up_on


def test_seed_demo_has_a_signed_written_statement(runner):
    seed_demo(runner)
    statement = signed("statement")
    assert statement.request.mode == "written_statement"
    assert statement.request.state == "discussed"
    assert statement.recommendations and statement.action_items
    assert statement.path and statement.follow_up_on


def test_the_physician_still_has_an_appointment_and_a_statement_to_sign(runner):
    seed_demo(runner)
    waiting = {(r.mode, r.state) for r in db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.target_physician_id.is_not(None)))}
    assert ("video", "scheduled") in waiting
    assert ("written_statement", "accepted") in waiting


def test_seed_demo_leaves_open_action_items_for_people_and_organisations(runner):
    seed_demo(runner)
    items = db.session.scalars(select(ActionItem)).all()
    open_items = [i for i in items if i.state == "open"]
    assert len(open_items) > len(items) / 2
    assert any(i.responsible_user_id for i in open_items)
    assert any(i.responsible_organisation_id for i in open_items)
    assert any(i.due_on < today() for i in open_items)  # some already past due
    (done,) = [i for i in items if i.state == "done"]
    assert done.completed_by_id == done.responsible_user_id
    referrer = db.session.scalar(select(User).where(User.email == "referrer@example.fi"))
    assert any(i.responsible_user_id == referrer.id for i in open_items)


def test_running_seed_demo_twice_adds_nothing(runner):
    models = (Client, ConsultationRequest, Meeting, AgendaItem, Protocol, Recommendation,
              ActionItem, Addendum, Attendance, Booking, Slot)

    def counts():
        return [db.session.scalar(select(func.count(m.id))) for m in models]

    seed_demo(runner)
    first = counts()
    seed_demo(runner)
    assert counts() == first


def test_the_demo_has_follow_ups_due_and_done(app, runner):
    """A discussed case whose follow-up date has come, and one closed by its follow-up."""
    from consult.consultations.models import ConsultationRequest
    from consult.followups.models import FollowUp
    from consult.protocols.models import Protocol
    from consult.timeutil import today

    runner.invoke(args=["seed-demo"])
    due = db.session.scalars(select(Protocol).join(Protocol.request).where(
        ConsultationRequest.state == "discussed", Protocol.follow_up_on <= today())).all()
    assert due
    done = db.session.scalars(select(FollowUp)).all()
    assert len(done) == 1 and done[0].request.state == "closed"
