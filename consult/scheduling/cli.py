"""`flask --app app generate-slots`: keep every physician's slots generated ahead
(run daily, e.g. from cron, so that the horizon moves with the calendar)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.extensions import db
from consult.scheduling.availability import SLOT_WEEKS_AHEAD


@click.command("generate-slots")
@click.option("--weeks", default=SLOT_WEEKS_AHEAD, show_default=True,
              type=click.IntRange(1, 104), help="How many weeks ahead, from today.")
@with_appcontext
def generate_slots_command(weeks: int) -> None:
    """Generate the slots of every physician who has weekly rules."""
    from consult.accounts.models import User
    from consult.scheduling.availability import generate_slots
    from consult.scheduling.models import AvailabilityRule

    physician_ids = db.session.scalars(
        select(AvailabilityRule.physician_id).distinct().order_by(AvailabilityRule.physician_id)
    ).all()
    created = 0
    for physician_id in physician_ids:
        # One commit per physician; a physician changing their rules at the same moment
        # can make an insert collide, and a second pass then sees their slots.
        for attempt in (1, 2):
            try:
                created += generate_slots(db.session.get(User, physician_id), weeks=weeks)
                db.session.commit()
                break
            except IntegrityError:
                db.session.rollback()
                if attempt == 2:
                    raise click.ClickException(
                        f"Slots of physician {physician_id} could not be generated; try again.")
    click.echo(f"Slots created: {created} (physicians: {len(physician_ids)}).")


def register(app: Flask) -> None:
    app.cli.add_command(generate_slots_command)
