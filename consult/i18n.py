"""Language choice and Finnish date conventions (SPEC §6)."""
from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from flask import current_app, g, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_login import current_user

from consult.extensions import db
from consult.timeutil import to_helsinki

LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}

# `ti 3.3.2026 klo 9.00`, and the same shape in the other languages.
DATETIME_PATTERNS = {
    "fi": "EEE d.M.yyyy 'klo' H.mm",
    "sv": "EEE d.M.yyyy 'kl.' H.mm",
    "en": "EEE d.M.yyyy 'at' H.mm",
}
DATE_PATTERNS = {"fi": "EEE d.M.yyyy", "sv": "EEE d.M.yyyy", "en": "EEE d.M.yyyy"}


def select_locale() -> str:
    if not has_request_context():
        return "en"  # the command line speaks English
    languages = current_app.config["LANGUAGES"]
    choice = g.get("lang_choice")
    if choice:
        return choice
    if current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def apply_language_choice() -> None:
    """`?lang=xx` switches the language; the choice sticks on the user or a cookie."""
    choice = request.args.get("lang", "").strip().lower()
    if choice not in current_app.config["LANGUAGES"]:
        return
    g.lang_choice = choice
    if current_user.is_authenticated and current_user.language != choice:
        current_user.language = choice
        db.session.commit()


def remember_language_choice(response):
    choice = g.get("lang_choice")
    if choice:
        response.set_cookie(
            LANG_COOKIE, choice, max_age=365 * 24 * 3600, samesite="Lax",
            secure=current_app.config["SECURE_COOKIES"], httponly=True,
        )
    return response


def url_in_language(code: str) -> str:
    """This page in another language: the query string kept, only `lang` replaced."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.path + "?" + urlencode(args, doseq=True)


def current_language() -> str:
    return str(get_locale() or "fi")


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_helsinki(value)
    pattern = DATETIME_PATTERNS.get(current_language(), DATETIME_PATTERNS["fi"])
    return format_datetime(local.replace(tzinfo=None), pattern, rebase=False)


def fmt_date(value: date | None) -> str:
    if value is None:
        return ""
    return format_date(value, DATE_PATTERNS.get(current_language(), DATE_PATTERNS["fi"]))


def fmt_time(value: datetime | None) -> str:
    """The Helsinki time of day in Finnish style (9.30), the same in every language."""
    if value is None:
        return ""
    local = to_helsinki(value)
    return f"{local.hour}.{local.minute:02d}"


def template_translations():
    """The translations of the locale in force, for the templates' `_()`: Flask-Babel
    finds them anew on every call (half a dozen context lookups and the locale's name),
    and a page's layout alone makes fifteen such calls. Here they are found once per
    locale; the locale is still asked for on every call, so that `force_locale` (an
    e-mail in its recipient's language) is obeyed. A request keeps one locale object:
    the last one seen is recognised by identity, the others by value."""
    found: dict = {}
    recent = (object(), None)  # (a locale, its translations), replaced as one

    def translations():
        nonlocal recent
        locale = get_locale()
        seen, current = recent
        if seen is not locale:
            current = found.get(locale)
            if current is None:
                current = found[locale] = get_translations()
            recent = (locale, current)
        return current

    return translations


def init_app(app) -> None:
    translations = template_translations()
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.before_request(apply_language_choice)
    app.after_request(remember_language_choice)
    app.jinja_env.filters["datetime"] = fmt_datetime
    app.jinja_env.filters["date"] = fmt_date
    app.jinja_env.filters["time"] = fmt_time
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["url_in_language"] = url_in_language
