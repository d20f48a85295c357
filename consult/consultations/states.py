"""The consultation request's state machine (SPEC §3), as data.

Each act names the states it leaves from, the state it reaches, and for which targets
and modes it exists. Who may perform it is checked in services.py; everything not
listed here is refused with a message and changes nothing."""
from __future__ import annotations

from dataclasses import dataclass

STATES = ("draft", "submitted", "returned", "accepted", "scheduled", "discussed", "closed",
          "resolved_at_consultation", "declined", "withdrawn")
OPEN_STATES = ("draft", "submitted", "returned", "accepted", "scheduled", "discussed")
# A case in these states is paused when its consent stops covering it (SPEC §3).
PAUSABLE_STATES = ("submitted", "returned", "accepted", "scheduled", "discussed")
# Acts that disclose the case to someone new: refused while the case is paused.
DISCLOSING_ACTS = ("schedule_on_agenda", "book_slot", "pick_slot", "move_booking")

TEAM_MODES = ("team_meeting",)
APPOINTMENT_MODES = ("phone", "video", "in_person")
STATEMENT_MODES = ("written_statement",)
PHYSICIAN_MODES = APPOINTMENT_MODES + STATEMENT_MODES
MODES = TEAM_MODES + PHYSICIAN_MODES

ANY_MODE = MODES


@dataclass(frozen=True)
class Act:
    name: str
    sources: tuple[str, ...]
    target: str
    modes: tuple[str, ...] = ANY_MODE
    # who: the request's referrer, the target team's coordinator, or the target physician
    by: tuple[str, ...] = ("referrer",)
    needs_message: bool = False

    def allowed_from(self, state: str, mode: str) -> bool:
        return state in self.sources and mode in self.modes


ACTS = {act.name: act for act in (
    Act("submit", ("draft",), "submitted"),
    Act("return_for_completion", ("submitted",), "returned",
        by=("coordinator", "physician"), needs_message=True),
    Act("resubmit", ("returned",), "submitted"),
    Act("accept", ("submitted",), "accepted", TEAM_MODES + STATEMENT_MODES,
        by=("coordinator", "physician")),
    # Putting a team case on an agenda (meetings) or booking a physician's slot
    # (availability) schedules it; taking it off or cancelling the slot goes back.
    Act("schedule_on_agenda", ("accepted",), "scheduled", TEAM_MODES, by=("coordinator",)),
    Act("book_slot", ("submitted",), "scheduled", APPOINTMENT_MODES, by=("physician",)),
    # The physician may propose slots instead; the request stays submitted until the
    # referrer picks one. A booking moved to another slot stays scheduled.
    Act("propose_slots", ("submitted",), "submitted", APPOINTMENT_MODES, by=("physician",)),
    Act("pick_slot", ("submitted",), "scheduled", APPOINTMENT_MODES),
    Act("move_booking", ("scheduled",), "scheduled", APPOINTMENT_MODES, by=("physician",)),
    Act("take_off_agenda", ("scheduled",), "accepted", TEAM_MODES, by=("coordinator",)),
    Act("cancel_booking", ("scheduled",), "submitted", APPOINTMENT_MODES, by=("physician",),
        needs_message=True),
    Act("finalise_protocol", ("scheduled",), "discussed", TEAM_MODES, by=("coordinator",)),
    Act("sign_note", ("scheduled",), "discussed", APPOINTMENT_MODES, by=("physician",)),
    Act("sign_statement", ("accepted",), "discussed", STATEMENT_MODES, by=("physician",)),
    Act("record_follow_up", ("discussed",), "closed"),
    Act("resolve_at_consultation", ("submitted", "accepted"), "resolved_at_consultation",
        TEAM_MODES, by=("coordinator",), needs_message=True),
    Act("decline", ("submitted", "accepted"), "declined", by=("coordinator", "physician"),
        needs_message=True),
    Act("withdraw", ("draft", "submitted", "returned", "accepted", "scheduled"), "withdrawn"),
)}


def target_kind(mode: str) -> str:
    return "team" if mode in TEAM_MODES else "physician"


def mode_fits_target(mode: str, *, team: bool) -> bool:
    """Target and mode go together: team ⇒ team meeting; physician ⇒ the rest."""
    return (mode in TEAM_MODES) if team else (mode in PHYSICIAN_MODES)
