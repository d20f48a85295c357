"""What an autosave answers, for each form that saves itself while people type (the
pre-form, a consultation's notes): the status line's words and the ids of the form's
hidden revision and autosave-off inputs. One template, _autosave_status.html, renders
them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Autosave:
    revision_id: str
    flag_id: str
    conflict_template: str
    saved: str  # with %(when)s
    conflict: str
    off: str
    closed: str

    def answer(self, outcome: str, status: int = 200, **context):
        return render_template("_autosave_status.html", outcome=outcome, autosave=self,
                               **context), status


def preform() -> Autosave:
    return Autosave(
        revision_id="preform-revision", flag_id="autosave-flag",
        conflict_template="consultations/_conflict.html",
        saved=_l("Saved automatically %(when)s."),
        conflict=_l("Not saved: someone else saved this form in between. Their text is shown "
                    "above the form and yours is still in it. Combine them and press Save "
                    "draft; until then nothing is saved automatically."),
        off=_l("Automatic saving is paused until you press Save draft."),
        closed=_l("The pre-information form can no longer be changed."))


def notes() -> Autosave:
    return Autosave(
        revision_id="notes-revision", flag_id="notes-autosave-flag",
        conflict_template="protocols/_notes_conflict.html",
        saved=_l("Notes saved automatically %(when)s."),
        conflict=_l("Not saved: someone else saved the notes in between. Their text is shown "
                    "above the form and yours is still in it. Combine them and press Save "
                    "notes; until then nothing is saved automatically."),
        off=_l("Automatic saving is paused until you press Save notes."),
        closed=_l("These notes can no longer be changed."))
