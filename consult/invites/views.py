"""Calendar downloads and each user's personal feed (SPEC §5, §8): one meeting's
`.ics` (`/meetings/<id>.ics`), a request's booked time (`/requests/<id>/booking.ics`),
the feed address on the profile page, and the feed itself (`/calendar/<token>.ics`),
which works without a login: its token is the key.

The feed's token is in its URL. It is never logged by the app, and is shown once, in
the answer to the POST that creates it, never put in the session or a flash message."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from consult.access import deny, login_only, roles_required
from consult.audit import services as audit
from consult.consultations.models import ConsultationRequest
from consult.consultations.policy import READ_ROLES, load_request
from consult.extensions import db
from consult.forms.accounts import LanguageForm, PasswordChangeForm
from consult.forms.admin import ConfirmForm
from consult.i18n import current_language
from consult.invites import feeds, ics
from consult.meetings.models import AgendaItem, Meeting
from consult.meetings.policy import MEETING_ROLES, belongs_to_team, load_meeting, referrer_items
from consult.outbox.services import absolute_url
from consult.scheduling import booking as bookings

bp = Blueprint("invites", __name__)

CALENDAR_TYPE = "text/calendar; charset=utf-8"


@bp.app_template_global()
def calendar_feed_of(user):
    """The profile's feed section asks for the user's working feed address."""
    return feeds.current_feed(user)


def _calendar(text: str, filename: str | None = None) -> Response:
    response = Response(text, content_type=CALENDAR_TYPE)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# Downloads -----------------------------------------------------------------------------

def _load_meeting(meeting_id: int) -> Meeting:
    """The meeting with its team, agenda, referrers and guests, if the user may see it."""
    loaded = db.session.scalars(select(Meeting).where(Meeting.id == meeting_id).options(
        joinedload(Meeting.team),
        selectinload(Meeting.items).joinedload(AgendaItem.request)
        .joinedload(ConsultationRequest.referrer),
        selectinload(Meeting.items).selectinload(AgendaItem.guests))).unique().first()
    # Passing `loaded` keeps it alive (the identity map is weak) for load_meeting to find.
    return load_meeting(loaded.id if loaded else meeting_id)


@bp.route("/meetings/<int:meeting_id>.ics", endpoint="meeting_ics")
@roles_required(*MEETING_ROLES)
def meeting_ics(meeting_id: int):
    """The team gets the whole meeting (a draft too: it is their own calendar); a
    referrer gets only their organisation's cases on it, once the agenda has gone out."""
    meeting = _load_meeting(meeting_id)
    language = current_language()
    if belongs_to_team(current_user, meeting.team):
        events = [ics.meeting_event(meeting, language=language)]
    else:
        items = referrer_items(current_user, meeting) if meeting.state != "draft" else []
        if not items:
            deny(404, object_type="meeting", object_id=meeting_id)
        events = [ics.item_event(item, language=language) for item in items]
    audit.record("export", object_type="meeting", object_id=meeting.id,
                 purpose="calendar_download")
    db.session.commit()
    return _calendar(ics.calendar(events), f"meeting-{meeting.id}.ics")


@bp.route("/requests/<int:request_id>/booking.ics", endpoint="booking_ics")
@roles_required(*READ_ROLES)
def booking_ics(request_id: int):
    """The booked physician time, for the physician and the case's organisation."""
    req = load_request(request_id)
    booking = bookings.active_booking(req) if bookings.is_appointment(req) else None
    if booking is None:
        deny(404, object_type="booking", client_id=req.client_id)
    audit.record("export", object_type="booking", object_id=booking.id,
                 client_id=req.client_id, purpose="calendar_download")
    db.session.commit()
    text = ics.calendar([ics.booking_event(booking, language=current_language())])
    return _calendar(text, f"booking-{req.id}.ics")


# The feed address on the profile -------------------------------------------------------

def _profile(**context):
    return render_template(
        "accounts/profile.html", language_form=LanguageForm(language=current_user.language),
        password_form=PasswordChangeForm(user=current_user), **context)


@bp.route("/profile/calendar-feed", methods=["POST"], endpoint="create_feed")
@login_only
def create_feed():
    """A new address, replacing any earlier one. The answer shows it once."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.profile", _anchor="calendar-feed"), 303)
    _feed, token = feeds.create_feed(current_user._get_current_object())
    db.session.commit()
    url = absolute_url(url_for("invites.feed", token=token))
    return _profile(new_feed_url=url)


@bp.route("/profile/calendar-feed/revoke", methods=["POST"], endpoint="revoke_feed")
@login_only
def revoke_feed():
    if ConfirmForm().validate_on_submit() and feeds.revoke_feed(
            current_user._get_current_object()):
        db.session.commit()
        flash(_("The feed address was revoked: calendars subscribed to it no longer get "
                "updates."), "success")
    return redirect(url_for("accounts.profile", _anchor="calendar-feed"), 303)


# The feed ------------------------------------------------------------------------------

@bp.route("/calendar/<token>.ics", endpoint="feed")
def feed(token: str):
    """No login: the token is the key. Whatever is wrong with it, the answer is the
    same plain 404."""
    found = feeds.find_feed(token)
    if found is None:
        db.session.rollback()
        return Response(_("Page not found"), status=404, mimetype="text/plain")
    text = feeds.feed_calendar(*found)
    db.session.commit()
    return _calendar(text)
