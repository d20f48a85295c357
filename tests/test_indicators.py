"""Indicators (SPEC §7, issue 10): every measure against a small hand-built data set
with known answers, the small-cell rule on the page and in the CSV, and who may see
what."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone

import pytest

from consult.consultations.models import RequestEvent
from consult.extensions import db
from consult.followups.models import FollowUp
from consult.indicators import measures
from consult.indicators import services as indicators
from consult.indicators.periods import month_of, period_of, quarter_of, year_of
from consult.meetings.models import AgendaItem
from consult.protocols.models import ActionItem, Protocol, Recommendation
from consult.timeutil import HELSINKI
from tests import factories

OCTOBER = month_of(date(2026, 10, 1))


def helsinki(day: date, hour: int = 10) -> datetime:
    """Naive UTC of a Helsinki wall time."""
    local = datetime.combine(day, time(hour), tzinfo=HELSINKI)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def case(team, *, submitted: datetime, state: str = "accepted", kind_org=None,
         events=(), physician=None, mode=None):
    """A request first submitted at `submitted` with the given events (act, at)."""
    referrer = factories.create_user("referrer", organisation=kind_org)
    request = factories.create_request(team=None if physician else team, physician=physician,
                                       mode=mode, referrer=referrer)
    request.first_submitted_at = submitted
    request.state = state
    db.session.add(RequestEvent(request=request, actor_id=referrer.id, act="submit",
                                from_state="draft", to_state="submitted", at=submitted))
    for act, at in events:
        db.session.add(RequestEvent(request=request, actor_id=referrer.id, act=act,
                                    from_state="submitted", to_state=state, at=at))
    db.session.flush()
    return request


def decided_after(team, days_list, *, start=date(2026, 10, 5), **kwargs):
    return [case(team, submitted=helsinki(start),
                 events=[("accept", helsinki(start + timedelta(days=d)))], **kwargs)
            for d in days_list]


# The arithmetic --------------------------------------------------------------------

def test_median_of_odd_and_even_counts_and_ties():
    assert measures.median([9, 1, 3, 8, 3]) == 3
    assert measures.median([30, 2, 4, 4, 7, 10]) == 5.5  # the mean of 4 and 7
    assert measures.median([4, 4, 4, 4]) == 4


def test_the_90th_percentile_is_the_nearest_rank():
    assert measures.nearest_rank([1, 3, 3, 8, 9], 90) == 9  # rank ⌈4.5⌉ = 5
    assert measures.nearest_rank(list(range(1, 21)), 90) == 18  # rank 18 of 20
    assert measures.nearest_rank([2, 4, 4, 7, 10, 30], 90) == 30  # rank ⌈5.4⌉ = 6
    assert measures.nearest_rank([5, 5, 5, 5, 5, 5, 5, 5, 5, 6], 90) == 5  # rank 9


def test_small_cells_are_hidden_and_shares_of_them_too():
    assert [measures.count(n).suppressed for n in (0, 1, 4, 5)] == [False, True, True, False]
    assert measures.share(2, 10).suppressed and measures.share(5, 4).suppressed
    assert measures.share(0, 10).number == 0 and not measures.share(0, 10).suppressed
    assert measures.share(5, 20).number == 25.0
    assert measures.days([1, 2, 3, 4], "median").suppressed
    assert measures.days([], "median").number is None and not measures.days([], "median").suppressed


def test_periods_are_helsinki_calendar_months_quarters_and_years():
    assert (quarter_of(date(2026, 11, 22)).start, quarter_of(date(2026, 11, 22)).end) == (
        date(2026, 10, 1), date(2026, 12, 31))
    assert year_of(date(2026, 2, 3)).days == 365
    assert month_of(date(2024, 2, 10)).end == date(2024, 2, 29)
    start, end = OCTOBER.utc_bounds()
    assert start == datetime(2026, 9, 30, 21, 0)  # 00.00 in Helsinki (summer time)
    assert end == datetime(2026, 10, 31, 22, 0)  # 00.00 on 1 November (winter time)
    with pytest.raises(ValueError):
        period_of("range", date.today(), date(2026, 2, 1), date(2026, 1, 1))


# Every measure against known answers ----------------------------------------------------

@pytest.fixture
def team(app):
    return factories.create_team(coordinators=[factories.create_user("coordinator")])


def figures_of(team, period=OCTOBER, kind=None):
    db.session.flush()
    result = indicators.compute([team], period, kind)
    return result.figures[team.id], result.figures[indicators.ALL]


def test_lead_time_to_decision_median_and_p90_even_count(team):
    decided_after(team, [2, 4, 4, 7, 10, 30])
    mine, everyone = figures_of(team)
    assert mine.received.number == 6
    assert mine.decision_median.number == 5.5 and mine.decision_p90.number == 30
    assert everyone.decision_median.number == 5.5


def test_lead_time_to_decision_odd_count(team):
    decided_after(team, [1, 3, 3, 8, 9])
    mine, _ = figures_of(team)
    assert (mine.decision_median.number, mine.decision_p90.number) == (3, 9)


def test_a_return_for_completion_is_not_a_decision(team):
    start = date(2026, 10, 1)
    for _ in range(5):
        case(team, submitted=helsinki(start), events=[
            ("return_for_completion", helsinki(start + timedelta(days=1))),
            ("resubmit", helsinki(start + timedelta(days=5))),
            ("accept", helsinki(start + timedelta(days=12)))])
    mine, _ = figures_of(team)
    assert mine.decision_median.number == 12
    assert mine.returned_share.number == 100.0


def test_physician_decisions_are_booking_or_proposing_and_count_for_the_team(app):
    physician = factories.create_user("physician")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")],
                                 physician=physician)
    start = date(2026, 10, 6)
    for days, act in ((1, "propose_slots"), (2, "book_slot"), (3, "book_slot"),
                      (3, "propose_slots"), (6, "book_slot")):
        case(team, physician=physician, mode="video", submitted=helsinki(start),
             state="scheduled", events=[(act, helsinki(start + timedelta(days=days)))])
    mine, _ = figures_of(team)
    assert mine.received.number == 5 and mine.decision_median.number == 3


def test_lead_time_counts_helsinki_calendar_days(team):
    # 23.30 on 5 October to 00.30 on 6 October in Helsinki is one day, not zero.
    for _ in range(5):
        submitted = helsinki(date(2026, 10, 5), 23) + timedelta(minutes=30)
        case(team, submitted=submitted,
             events=[("accept", submitted + timedelta(hours=1))])
    mine, _ = figures_of(team)
    assert mine.decision_median.number == 1


def test_the_month_a_case_belongs_to_is_its_helsinki_month(team):
    # 00.30 on 1 November in Helsinki is 31 October in UTC: November's, not October's.
    case(team, submitted=helsinki(date(2026, 11, 1), 0) + timedelta(minutes=30))
    case(team, submitted=helsinki(date(2026, 10, 31), 23) + timedelta(minutes=30))
    october, _ = figures_of(team)
    november, _ = figures_of(team, month_of(date(2026, 11, 1)))
    assert october.received.cases == 1 and november.received.cases == 1


def test_an_empty_period_has_zero_counts_and_no_shares_or_medians(team):
    decided_after(team, [1, 2, 3, 4, 5])
    empty, _ = figures_of(team, month_of(date(2025, 3, 1)))
    assert empty.received.number == 0 and not empty.received.suppressed
    assert empty.resolved_share.number is None and empty.decision_median.number is None
    assert all(value.number == 0 for _, value in empty.by_mode)


def test_shares_resolved_and_small_ones_hidden(team):
    decided_after(team, [1] * 8)
    for _ in range(2):
        case(team, submitted=helsinki(date(2026, 10, 7)), state="resolved_at_consultation",
             events=[("resolve_at_consultation", helsinki(date(2026, 10, 9)))])
    mine, _ = figures_of(team)
    assert mine.received.number == 10
    assert mine.resolved_share.suppressed and mine.resolved_share.number == 20.0
    for _ in range(3):
        case(team, submitted=helsinki(date(2026, 10, 8)), state="resolved_at_consultation",
             events=[("resolve_at_consultation", helsinki(date(2026, 10, 9)))])
    mine, _ = figures_of(team)
    assert (mine.resolved_share.number, mine.resolved_share.suppressed) == (38.5, False)


def test_lead_time_to_the_meeting_and_cases_discussed_by_mode(app):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    meeting = factories.create_meeting(team, starts_at=helsinki(date(2026, 10, 20), 9),
                                       state="held")
    for n, submitted in enumerate((1, 2, 3, 5, 6, 10)):  # 19, 18, 17, 15, 14, 10 days
        request = case(team, submitted=helsinki(date(2026, 10, submitted)), state="discussed",
                       events=[("accept", helsinki(date(2026, 10, submitted + 1))),
                               ("finalise_protocol", helsinki(date(2026, 10, 20), 12))])
        db.session.add(AgendaItem(meeting=meeting, request=request, position=n + 1,
                                  minutes=20, state="finalised"))
    mine, _ = figures_of(team)
    assert mine.consultation_median.number == 16  # (17 + 15) / 2
    assert mine.consultation_p90.number == 19
    assert mine.discussed.number == 6
    assert dict(mine.by_mode)["team_meeting"].number == 6


def test_recommendations_by_service_paths_close_out_and_action_items(app):
    from consult.catalogue.models import Service

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    service = Service(category="kela", organisation_kind="kela", name_fi="Ammatillinen kuntoutus",
                      name_sv="Yrkesinriktad rehabilitering", name_en="Vocational rehabilitation")
    db.session.add(service)
    answers = ("yes", "yes", "partly", "yes", "yes", "yes", "no")
    for n, plan in enumerate(answers):
        request = case(team, submitted=helsinki(date(2026, 8, 3)), state="closed")
        protocol = Protocol(request=request, kind="protocol", notes={},
                            finalised_at=helsinki(date(2026, 10, 2)), path="work")
        db.session.add(protocol)
        db.session.add(Recommendation(protocol=protocol, text="R", position=1, service=service))
        db.session.add(Recommendation(protocol=protocol, text="R", position=2))
        db.session.add(FollowUp(request=request, path_taken="work" if n < 6 else "studies",
                                situation="-", meeting_needed=n < 5, plan_changed=plan,
                                recorded_by_id=coordinator.id,
                                recorded_at=helsinki(date(2026, 10, 20))))
        db.session.add(ActionItem(protocol=protocol, what="x", responsible_user=coordinator,
                                  due_on=date(2026, 10, 15) if n < 5 else date(2026, 12, 1)))
        db.session.add(ActionItem(protocol=protocol, what="y", responsible_user=coordinator,
                                  state="done", completed_at=helsinki(date(2026, 10, 10)),
                                  completed_by_id=coordinator.id))
    mine, _ = figures_of(team)
    assert dict(mine.by_service) == {service.id: measures.count(7),
                                     indicators.NO_SERVICE: measures.count(7)}
    assert dict(mine.paths)["work"].number == 6 and dict(mine.paths)["studies"].suppressed
    assert dict(mine.plan_changed)["yes"].number == 5 and dict(mine.plan_changed)["no"].suppressed
    assert dict(mine.meeting_needed)["yes"].number == 5
    assert mine.actions_open.number == 7 and mine.actions_overdue.number == 5
    # In September nothing was final yet.
    september, _ = figures_of(team, month_of(date(2026, 9, 1)))
    assert september.actions_open.number == 0 and september.by_service == []


def test_the_filter_by_organisation_kind(team):
    kela = factories.create_organisation(kind="kela")
    decided_after(team, [1, 2, 3, 4, 5], kind_org=kela)
    decided_after(team, [9, 9, 9, 9, 9])
    mine, _ = figures_of(team, kind="kela")
    assert mine.received.number == 5 and mine.decision_median.number == 3
    everyone, _ = figures_of(team)
    assert dict(everyone.by_kind)["kela"].number == 5


def test_all_teams_count_a_shared_physicians_request_once(app):
    physician = factories.create_user("physician")
    first = factories.create_team(coordinators=[factories.create_user("coordinator")],
                                  physician=physician)
    second = factories.create_team(coordinators=[factories.create_user("coordinator")],
                                   physician=physician)
    for _ in range(6):
        case(first, physician=physician, mode="video", submitted=helsinki(date(2026, 10, 6)),
             events=[("book_slot", helsinki(date(2026, 10, 8)))])
    result = indicators.compute([first, second], OCTOBER)
    assert result.figures[first.id].received.number == 6
    assert result.figures[second.id].received.number == 6
    assert result.figures[indicators.ALL].received.number == 6


# Pages, CSV and access -------------------------------------------------------------------

def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def test_the_page_and_the_csv_show_the_same_suppressed_and_shown_values(app, client, auth):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    decided_after(team, [2, 4, 4, 7, 10, 30], start=date(2026, 10, 5))
    case(team, submitted=helsinki(date(2026, 10, 7)), state="resolved_at_consultation")
    db.session.commit()
    auth.login(coordinator)
    query = "period=month&day=2026-10-15"
    page = client.get(f"/indicators?lang=en&{query}")
    assert page.status_code == 200
    assert "Requests received" in page.text and "&lt;5" in page.text
    rows = csv_rows(client.get(f"/indicators.csv?{query}").text)
    assert list(rows[0]) == ["team", "period_start", "period_end", "measure", "breakdown",
                             "value"]
    mine = {(r["measure"], r["breakdown"]): r["value"] for r in rows if r["team"] == team.name}
    assert mine[("received", "")] == "7"
    assert mine[("resolved_at_consultation_share", "")] == "<5"
    # The resolved case had no decision event of its own here: six lead times.
    assert mine[("lead_time_to_decision_median_days", "")] == "5.5"
    assert mine[("lead_time_to_decision_p90_days", "")] == "30"
    assert rows[0]["period_start"] == "2026-10-01" and rows[0]["period_end"] == "2026-10-31"
    assert {r["team"] for r in rows} == {team.name, "all"}


def test_the_excel_csv_has_a_bom_and_decimal_commas(app, client, auth):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    decided_after(team, [2, 4, 4, 7, 10, 30])
    db.session.commit()
    auth.login(coordinator)
    response = client.get("/indicators.csv?period=month&day=2026-10-15&excel=1")
    assert response.data.startswith("\ufeff".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    rows = csv_rows(response.data.decode("utf-8"))
    median = next(r for r in rows if r["team"] == team.name
                  and r["measure"] == "lead_time_to_decision_median_days")
    assert median["value"] == "5,5"


def test_a_team_name_that_starts_like_a_formula_is_plain_text_in_the_csv(app, client, auth):
    from consult.spreadsheet import text_cell

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(name="@SUM(1+1)", coordinators=[coordinator])
    db.session.commit()
    auth.login(coordinator)
    response = client.get("/indicators.csv?period=month&day=2026-10-15&excel=1")
    rows = csv_rows(response.data.decode("utf-8"))
    assert {r["team"] for r in rows} >= {"'@SUM(1+1)"}
    assert not any(r["team"].startswith(("=", "+", "-", "@")) for r in rows)
    assert [text_cell(v) for v in ("-1", "\t=1", "Tiimi", None)] == ["'-1", "'\t=1", "Tiimi", ""]


@pytest.mark.parametrize("roles", [("referrer",), ("member",), ("physician",), ("admin",)])
def test_roles_without_indicators_get_403(app, client, auth, roles):
    user = factories.create_user(*roles)
    db.session.commit()
    auth.login(user)
    assert client.get("/indicators").status_code == 403
    assert client.get("/indicators.csv").status_code == 403


def test_a_coordinator_sees_their_own_teams_and_another_team_is_404(app, client, auth):
    coordinator = factories.create_user("coordinator")
    mine = factories.create_team(coordinators=[coordinator])
    other = factories.create_team(coordinators=[factories.create_user("coordinator")])
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/indicators?lang=en")
    assert mine.name in page.text and other.name not in page.text
    assert client.get(f"/indicators?team={other.id}").status_code == 404
    assert client.get(f"/indicators.csv?team={other.id}").status_code == 404


def test_a_manager_sees_every_team_of_their_region(app, client, auth):
    home = factories.create_organisation()
    home.region = "Pirkanmaa"
    manager = factories.create_user("manager", organisation=home)
    ours = factories.create_team()
    ours.region = "Pirkanmaa"
    theirs = factories.create_team()
    theirs.region = "Lappi"
    db.session.commit()
    auth.login(manager)
    page = client.get("/indicators?lang=en")
    assert ours.name in page.text and theirs.name not in page.text
    assert client.get(f"/indicators?team={theirs.id}").status_code == 404


def test_bad_filters_answer_422_with_the_message_at_the_field(app, client, auth):
    coordinator = factories.create_user("coordinator")
    factories.create_team(coordinators=[coordinator])
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/indicators?lang=en&period=range&start=2026-10-10&end=2026-10-01")
    assert page.status_code == 422
    assert "The range ends before it starts." in page.text
    assert 'value="2026-10-10"' in page.text  # what was typed is kept
    assert client.get("/indicators?period=decade").status_code == 422
    missing_end = client.get("/indicators?lang=en&period=range&start=2026-10-01")
    assert missing_end.status_code == 422
    assert "Give the last day of the range." in missing_end.text
    missing_start = client.get("/indicators?lang=en&period=range&end=2026-10-01")
    assert "Give the first day of the range." in missing_start.text
    far = client.get("/indicators?lang=en&period=month&day=9999-12-31")
    assert far.status_code == 422
    assert "Give a date between the years 1900 and 2199." in far.text
    assert client.get("/indicators?lang=en&period=month&start=&end=").status_code == 200


def test_the_page_stays_within_the_statement_budget_whatever_the_data(app, client, auth,
                                                                      count_queries):
    from consult.catalogue.models import Service

    manager_org = factories.create_organisation()
    manager_org.region = "Pirkanmaa"
    manager = factories.create_user("manager", organisation=manager_org)
    teams = [factories.create_team() for _ in range(3)]
    for team in teams:
        team.region = "Pirkanmaa"
    db.session.commit()
    auth.login(manager)
    url = "/indicators?period=month&day=2026-10-15"

    def statements() -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    few = statements()
    service = Service(category="kela", organisation_kind="kela", name_fi="Palvelu",
                      name_sv="Tjänst", name_en="Service")
    db.session.add(service)
    for team in teams:
        for request in decided_after(team, [1, 2, 3, 4, 5, 6, 7]):
            protocol = Protocol(request=request, kind="protocol", notes={},
                                finalised_at=helsinki(date(2026, 10, 20)))
            db.session.add(protocol)
            db.session.add(Recommendation(protocol=protocol, text="R", position=1,
                                          service=service))
            db.session.add(ActionItem(protocol=protocol, what="x", due_on=date(2026, 10, 1),
                                      responsible_user=manager))
    db.session.commit()
    many = statements()
    assert many == few and many <= 12, (few, many)


def test_a_managers_my_work_shows_this_months_figures_within_budget(app, client, auth,
                                                                   count_queries):
    from consult.timeutil import today

    region_org = factories.create_organisation()
    region_org.region = "Pirkanmaa"
    manager = factories.create_user("manager", organisation=region_org)
    team = factories.create_team()
    team.region = "Pirkanmaa"
    first_of_month = today().replace(day=1)
    decided_after(team, [1, 2, 3, 4, 5, 6], start=first_of_month)
    db.session.commit()
    auth.login(manager)
    with count_queries() as counter:
        page = client.get("/?lang=en")
    assert page.status_code == 200 and counter.count <= 12, counter.count
    assert "Requests received this month" in page.text
    assert "<dd>6</dd>" in page.text
    assert "All indicators of your region" in page.text
