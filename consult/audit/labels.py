"""How audit codes read to people, in their language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


def action_labels():
    return {
        "view": _l("Viewed"), "list": _l("Listed"), "create": _l("Created"),
        "update": _l("Changed"), "transition": _l("State changed"),
        "disclose": _l("Disclosed"), "export": _l("Exported"),
        "delete": _l("Deleted"),
    }


def object_labels():
    return {"client": _l("Client details"), "consent": _l("Consent"),
            "access_report": _l("Access report"),
            "consultation_request": _l("Consultation request"),
            "request_message": _l("Message on a request"),
            "request_guest": _l("Guest proposed for a case"),
            "booking": _l("Booked consultation time"),
            "pre_form_version": _l("Submitted version of a pre-information form"),
            "agenda_item": _l("Case on a meeting's agenda"),
            "agenda_guest": _l("Guest invited for a case on an agenda"),
            "protocol": _l("Protocol, consultation note or statement"),
            "action_item": _l("Action item"),
            "recommendation": _l("Recommendation"),
            "follow_up": _l("Follow-up"),
            "outbox_message": _l("Outgoing e-mail"),
            "user": _l("User account"),
            "organisation": _l("Organisation"),
            "team": _l("Team"),
            "calendar_feed": _l("Personal calendar feed"),
            "addendum": _l("Addendum to a protocol"),
            "meeting": _l("Team meeting"), "meeting_series": _l("Series of team meetings")}


def purpose_labels():
    return {
        "client_register": _l("Client register"),
        "consent": _l("Recording consent"),
        "consent_withdrawn": _l("Withdrawing consent"),
        "access_report": _l("Client's access report"),
        "access_refused": _l("Access refused"),
        "retention_purge": _l("Deleting what passed its retention period"),
        "second_factor_reset": _l("An administrator removed the second factor"),
        "login": _l("Logging in"),
        "logout": _l("Logging out"),
        "password_change": _l("Changing one's own password"),
        "password_set_by_admin": _l("An administrator set a new password"),
        "administration": _l("Administration of accounts, organisations and teams"),
        "consultation_request": _l("Preparing a consultation request"),
        # The acts of a consultation request (consultations/states.py).
        "submit": _l("Submitting the request"),
        "return_for_completion": _l("Returning the request for completion"),
        "resubmit": _l("Resubmitting the request"),
        "accept": _l("Accepting the request"),
        "schedule_on_agenda": _l("Putting the case on a meeting's agenda"),
        "book_slot": _l("Booking a consultation time"),
        "propose_slots": _l("Proposing consultation times"),
        "pick_slot": _l("Picking a proposed consultation time"),
        "move_booking": _l("Moving the booked time"),
        "take_off_agenda": _l("Taking the case off the agenda"),
        "cancel_booking": _l("Cancelling the booked time"),
        "finalise_protocol": _l("Finalising the protocol"),
        "sign_note": _l("Signing the consultation note"),
        "sign_statement": _l("Signing the written statement"),
        "record_follow_up": _l("Recording the follow-up"),
        "resolve_at_consultation": _l("Resolving at the consultation stage"),
        "decline": _l("Declining the request"),
        "withdraw": _l("Withdrawing the request"),
        # Besides the state machine.
        "message": _l("Message between the referrer and the team or physician"),
        "guest": _l("Proposing a guest for the case"),
        "handover": _l("Handing the case to another referrer"),
        "pause": _l("Pausing the case: consent no longer covers it"),
        "resume": _l("Resuming the case: consent covers it again"),
        # Team meetings (meetings/services.py, meetings/agenda.py).
        "agenda": _l("A meeting's agenda"),
        "meeting_held": _l("Holding a team meeting"),
        "meeting_run": _l("A case in a running meeting"),
        "carry_over": _l("Carrying a case over to the next meeting"),
        "protocol": _l("Recording the consultation"),
        "action_item": _l("Completing an action item"),
        "action_items": _l("List of action items"),
        "protocol_print": _l("Printing the consultation's record"),
        "client_summary_print": _l("Printing the summary for the client"),
        "agenda_sent": _l("Sending a meeting's agenda to its participants"),
        "create_meeting": _l("Planning a team meeting"),
        "edit_meeting": _l("Changing a team meeting"),
        "cancel_meeting": _l("Cancelling a team meeting"),
        # E-mail and calendars (outbox/, invites/, accounts/reset.py).
        "outbox_retry": _l("Sending a failed e-mail again"),
        "email_notification": _l("An e-mail notice about the case, naming it by its number only"),
        "email_invite": _l("A calendar invite about the case, naming it by its number only"),
        "calendar_feed": _l("A personal calendar feed"),
        "calendar_download": _l("Downloading a calendar event"),
        "password_reset": _l("Setting a new password with an e-mailed link"),
        # The second factor (accounts/second_factor.py).
        "second_factor_on": _l("Turning on the second factor"),
        "second_factor_off": _l("Turning off the second factor"),
        "second_factor_login": _l("Logging in with a code from the authenticator app"),
        "recovery_code": _l("Logging in with a recovery code"),
        "recovery_codes_new": _l("Making new recovery codes"),
        # Lists of one's own work (home/views.py).
        "my_work": _l("My work: one's own cases, action items and consultations"),
    }


def outcome_labels():
    return {"allowed": _l("Allowed"), "denied": _l("Denied")}
