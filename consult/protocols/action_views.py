"""Action items (`/actions`, SPEC §4 flows 6–7): mine, and — for a referrer — those on
my organisation's cases, overdue first; completing one with a note. An item assigned
to an organisation is completed by the case's referrer."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager, joinedload

from consult.access import deny, roles_required
from consult.accounts.models import User
from consult.audit import services as audit
from consult.extensions import db
from consult.forms.protocols import CompleteActionForm
from consult.protocols import services as records
from consult.protocols.case_views import completable
from consult.protocols.models import ActionItem, Protocol
from consult.timeutil import today

bp = Blueprint("actions", __name__, url_prefix="/actions")

ACTION_ROLES = ("referrer", "coordinator", "member", "physician")
PER_PAGE = 50


def _in_scope(user, *where):
    """Items of final records that are the user's, or on their organisation's cases
    when they are a referrer (and `where`)."""
    return (Protocol.finalised_at.is_not(None),
            ActionItem.id.in_(records.action_items_seen_by(user, *where)))


def _items(user, done: bool):
    # The list names people, not their organisations: fewer joins, so that
    # PostgreSQL still orders them itself (past join_collapse_limit it keeps the
    # written order, and read every final record before the user's few items).
    query = (select(ActionItem).join(ActionItem.protocol).join(Protocol.request)
             .where(*_in_scope(user, ActionItem.state == ("done" if done else "open")))
             .options(contains_eager(ActionItem.protocol).contains_eager(Protocol.request),
                      joinedload(ActionItem.responsible_user).lazyload(User.organisation),
                      joinedload(ActionItem.responsible_organisation),
                      joinedload(ActionItem.completed_by).lazyload(User.organisation)))
    if done:
        return query.order_by(ActionItem.completed_at.desc(), ActionItem.id.desc())
    overdue = case((ActionItem.due_on < today(), 0), else_=1)
    undated = case((ActionItem.due_on.is_(None), 1), else_=0)
    return query.order_by(overdue, undated, ActionItem.due_on, ActionItem.id)


@bp.route("", endpoint="list")
@roles_required(*ACTION_ROLES)
def action_list():
    done = request.args.get("show") == "done"
    page = db.paginate(_items(current_user, done), per_page=PER_PAGE, error_out=False)
    audit.record_listed("consultation_request",
                        list({i.protocol.request_id: i.protocol.request for i in page.items}
                             .values()),
                        client_id_of=lambda r: r.client_id, purpose="action_items")
    db.session.commit()
    return render_template("protocols/actions.html", page=page, done=done,
                           completable=completable(page.items, current_user),
                           complete_form=CompleteActionForm(formdata=None))


@bp.route("/<int:item_id>/complete", methods=["POST"])
@roles_required(*ACTION_ROLES)
def complete(item_id: int):
    item = db.session.scalar(select(ActionItem).join(ActionItem.protocol)
                             .join(Protocol.request)
                             .where(ActionItem.id == item_id, *_in_scope(current_user)))
    if item is None:
        deny(404, object_type="action_item", object_id=item_id)
    form = CompleteActionForm()
    if form.validate_on_submit():
        try:
            records.complete_action_item(item, by=current_user, note=form.note.data or "")
        except records.ProtocolRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
        else:
            db.session.commit()
            flash(_("Action item marked as done."), "success")
    else:
        flash(" ".join(str(e) for e in form.note.errors) or _("Check the note."), "error")
    if request.form.get("back") == "case":
        return redirect(url_for("protocols.case_record", request_id=item.protocol.request_id,
                                _anchor="action-items"), 303)
    return redirect(url_for("actions.list"), 303)
