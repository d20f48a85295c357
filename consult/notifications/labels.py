"""How a notification's kind reads to people, in their language: what happened to the
request, in the words its page uses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


def notification_labels() -> dict:
    """Every act of a consultation request (consultations/states.py) and the notices
    that are not acts."""
    return {
        "submit": _l("Submitted"),
        "return_for_completion": _l("Returned for completion"),
        "resubmit": _l("Resubmitted after completion"),
        "accept": _l("Accepted"),
        "schedule_on_agenda": _l("Put on a meeting's agenda"),
        "book_slot": _l("Consultation time booked"),
        "propose_slots": _l("Consultation times proposed: pick one"),
        "pick_slot": _l("Proposed time picked"),
        "move_booking": _l("Booked time moved"),
        "take_off_agenda": _l("Taken off the agenda"),
        "cancel_booking": _l("Booked time cancelled"),
        "finalise_protocol": _l("Protocol finalised"),
        "sign_note": _l("Consultation note signed"),
        "sign_statement": _l("Written statement signed"),
        "record_follow_up": _l("Follow-up recorded"),
        "resolve_at_consultation": _l("Resolved at consultation"),
        "decline": _l("Declined"),
        "withdraw": _l("Withdrawn"),
        "agenda_sent": _l("On a meeting's agenda: the agenda was sent"),
        "message": _l("New message"),
        "paused": _l("Paused: consent no longer covers the case"),
        "resumed": _l("Resumed: consent covers the case again"),
        "handover": _l("Case handed over"),
        "action_item_assigned": _l("An action item is yours"),
    }
