"""My work (`/`, SPEC §4 flow 7) for each role: exactly that user's requests, records,
action items, meetings and booked times — never a colleague's of the same role and
organisation — in a fixed number of statements, each listed request audited."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations import services
from consult.extensions import db
from consult.meetings.models import AgendaItem
from consult.protocols.models import ActionItem, Protocol
from consult.scheduling.availability import monday_of, utc_bounds
from consult.timeutil import today, utcnow
from tests import factories


def text_of(html: str) -> str:
    """The text as read: list items, paragraphs and headings apart."""
    spaced = re.sub(r"</?(li|p|ul|h\d)\b[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", spaced)).strip()


def section(page: str, heading_id: str) -> str:
    """The HTML of the section under the heading with this id."""
    assert f'id="{heading_id}"' in page, heading_id
    return page.split(f'id="{heading_id}">')[1].split("</section>")[0]


def my_work(client, auth, user) -> str:
    """The user's page in English; logged out afterwards (the CSRF token for that
    comes from another page, so that My work is read, and audited, once)."""
    auth.login(user)
    page = client.get("/?lang=en").text
    client.post("/logout", data={"csrf_token": auth.csrf("/notifications")})
    return page


def final_record(request, *, finalised_days_ago: int = 1, follow_up_in_days: int = 90,
                 kind: str = "protocol", state: str = "discussed") -> Protocol:
    """The request's finalised record, written straight into the table."""
    request.state = state
    protocol = Protocol(request_id=request.id, kind=kind, notes={},
                        finalised_at=utcnow() - timedelta(days=finalised_days_ago),
                        follow_up_on=today() + timedelta(days=follow_up_in_days))
    db.session.add(protocol)
    db.session.flush()
    return protocol


def action_item(protocol, what: str, *, user=None, organisation=None, due_in_days=None,
                state: str = "open") -> ActionItem:
    item = ActionItem(protocol_id=protocol.id, what=what, state=state,
                      responsible_user_id=user.id if user else None,
                      responsible_organisation_id=organisation.id if organisation else None,
                      due_on=today() + timedelta(days=due_in_days) if due_in_days is not None
                      else None)
    db.session.add(item)
    db.session.flush()
    return item


def listed_for_my_work() -> list[tuple[int, int]]:
    return [(e.object_id, e.client_id) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.purpose == "my_work").order_by(AuditEvent.id))]


# Referrer --------------------------------------------------------------------------

def test_referrers_returned_requests_come_first_and_wait_for_them(client, auth):
    referrer = factories.create_user("referrer")
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    factories.create_submitted_request(team=team, referrer=referrer)
    returned = factories.create_submitted_request(team=team, referrer=referrer)
    services.perform(returned, "return_for_completion", coordinator, message="Täydennä")
    factories.create_request(team=team, referrer=referrer)
    db.session.commit()
    mine = section(my_work(client, auth, referrer), "referrer-heading")
    assert text_of(mine).startswith("My consultation requests Returned for completion: 1 "
                                    "waiting for you Draft: 1 Submitted: 1")
    assert '<a href="/requests?state=returned&amp;mine=1">Returned for completion</a>: 1' in mine


def test_referrer_sees_new_recommendations_of_their_own_cases_only(client, auth):
    referrer = factories.create_user("referrer")
    colleague = factories.create_user("referrer", organisation=referrer.organisation)
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    fresh = final_record(factories.create_submitted_request(team=team, referrer=referrer),
                         finalised_days_ago=3)
    older = final_record(factories.create_submitted_request(physician=factories.create_user(
        "physician"), referrer=referrer), finalised_days_ago=13, kind="note")
    stale = final_record(factories.create_submitted_request(team=team, referrer=referrer),
                         finalised_days_ago=20)
    theirs = final_record(factories.create_submitted_request(team=team, referrer=colleague))
    db.session.commit()
    page = section(my_work(client, auth, referrer), "recommendations-heading")
    assert re.findall(r"Request (\d+)", text_of(page)) == [str(fresh.request_id),
                                                         str(older.request_id)]
    assert "Protocol finalised" in text_of(page) and "Consultation note signed" in text_of(page)
    assert f'href="/requests/{fresh.request_id}/protocol"' in page
    assert f"Request {stale.request_id}<" not in page
    assert f"Request {theirs.request_id}<" not in page
    other = section(my_work(client, auth, colleague), "recommendations-heading")
    assert re.findall(r"Request (\d+)", text_of(other)) == [str(theirs.request_id)]


def test_referrer_sees_follow_ups_due_within_a_week_overdue_first(client, auth):
    referrer = factories.create_user("referrer")
    colleague = factories.create_user("referrer", organisation=referrer.organisation)
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])

    def case(days, who=referrer, state="discussed"):
        request = factories.create_submitted_request(team=team, referrer=who)
        return final_record(request, finalised_days_ago=100, follow_up_in_days=days,
                            state=state).request_id

    soon, overdue, due_today = case(5), case(-3), case(0)
    later, closed, theirs = case(20), case(-1, state="closed"), case(1, who=colleague)
    db.session.commit()
    page = section(my_work(client, auth, referrer), "follow-ups-heading")
    assert re.findall(r"Request (\d+)", text_of(page)) == [str(overdue), str(due_today),
                                                         str(soon)]
    assert f'<a href="/requests/{overdue}">' in page
    assert f'<a href="/requests/{overdue}/follow-up">Record the follow-up</a>' in page
    assert text_of(page).count("overdue") == 1 and "today" in text_of(page)
    for absent in (later, closed, theirs):
        assert f"Request {absent}<" not in page


def test_referrer_sees_their_action_items_and_their_cases_organisation_items(client, auth):
    referrer = factories.create_user("referrer")
    colleague = factories.create_user("referrer", organisation=referrer.organisation)
    kela = factories.create_organisation("Kela")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    mine = final_record(factories.create_submitted_request(team=team, referrer=referrer))
    theirs = final_record(factories.create_submitted_request(team=team, referrer=colleague))
    action_item(mine, "Soita Kelaan", user=referrer, due_in_days=10)
    action_item(mine, "Kelan selvitys", organisation=kela, due_in_days=-2)
    action_item(mine, "Ilman päivää", user=referrer)
    action_item(mine, "Jo tehty", user=referrer, state="done")
    action_item(theirs, "Kollegan asia", organisation=kela, due_in_days=1)
    action_item(theirs, "Minulle kollegan asiakkaasta", user=referrer, due_in_days=3)
    draft = Protocol(request_id=factories.create_submitted_request(team=team, referrer=referrer).id,
                     kind="protocol", notes={})
    db.session.add(draft)
    db.session.flush()
    action_item(draft, "Luonnoksessa", user=referrer)
    db.session.commit()
    page = section(my_work(client, auth, referrer), "actions-heading")
    assert re.findall(r'<span class="preserve">([^<]+)</span>', page) == [
        "Kelan selvitys", "Minulle kollegan asiakkaasta", "Soita Kelaan", "Ilman päivää"]
    assert "4 open, 1 overdue" in text_of(page)
    assert '<a href="/actions">' in page
    for absent in ("Jo tehty", "Kollegan asia", "Luonnoksessa"):
        assert absent not in page


# Member ----------------------------------------------------------------------------

def test_member_sees_only_action_items_named_to_them_and_their_teams_meetings(client, auth):
    member = factories.create_user("member")
    other = factories.create_user("member", organisation=member.organisation)
    team = factories.create_team(members=[member], coordinators=[factories.create_user(
        "coordinator")])
    elsewhere = factories.create_team(members=[other])
    protocol = final_record(factories.create_submitted_request(team=team))
    action_item(protocol, "Psykologin arvio", user=member, due_in_days=7)
    action_item(protocol, "Toisen jäsenen tehtävä", user=other, due_in_days=7)
    action_item(protocol, "Organisaation tehtävä", organisation=member.organisation)
    mine = factories.create_meeting(team)
    not_mine = factories.create_meeting(elsewhere)
    factories.create_meeting(team, starts_at=utcnow() - timedelta(days=3))  # over
    db.session.commit()
    page = my_work(client, auth, member)
    actions = text_of(section(page, "actions-heading"))
    assert "Psykologin arvio" in actions
    assert "Toisen jäsenen tehtävä" not in actions and "Organisaation tehtävä" not in actions
    meetings = section(page, "meetings-heading")
    assert re.findall(r'href="/meetings/(\d+)"', meetings) == [str(mine.id)]
    assert "recommendations-heading" not in page and "to-finalise-heading" not in page
    theirs = my_work(client, auth, other)
    assert "Toisen jäsenen tehtävä" in theirs and "Psykologin arvio" not in theirs
    assert re.findall(r'href="/meetings/(\d+)"', section(theirs, "meetings-heading")) == [
        str(not_mine.id)]


# Coordinator -----------------------------------------------------------------------

def held_meeting_with(team, coordinator, *, open_cases: int, final_cases: int = 0):
    meeting = factories.create_meeting(team, starts_at=utcnow() - timedelta(hours=2),
                                       state="held")
    for position in range(open_cases + final_cases):
        request = factories.create_submitted_request(team=team)
        services.perform(request, "accept", coordinator)
        db.session.add(AgendaItem(meeting_id=meeting.id, request_id=request.id,
                                  position=position, minutes=20,
                                  state="on_agenda" if position < open_cases else "finalised"))
    db.session.flush()
    return meeting


def test_coordinator_sees_held_meetings_of_their_teams_with_protocols_to_finalise(
        client, auth):
    coordinator = factories.create_user("coordinator")
    other = factories.create_user("coordinator", organisation=coordinator.organisation)
    team = factories.create_team(name="Tiimi A", coordinators=[coordinator])
    elsewhere = factories.create_team(name="Tiimi B", coordinators=[other])
    waiting = held_meeting_with(team, coordinator, open_cases=2, final_cases=1)
    held_meeting_with(team, coordinator, open_cases=0, final_cases=2)  # all finalised
    theirs = held_meeting_with(elsewhere, other, open_cases=1)
    factories.create_meeting(team, state="agenda_sent")  # not held yet
    db.session.commit()
    page = section(my_work(client, auth, coordinator), "to-finalise-heading")
    assert re.findall(r'href="/meetings/(\d+)/run"', page) == [str(waiting.id)]
    assert "Tiimi A: 2 cases without a final protocol" in text_of(page)
    other_page = section(my_work(client, auth, other), "to-finalise-heading")
    assert re.findall(r'href="/meetings/(\d+)/run"', other_page) == [str(theirs.id)]


def test_coordinator_without_held_meetings_keeps_the_empty_state(client, auth):
    coordinator = factories.create_user("coordinator")
    factories.create_team(coordinators=[coordinator])
    db.session.commit()
    page = my_work(client, auth, coordinator)
    assert "Every held meeting's protocols are finalised" in section(page, "to-finalise-heading")
    assert 'id="actions-heading"' not in page  # nothing of theirs to complete


# Physician -------------------------------------------------------------------------

def booked(physician, starts_at, *, state="scheduled", mode="video"):
    slot = factories.create_slot(physician, starts_at=starts_at, mode=mode)
    request = factories.create_submitted_request(physician=physician, mode=mode)
    request.state = state
    factories.create_booking(slot, request)
    return request


def test_physician_sees_todays_and_this_weeks_booked_times_of_their_own(client, auth):
    physician = factories.create_user("physician")
    other = factories.create_user("physician", organisation=physician.organisation)
    start_of_today, end_of_week = utc_bounds(today(), monday_of(today()) + timedelta(days=7))
    this_morning = booked(physician, start_of_today + timedelta(minutes=1), mode="phone")
    tonight = booked(physician, start_of_today + timedelta(hours=22))
    later = (booked(physician, end_of_week - timedelta(hours=1))
             if end_of_week - start_of_today > timedelta(days=1) else None)
    next_week = booked(physician, end_of_week + timedelta(hours=9))
    yesterday = booked(physician, start_of_today - timedelta(hours=12), state="discussed")
    theirs = booked(other, start_of_today + timedelta(hours=21))
    db.session.commit()
    page = my_work(client, auth, physician)
    week = section(page, "week-heading")
    todays = week.split('id="later-heading"')[0]
    assert re.findall(r"Request (\d+)", text_of(todays)) == [str(this_morning.id),
                                                           str(tonight.id)]
    assert "Phone" in text_of(todays) and "Video" in text_of(todays)
    assert f'href="/requests/{tonight.id}"' in todays
    later_ones = re.findall(r"Request (\d+)", text_of(week.split('id="later-heading"')[1]))
    assert later_ones == ([str(later.id)] if later else [])
    for absent in (next_week, yesterday, theirs):
        assert f"Request {absent.id}<" not in week


def test_physician_sees_notes_to_sign_once_the_time_has_begun_and_statements(client, auth):
    physician = factories.create_user("physician")
    other = factories.create_user("physician", organisation=physician.organisation)
    held = booked(physician, utcnow() - timedelta(days=2))
    begun = booked(physician, utcnow() - timedelta(minutes=5))
    coming = booked(physician, utcnow() + timedelta(hours=2))
    signed = booked(physician, utcnow() - timedelta(days=1), state="discussed")
    statement = factories.create_submitted_request(physician=physician,
                                                   mode="written_statement")
    services.perform(statement, "accept", physician)
    waiting = factories.create_submitted_request(physician=physician, mode="written_statement")
    theirs = booked(other, utcnow() - timedelta(days=1))
    db.session.commit()
    page = section(my_work(client, auth, physician), "to-sign-heading")
    assert re.findall(r'href="/requests/(\d+)/record"', page) == [
        str(held.id), str(begun.id), str(statement.id)]
    assert "Written statement" in text_of(page) and "Consultation note" in text_of(page)
    for absent in (coming, signed, waiting, theirs):
        assert f"Request {absent.id}<" not in page


# Audit and budget ------------------------------------------------------------------

def test_each_request_listed_is_audited_once_for_my_work(client, auth):
    referrer = factories.create_user("referrer", "physician")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    protocol = final_record(factories.create_submitted_request(team=team, referrer=referrer),
                            follow_up_in_days=2)  # new and due: listed twice
    action_item(protocol, "Tee jotain", user=referrer)
    note = booked(referrer, utcnow() - timedelta(hours=1))
    db.session.commit()
    page = my_work(client, auth, referrer)
    assert "Testinen" not in page  # the clients' name: the page names no clients
    assert sorted(listed_for_my_work()) == sorted([
        (protocol.request_id, protocol.request.client_id), (note.id, note.client_id)])


def test_a_page_without_case_lists_writes_no_my_work_events(client, auth):
    manager = factories.create_user("manager", "admin")
    db.session.commit()
    my_work(client, auth, manager)
    assert listed_for_my_work() == []


def test_my_work_lists_stay_within_the_statement_budget_with_many_items(
        client, auth, count_queries):
    user = factories.create_user("referrer", "coordinator", "member", "physician", "manager",
                                 "admin")
    team = factories.create_team(coordinators=[user], members=[user], physician=user)
    start_of_today, _ = utc_bounds(today(), today() + timedelta(days=1))
    made = []

    def fill(n):
        for i in range(len(made), len(made) + n):
            made.append(i)
            own_client = factories.create_client(  # the factory's codes repeat after 100
                by=user, code=factories.identity_code(number=900 + i))
            protocol = final_record(factories.create_submitted_request(
                team=team, referrer=user, client=own_client),
                finalised_days_ago=i % 5, follow_up_in_days=i % 5)
            action_item(protocol, f"Tehtävä {i}", user=user, due_in_days=i - 3)
            action_item(protocol, f"Organisaatiolle {i}", organisation=user.organisation)
            booked(user, start_of_today + timedelta(minutes=5 * i + 1))
        held_meeting_with(team, user, open_cases=1)
        factories.create_meeting(team)
        db.session.commit()

    fill(2)
    auth.login(user)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    fill(28)  # 30 cases, 60 action items, 30 booked times, 2 held meetings
    with count_queries() as many:
        page = client.get("/?lang=en").text
    assert many.count == few.count <= 12, "\n".join(many.statements)
    assert "60 open" in text_of(section(page, "actions-heading"))
    assert len(re.findall(r"<li>", section(page, "actions-heading"))) == 10
