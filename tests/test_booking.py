"""Booking a physician's slot (SPEC §3, §4 flow 4): book, propose and pick, cancel,
move; a slot holds at most one booking, and the loser of a race is told, with the free
times around it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.consultations import services
from consult.consultations.models import Notification
from consult.extensions import db
from consult.scheduling import booking as bookings
from consult.scheduling.models import Booking, SlotProposal
from consult.timeutil import utcnow
from tests import factories


def case(physician=None, mode="video", preferred=""):
    physician = physician or factories.create_user("physician")
    request = factories.create_submitted_request(physician=physician, mode=mode)
    request.preferred_dates = preferred
    db.session.commit()
    return request, physician


def slot_at(physician, days, hour=9, mode="video"):
    start = (utcnow() + timedelta(days=days)).replace(hour=hour - 2, minute=0, second=0,
                                                      microsecond=0)
    return factories.create_slot(physician, starts_at=start, mode=mode)


def post(client, auth, url, **data):
    return client.post(f"{url}?lang=en", data={"csrf_token": auth.csrf(), **data})


def kinds_for(user):
    return [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_physician_books_a_free_slot_and_the_referrer_sees_the_time(client, auth):
    request, physician = case()
    slot = slot_at(physician, 3)
    db.session.commit()
    auth.login(physician)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert f'value="{slot.id}"' in page
    response = post(client, auth, f"/requests/{request.id}/booking", slots=slot.id,
                    action="book")
    assert response.status_code == 303
    db.session.refresh(request)
    assert request.state == "scheduled"
    booking = bookings.active_booking(request)
    assert (booking.slot_id, booking.sequence) == (slot.id, 0)
    assert kinds_for(request.referrer)[-1] == "book_slot"
    auth.logout()
    auth.login(request.referrer)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert "https://video.example.fi/x" in page and "Physician appointment by video" in page


def test_booking_needs_exactly_one_time_and_proposing_two_or_three(client, auth):
    request, physician = case()
    slots = [slot_at(physician, d) for d in (2, 3, 4, 5)]
    db.session.commit()
    auth.login(physician)
    two = [s.id for s in slots[:2]]
    response = post(client, auth, f"/requests/{request.id}/booking", slots=two, action="book")
    assert response.status_code == 422 and 'id="slots-error"' in response.text
    assert 'checked' in response.text  # what was chosen stays chosen
    response = post(client, auth, f"/requests/{request.id}/booking",
                    slots=[s.id for s in slots], action="propose")
    assert response.status_code == 422 and "two or three" in response.text
    db.session.refresh(request)
    assert request.state == "submitted" and bookings.active_booking(request) is None


def test_proposed_slots_are_picked_by_the_referrer(client, auth):
    request, physician = case()
    first, second = slot_at(physician, 2), slot_at(physician, 3)
    db.session.commit()
    auth.login(physician)
    response = post(client, auth, f"/requests/{request.id}/booking",
                    slots=[first.id, second.id], action="propose")
    assert response.status_code == 303
    db.session.refresh(request)
    assert request.state == "submitted"
    assert kinds_for(request.referrer)[-1] == "propose_slots"
    auth.logout()
    auth.login(request.referrer)
    response = post(client, auth, f"/requests/{request.id}/booking/pick", slot_id=second.id)
    assert response.status_code == 303
    db.session.refresh(request)
    assert request.state == "scheduled"
    assert bookings.active_booking(request).slot_id == second.id
    assert db.session.scalar(select(SlotProposal)) is None
    assert kinds_for(physician)[-1] == "pick_slot"


def test_the_referrer_cannot_pick_a_time_that_was_not_proposed(client, auth):
    request, physician = case()
    proposed = [slot_at(physician, 2), slot_at(physician, 3)]
    other = slot_at(physician, 4)
    bookings.propose(request, proposed, physician)
    db.session.commit()
    auth.login(request.referrer)
    response = post(client, auth, f"/requests/{request.id}/booking/pick", slot_id=other.id)
    assert response.status_code == 422
    db.session.refresh(request)
    assert request.state == "submitted"


def test_a_pick_that_lost_to_a_direct_booking_is_told_with_the_times_around(client, auth):
    request, physician = case()
    wanted, later = slot_at(physician, 2), slot_at(physician, 2, hour=10)
    bookings.propose(request, [wanted, later], physician)
    rival, _ = case(physician)
    bookings.book(rival, wanted, physician)  # the physician gave it to someone else
    db.session.commit()
    auth.login(request.referrer)
    response = client.post(f"/requests/{request.id}/booking/pick?lang=en",
                           data={"csrf_token": auth.csrf(), "slot_id": wanted.id},
                           headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "This time was just taken" in response.text
    assert response.text.lstrip().startswith('<section aria-labelledby="booking-heading"')
    assert len(response.data) < 10_000
    db.session.refresh(request)
    assert request.state == "submitted"
    assert db.session.scalar(select(Booking).where(Booking.request_id == request.id)) is None


def test_booking_a_taken_slot_answers_409_with_free_slots_around_it(client, auth):
    request, physician = case()
    taken, before, after = slot_at(physician, 3, 9), slot_at(physician, 3, 8), slot_at(physician, 3, 10)
    rival, _ = case(physician)
    bookings.book(rival, taken, physician)
    db.session.commit()
    auth.login(physician)
    response = post(client, auth, f"/requests/{request.id}/booking", slots=taken.id,
                    action="book")
    assert response.status_code == 409
    text = response.text
    assert "This time was just taken" in text and "Free times around it" in text
    assert f'value="{before.id}"' in text and f'value="{after.id}"' in text
    db.session.refresh(request)
    assert request.state == "submitted"


def test_a_raw_second_active_booking_of_a_slot_is_refused_by_the_database(app):
    request, physician = case()
    other, _ = case(physician)
    slot = slot_at(physician, 2)
    db.session.add(Booking(request_id=request.id, slot_id=slot.id, booked_by_id=physician.id))
    db.session.flush()
    db.session.add(Booking(request_id=other.id, slot_id=slot.id, booked_by_id=physician.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_cancelled_booking_frees_the_slot(app):
    request, physician = case()
    other, _ = case(physician)
    slot = slot_at(physician, 2)
    bookings.book(request, slot, physician)
    with app.test_request_context():
        with pytest.raises(services.TransitionRefused):
            bookings.cancel(request, physician, "  ")  # a reason is required
    bookings.cancel(request, physician, "Lääkäri sairastui.")
    assert request.state == "submitted"
    cancelled = db.session.scalar(select(Booking))
    assert (cancelled.state, cancelled.cancel_reason) == ("cancelled", "Lääkäri sairastui.")
    bookings.book(other, slot, physician)  # free again
    assert other.state == "scheduled"


def test_moving_keeps_the_booking_and_raises_its_sequence(client, auth):
    request, physician = case()
    first, second = slot_at(physician, 2), slot_at(physician, 3)
    booking = bookings.book(request, first, physician)
    uid = booking.uid
    db.session.commit()
    auth.login(physician)
    response = post(client, auth, f"/requests/{request.id}/booking/move", slot_id=second.id)
    assert response.status_code == 303
    db.session.refresh(booking)
    db.session.refresh(request)
    assert (booking.uid, booking.slot_id, booking.sequence, booking.state) == (
        uid, second.id, 1, "active")
    assert request.state == "scheduled" and request.events[-1].act == "move_booking"


def test_moving_to_a_taken_slot_changes_nothing(client, auth):
    request, physician = case()
    first, second = slot_at(physician, 2), slot_at(physician, 3)
    booking = bookings.book(request, first, physician)
    rival, _ = case(physician)
    bookings.book(rival, second, physician)
    db.session.commit()
    auth.login(physician)
    response = post(client, auth, f"/requests/{request.id}/booking/move", slot_id=second.id)
    assert response.status_code == 409
    db.session.refresh(booking)
    assert (booking.slot_id, booking.sequence) == (first.id, 0)


def test_withdrawing_a_scheduled_request_frees_its_slot(app):
    request, physician = case()
    slot = slot_at(physician, 2)
    bookings.book(request, slot, physician)
    services.perform(request, "withdraw", request.referrer)
    assert db.session.scalar(select(Booking)).state == "cancelled"
    assert slot in [s for s in bookings.free_slots(case(physician)[0])]


def test_only_the_physicians_own_free_slots_in_the_requests_way_can_be_booked(app):
    request, physician = case()
    strangers = slot_at(factories.create_user("physician"), 2)
    by_phone = slot_at(physician, 2, mode="phone")
    past = factories.create_slot(physician, starts_at=utcnow() - timedelta(hours=2))
    with app.test_request_context():
        for slot in (strangers, by_phone, past):
            with pytest.raises(services.TransitionRefused):
                bookings.book(request, slot, physician)
    assert request.state == "submitted"


def test_a_paused_case_cannot_be_booked(app):
    from consult.timeutil import today

    request, physician = case()
    slot = slot_at(physician, 2)
    request.client.consents[0].withdrawn_on = today()
    services.refresh_pause(request, by=request.referrer)
    with app.test_request_context():
        with pytest.raises(services.TransitionRefused):
            bookings.book(request, slot, physician)
    assert request.state == "submitted" and bookings.active_booking(request) is None


def test_preferred_days_are_read_from_the_free_text():
    dates, weekdays = bookings.preferred_days("tiistaisin tai perjantaina 4.12.", year=2026)
    assert date(2026, 12, 4) in dates
    assert {1, 4} <= weekdays  # tiistai, perjantai
    dates, weekdays = bookings.preferred_days("Thursdays or 10.3.2027", year=2026)
    assert dates == {date(2027, 3, 10)} and weekdays == {3}


def test_slots_on_preferred_days_come_first(app):
    request, physician = case(preferred="torstaisin")
    slots = [slot_at(physician, d) for d in range(1, 8)]
    ordered = bookings.free_slots(request)
    from consult.timeutil import to_helsinki

    thursdays = [s for s in slots if to_helsinki(s.starts_at).weekday() == 3]
    assert ordered[:len(thursdays)] == thursdays


def test_the_request_page_with_proposed_times_stays_within_the_statement_budget(
        client, auth, count_queries):
    request, physician = case()
    proposed = [slot_at(physician, d) for d in (2, 3, 4)]
    bookings.propose(request, proposed, physician)
    for d in range(5, 20):
        slot_at(physician, d)
    db.session.commit()
    for user in (request.referrer, physician):
        auth.login(user)
        client.get(f"/requests/{request.id}")
        with count_queries() as counter:
            assert client.get(f"/requests/{request.id}").status_code == 200
        assert counter.count <= 12, "\n".join(counter.statements)
        auth.logout()
