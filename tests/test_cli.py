"""The command line of SPEC §9: scriptable, non-zero exit and a clear message on bad
input, idempotent demo data."""
from __future__ import annotations

from sqlalchemy import func, select

from consult.accounts.models import User
from consult.demo import DEMO_PASSWORD, PEOPLE
from consult.extensions import db
from consult.organisations.models import Organisation, Team
from tests import factories

GOOD_PASSWORD = "Pitkä-ja-hyvä-salasana-1\n"


def test_orgs_create_and_list(runner):
    result = runner.invoke(args=["orgs", "create", "--name", "Kela, Pirkanmaa",
                                 "--kind", "kela", "--region", "Pirkanmaa"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["orgs", "list"])
    assert "Kela, Pirkanmaa\tkela\tPirkanmaa" in listed.output


def test_orgs_create_refuses_an_unknown_kind(runner):
    result = runner.invoke(args=["orgs", "create", "--name", "X", "--kind", "bank",
                                 "--region", "R"])
    assert result.exit_code != 0
    assert "bank" in result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_orgs_create_refuses_a_duplicate_name(runner):
    factories.create_organisation("Ohjaamo Tampere")
    db.session.commit()
    result = runner.invoke(args=["orgs", "create", "--name", "Ohjaamo Tampere",
                                 "--kind", "ohjaamo", "--region", "Pirkanmaa"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_teams_create_and_list(runner):
    factories.create_organisation("Hyvinvointialue", kind="health_services")
    db.session.commit()
    result = runner.invoke(args=["teams", "create", "--name", "Tiimi", "--org", "Hyvinvointialue"])
    assert result.exit_code == 0, result.output
    team = db.session.scalar(select(Team))
    assert team.region == "Pirkanmaa"  # from the host organisation
    assert "Tiimi\tHyvinvointialue" in runner.invoke(args=["teams", "list"]).output


def test_teams_create_refuses_an_unknown_organisation(runner):
    result = runner.invoke(args=["teams", "create", "--name", "Tiimi", "--org", "Nowhere"])
    assert result.exit_code == 1
    assert "Unknown organisation: Nowhere" in result.output


def test_users_create_with_roles_and_team(runner):
    org = factories.create_organisation("Hyvinvointialue")
    team = factories.create_team("Tiimi", host=org)
    db.session.commit()
    result = runner.invoke(
        args=["users", "create", "--email", "Koordinaattori@Example.fi", "--name", "Kaisa K",
              "--org", "Hyvinvointialue", "--role", "coordinator", "--role", "member",
              "--team", "Tiimi", "--password-stdin"],
        input=GOOD_PASSWORD)
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "koordinaattori@example.fi"))
    assert user.roles == {"coordinator", "member"}
    db.session.refresh(team)
    assert {m.role for m in team.memberships if m.user_id == user.id} == {"coordinator", "member"}
    listed = runner.invoke(args=["users", "list"]).output
    assert "Kaisa K\tkoordinaattori@example.fi\tHyvinvointialue\tcoordinator,member" in listed


def test_users_create_as_physician_joins_the_team_as_its_physician(runner):
    org = factories.create_organisation("Työterveys")
    team = factories.create_team("Tiimi", host=org)
    db.session.commit()
    result = runner.invoke(
        args=["users", "create", "--email", "doc@example.fi", "--name", "Liisa L",
              "--org", str(org.id), "--role", "physician", "--team", str(team.id),
              "--password-stdin"], input=GOOD_PASSWORD)
    assert result.exit_code == 0, result.output
    db.session.refresh(team)
    assert team.physician.email == "doc@example.fi"


def invoke_create(runner, *extra, email="new@example.fi", password=GOOD_PASSWORD, org="Org"):
    return runner.invoke(
        args=["users", "create", "--email", email, "--name", "N N", "--org", org,
              "--role", "referrer", *extra, "--password-stdin"], input=password)


def test_users_create_refuses_bad_input_with_a_clear_message(runner):
    factories.create_organisation("Org")
    factories.create_user("referrer", email="taken@example.fi")
    db.session.commit()
    cases = [
        (invoke_create(runner, org="Missing"), "Unknown organisation: Missing"),
        (invoke_create(runner, email="taken@example.fi"), "already exists"),
        (invoke_create(runner, password="short\n"), "at least 12 characters"),
        (invoke_create(runner, password="password1234\n"), "too common"),
        (invoke_create(runner, "--team", "Nope"), "Unknown team: Nope"),
        (invoke_create(runner, "--role", "wizard"), "wizard"),
    ]
    for result, message in cases:
        assert result.exit_code != 0, message
        assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_team_option_needs_a_team_role(runner):
    factories.create_organisation("Org")
    factories.create_team("Tiimi")
    db.session.commit()
    result = invoke_create(runner, "--team", "Tiimi")
    assert result.exit_code == 1
    assert "--team needs the role coordinator, member or physician" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_demo_is_idempotent_and_prints_the_logins(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = [db.session.scalar(select(func.count(m.id))) for m in (User, Organisation, Team)]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert [db.session.scalar(select(func.count(m.id))) for m in (User, Organisation, Team)] == counts
    assert DEMO_PASSWORD in first.output
    for email, *_ in PEOPLE:
        assert email in first.output


def test_seed_demo_builds_the_region_the_issue_describes(runner):
    runner.invoke(args=["seed-demo"])
    team = db.session.scalar(select(Team))
    assert len(team.coordinators) == 2
    assert team.physician is not None
    assert len(team.participating_organisations()) >= 3
    roles = set().union(*(u.roles for u in db.session.scalars(select(User))))
    assert roles == {"referrer", "coordinator", "member", "physician", "manager", "admin"}
    referrer_orgs = {u.organisation_id for u in db.session.scalars(select(User))
                     if "referrer" in u.roles}
    assert len(referrer_orgs) == 3
    kinds = {o.kind for o in db.session.scalars(select(Organisation))}
    assert len(kinds) >= 5


def test_demo_logins_work(runner, client, auth):
    runner.invoke(args=["seed-demo"])
    response = auth.login("coordinator@example.fi", DEMO_PASSWORD)
    assert response.location == "/"


def test_init_db_is_safe_to_run_again(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_seed_demo_registers_clients_with_valid_expired_and_withdrawn_consents(runner):
    from consult.clients.models import Client
    from consult.timeutil import today

    runner.invoke(args=["seed-demo"])
    runner.invoke(args=["seed-demo"])
    clients = db.session.scalars(select(Client)).all()
    assert len(clients) == 13
    assert all(c.has_temporary_code for c in clients)  # no real person's code
    states = sorted(c.consents[0].state(today()) for c in clients if c.consents)
    assert states == ["expired", *["valid"] * 10, "withdrawn"]
    assert len({c.organisation_id for c in clients}) == 3


def test_seed_demo_has_requests_in_every_state_reachable_so_far_with_threads(runner):
    from consult.consultations.models import ConsultationRequest, RequestMessage

    runner.invoke(args=["seed-demo"])
    runner.invoke(args=["seed-demo"])  # idempotent: no second set
    requests = db.session.scalars(select(ConsultationRequest)).all()
    team_states = {r.state for r in requests if r.target_team_id}
    physician_states = {(r.mode, r.state) for r in requests if r.target_physician_id}
    assert team_states == {"draft", "submitted", "returned", "accepted", "scheduled",
                           "discussed", "closed", "resolved_at_consultation", "declined",
                           "withdrawn"}
    assert physician_states == {("video", "scheduled"), ("phone", "submitted"),
                                ("video", "submitted"), ("written_statement", "accepted"),
                                ("phone", "returned"), ("in_person", "discussed"),
                                ("written_statement", "discussed")}
    assert len(requests) == 21
    threads = {m.request_id for m in db.session.scalars(select(RequestMessage))}
    assert len(threads) >= 4
    resolved = next(r for r in requests if r.state == "resolved_at_consultation")
    assert resolved.events[-1].services  # the guidance points to a catalogue service


def test_seed_demo_has_a_series_of_meetings_with_sent_and_draft_agendas(runner):
    from consult.meetings.models import Meeting

    runner.invoke(args=["seed-demo"])
    runner.invoke(args=["seed-demo"])
    meetings = db.session.scalars(select(Meeting).where(Meeting.series_id.is_not(None))
                                  .order_by(Meeting.starts_at)).all()
    assert len(meetings) == 6 and len({m.series_id for m in meetings}) == 1
    assert [m.state for m in meetings[:2]] == ["agenda_sent", "draft"]
    assert [len(m.items) for m in meetings[:2]] == [1, 1]
    assert meetings[0].deliveries


def test_seed_demo_publishes_availability_with_booked_and_proposed_slots(runner):
    from consult.scheduling.models import Booking, Slot, SlotProposal

    runner.invoke(args=["seed-demo"])
    slots = db.session.scalar(select(func.count(Slot.id)))
    runner.invoke(args=["seed-demo"])
    assert db.session.scalar(select(func.count(Slot.id))) == slots > 20
    assert db.session.scalar(select(func.count(Booking.id))) == 2  # one upcoming, one held
    assert db.session.scalar(select(func.count(SlotProposal.id))) == 2
