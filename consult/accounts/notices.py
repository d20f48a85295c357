"""E-mails that tell people of a change to their own account's security: a new
password (by them, by a reset link or by an administrator), the second factor turned
on or off, new recovery codes. Sent to the account's address whoever made the change,
so that someone who did not make it finds out; they name the change and where to
turn, never a secret."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.accounts.models import User


def changes():
    return {
        "password_changed": _l("The password of your account was changed."),
        "password_reset": _l("A new password was set for your account with a reset link."),
        "password_set_by_admin": _l("An administrator set a new password for your account."),
        "second_factor_on": _l("The second factor was turned on for your account."),
        "second_factor_off": _l("The second factor was turned off for your account."),
        "recovery_codes_new": _l("New recovery codes were made for your account; the old "
                                 "ones no longer work."),
        "totp_reused": _l("Someone tried to log in to your account, or change its second "
                          "factor, with a code from your authenticator app that had already "
                          "been used. It was refused. The code may have been seen by someone "
                          "else."),
    }


def tell(user: User, change: str) -> None:
    """Queue the notice in the user's language (the outbox sends it)."""
    from consult.outbox import services as outbox

    outbox.enqueue_rendered("security_notice", kind="security", recipient=user.email,
                            language=user.language, user_id=user.id,
                            context={"change": changes()[change]})
