"""A case's final record on paper (SPEC §4 flow 6): the protocol, consultation note or
written statement as the team or the physician wrote it, in the reader's language,
and a plain-language summary for the client in the client's language, without the
professionals' notes. Both are PDFs (WeasyPrint): A4, with the organisation, the
print date and "page N of M" on every page.

Printing client data is an export: each PDF leaves an audit event. The file name
carries the request's number only, never the client's name or identity code."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, make_response, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from consult.access import deny, roles_required
from consult.audit import services as audit
from consult.extensions import db
from consult.forms.protocols import note_headings, path_labels
from consult.i18n import current_language
from consult.protocols import policy
from consult.protocols import services as records
from consult.protocols.views import bp, kind_labels
from consult.timeutil import utcnow

READER_ROLES = ("referrer", "coordinator", "member", "physician")
CLIENT_LANGUAGES = ("fi", "sv", "en")


def plain_path_labels():
    """The client's path in words a client uses (path_labels() are the team's)."""
    return {
        "work": _l("Work: we will look for a suitable job or a way back to your work."),
        "studies": _l("Studies: we will look for studies or training that suit you."),
        "rehabilitation": _l("Rehabilitation: we will look for rehabilitation that helps "
                             "you work or study."),
        "assessment": _l("A closer look at your ability to work: we will find out more "
                         "about what you can do and what support you need."),
        "social_rehabilitation": _l("Support for everyday life: we will look for support "
                                    "that helps you in daily life and in meeting other "
                                    "people."),
        "other": _l("Another way forward, as agreed with you."),
    }


# --- loading ------------------------------------------------------------------------

def _final_case(request_id: int):
    """The request the user may read and its final record (a 404 before there is one)."""
    req = policy.load_case(request_id)
    protocol = records.final_record(req)
    if protocol is None:
        # Nothing final to print yet: as if the page did not exist.
        deny(404, object_type="consultation_request", object_id=req.id,
             client_id=req.client_id)
    return req, protocol


def _load_people(req, protocol) -> dict:
    """The team (with its host organisation), and the users and organisations the
    record names, in one statement each whatever the number of items (SPEC §10): the
    many-to-one attributes then find them in the session. The session holds objects
    weakly, so the caller keeps what this returns until the document is rendered."""
    from sqlalchemy.orm import joinedload, lazyload

    from consult.accounts.models import User
    from consult.organisations.models import Organisation, Team

    team = None
    if req.target_team_id is not None:
        team = db.session.scalars(select(Team).options(
            joinedload(Team.host_organisation), lazyload(Team.memberships)).where(
            Team.id == req.target_team_id)).one()
    user_ids = {req.referrer_id, req.target_physician_id, protocol.finalised_by_id,
                *(a.responsible_user_id for a in protocol.action_items),
                *(a.author_id for a in protocol.addenda)} - {None}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    organisation_ids = {a.responsible_organisation_id for a in protocol.action_items} - {None}
    organisations = list(db.session.scalars(select(Organisation).where(
        Organisation.id.in_(organisation_ids)))) if organisation_ids else []
    return {"team": team, "users": users, "organisations": organisations}


def _meeting_start(protocol):
    """When the team discussed the case: its agenda item's meeting."""
    if protocol.agenda_item_id is None:
        return None
    from consult.meetings.models import AgendaItem, Meeting

    return db.session.scalar(select(Meeting.starts_at).join(
        AgendaItem, AgendaItem.meeting_id == Meeting.id).where(
        AgendaItem.id == protocol.agenda_item_id))


def _client(req):
    from sqlalchemy.orm import lazyload

    from consult.clients.models import Client

    # The consents are not printed: leave them unloaded.
    return db.session.scalars(select(Client).options(lazyload(Client.consents)).where(
        Client.id == req.client_id)).one()


# Filled in by the page counters of static/css/print.css, wherever a translation puts them.
PAGE_MARKS = {"page": Markup('<span class="page-number"></span>'),
              "pages": Markup('<span class="page-total"></span>')}


def _context(req, protocol) -> dict:
    loaded = _load_people(req, protocol)
    team, physician = loaded["team"], loaded["users"].get(req.target_physician_id)
    return {
        "req": req, "protocol": protocol, "client": _client(req),
        "team": team, "physician": physician,
        "organisation": team.host_organisation if team is not None else physician.organisation,
        "discussed_at": _meeting_start(protocol), "printed_at": utcnow(),
        "finaliser": loaded["users"].get(protocol.finalised_by_id),
        "page_marks": PAGE_MARKS, "loaded": loaded,
    }


# --- rendering ----------------------------------------------------------------------

def _render_pdf(html: str) -> bytes:
    """HTML to PDF with the print stylesheet. Nothing is fetched from anywhere (no
    remote images, no file paths), so a record's text cannot make the server reach out."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError("nothing is fetched for a printed record")

    fetcher = NoFetching()
    css = (Path(current_app.static_folder) / "css" / "print.css").read_text(encoding="utf-8")
    return HTML(string=html, url_fetcher=fetcher, base_url="about:blank").write_pdf(
        stylesheets=[CSS(string=css, url_fetcher=fetcher)], pdf_tags=True)


def _pdf_response(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _language_of(client) -> str:
    return client.preferred_language if client.preferred_language in CLIENT_LANGUAGES else "fi"


# --- routes -------------------------------------------------------------------------

@bp.route("/requests/<int:request_id>/protocol.pdf")
@roles_required(*READER_ROLES)
def record_pdf(request_id: int):
    """The whole final record, for the professionals, in the reader's language."""
    req, protocol = _final_case(request_id)
    html = render_template(
        "protocols/print/record.html", **_context(req, protocol), kind_labels=kind_labels(),
        note_headings=note_headings(protocol.kind), path_labels=path_labels(),
        lang=current_language())
    data = _render_pdf(html)
    audit.record("export", object_type="protocol", object_id=protocol.id,
                 client_id=req.client_id, purpose="protocol_print")
    db.session.commit()
    return _pdf_response(data, f"protocol-request-{req.id}.pdf")


@bp.route("/requests/<int:request_id>/summary.pdf")
@roles_required(*READER_ROLES)
def client_summary_pdf(request_id: int):
    """What was agreed, for the client, in the client's language (Finnish when the
    client speaks another): recommendations, who does what by when, the next step and
    whom to ask. No professional notes and no identity code."""
    req, protocol = _final_case(request_id)
    context = _context(req, protocol)
    lang = _language_of(context["client"])
    with force_locale(lang):
        html = render_template("protocols/print/client_summary.html", **context, lang=lang,
                               plain_path_labels=plain_path_labels())
    data = _render_pdf(html)
    audit.record("export", object_type="protocol", object_id=protocol.id,
                 client_id=req.client_id, purpose="client_summary_print")
    db.session.commit()
    return _pdf_response(data, f"summary-request-{req.id}.pdf")
