"""Notifications (`/notifications`): each user sees their own, newest first, with the
unread ones marked; the header counts the unread; reading a request or pressing
"Mark all as read" reads them."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from consult.consultations import services as consultations
from consult.consultations.models import Notification
from consult.consultations.states import ACTS
from consult.extensions import db
from consult.notifications import services
from consult.notifications.labels import notification_labels
from tests import factories


def notified_referrer():
    """A referrer whose physician request got booked: one unread notification."""
    physician = factories.create_user("physician")
    request = factories.create_submitted_request(physician=physician)
    consultations.perform(request, "book_slot", physician)
    return request.referrer, request


def nav_link(page: str) -> str:
    return re.search(r'<a href="/notifications"[^>]*>(.*?)</a>', page, re.S).group(1)


def test_the_list_shows_the_users_own_notifications_newest_first(client, auth):
    referrer, request = notified_referrer()
    older = factories.create_notification(referrer, request, kind="message",
                                          created_at=datetime(2000, 1, 5, 8, 0))
    someone_else = factories.create_user("coordinator")
    theirs = factories.create_submitted_request(physician=factories.create_user("physician"))
    factories.create_notification(someone_else, theirs, kind="decline")
    db.session.commit()
    auth.login(referrer)
    page = client.get("/notifications?lang=en").text
    assert re.findall(r'href="/requests/(\d+)"', page) == [str(request.id), str(older.request_id)]
    assert "Consultation time booked" in page and "New message" in page
    assert f"/requests/{theirs.id}" not in page and "Declining the request" not in page


def test_the_list_never_shows_client_names(client, auth):
    physician = factories.create_user("physician")
    referrer = factories.create_user("referrer")
    person = factories.create_client(by=referrer, last_name="Salainen", first_names="Sanna")
    request = factories.create_submitted_request(physician=physician, referrer=referrer,
                                                 client=person)
    consultations.perform(request, "book_slot", physician)
    db.session.commit()
    auth.login(referrer)
    page = client.get("/notifications?lang=en").text
    assert f"Request {request.id}" in page
    assert "Salainen" not in page and "Sanna" not in page


def test_unread_notifications_are_marked_in_words_not_only_by_style(client, auth):
    referrer, request = notified_referrer()
    factories.create_notification(referrer, request, kind="message", read=True)
    db.session.commit()
    auth.login(referrer)
    page = client.get("/notifications?lang=en").text
    rows = re.findall(r"<tr[ >].*?</tr>", page, re.S)[1:]  # without the header row
    assert sorted(">New<" in row for row in rows) == [False, True]


def test_the_list_pages_by_fifty(client, auth):
    referrer = factories.create_user("referrer")
    for _ in range(51):
        factories.create_notification(referrer, kind="message")
    db.session.commit()
    auth.login(referrer)
    first = client.get("/notifications?lang=en").text
    second = client.get("/notifications?page=2&lang=en").text
    assert first.count("New message") == 50 and "Page 1 of 2" in first
    assert second.count("New message") == 1


def test_the_header_shows_the_unread_count_for_screen_readers_too(client, auth):
    referrer, request = notified_referrer()
    factories.create_notification(referrer, request, kind="message")
    factories.create_notification(referrer, request, kind="resumed", read=True)
    db.session.commit()
    auth.login(referrer)
    link = nav_link(client.get("/?lang=en").text)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", link)).strip() == "Notifications (2 unread)"
    assert '<span class="visually-hidden"> unread</span>' in link


def test_the_header_shows_no_count_when_all_are_read(client, auth):
    referrer, _request = notified_referrer()
    db.session.query(Notification).update({"read_at": datetime(2026, 1, 1)})
    db.session.commit()
    auth.login(referrer)
    assert nav_link(client.get("/?lang=en").text).strip() == "Notifications"


def test_anonymous_pages_do_not_count_notifications(client, count_queries):
    with count_queries() as counter:
        assert client.get("/login").status_code == 200
    assert not [s for s in counter.statements if "notification" in s]


def test_the_header_count_costs_one_statement_per_page(client, auth, count_queries):
    referrer, _request = notified_referrer()
    db.session.commit()
    auth.login(referrer)
    with count_queries() as counter:
        client.get("/notifications")
    assert len([s for s in counter.statements if "count(notification.id)" in s]) == 1


def test_mark_all_read_reads_only_the_users_own_and_redirects_to_the_list(client, auth):
    referrer, request = notified_referrer()
    factories.create_notification(referrer, request, kind="message")
    other = factories.create_user("coordinator")
    factories.create_notification(other, request, kind="message")
    db.session.commit()
    auth.login(referrer)
    response = client.post("/notifications/read", data={"csrf_token": auth.csrf("/notifications")})
    assert response.status_code == 303 and response.location.endswith("/notifications")
    assert services.unread_count(referrer) == 0
    assert services.unread_count(other) == 1
    assert ">New<" not in client.get("/notifications?lang=en").text


def test_mark_all_read_without_csrf_token_reads_nothing(client, auth):
    referrer, _request = notified_referrer()
    db.session.commit()
    auth.login(referrer)
    assert client.post("/notifications/read").status_code == 400
    assert services.unread_count(referrer) == 1


def test_mark_read_for_request_reads_only_that_requests_notifications_of_that_user(app):
    referrer, request = notified_referrer()
    other_request = factories.create_submitted_request(
        referrer=referrer, physician=factories.create_user("physician"))
    factories.create_notification(referrer, other_request, kind="message")
    colleague = factories.create_user("referrer", organisation=referrer.organisation)
    factories.create_notification(colleague, request, kind="message")
    earlier = factories.create_notification(referrer, request, kind="message", read=True)
    read_on = earlier.read_at

    assert services.mark_read_for_request(referrer, request.id) == 1

    unread = db.session.execute(select(Notification.user_id, Notification.request_id).where(
        Notification.read_at.is_(None),
        Notification.user_id.in_([referrer.id, colleague.id]))).all()
    assert sorted(unread) == sorted([(referrer.id, other_request.id),
                                     (colleague.id, request.id)])
    assert earlier.read_at == read_on  # an already read one keeps its time


def test_unread_count_counts_only_unread_ones(app):
    referrer, request = notified_referrer()
    factories.create_notification(referrer, request, kind="message")
    factories.create_notification(referrer, request, kind="message", read=True)
    assert services.unread_count(referrer) == 2
    services.mark_all_read(referrer)
    assert services.unread_count(referrer) == 0


def test_every_act_and_every_other_kind_has_a_label(app):
    labels = notification_labels()
    kinds = set(ACTS) | {"message", "paused", "resumed", "handover"}
    assert not kinds - set(labels)
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        assert all(str(labels[kind]).strip() for kind in kinds)
        assert str(labels["handover"]) == "Case handed over"
