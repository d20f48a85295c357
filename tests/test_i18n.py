"""Translations: the committed template is what the code says, and fi, sv and en
translate every message."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "consult" / "translations"


def key(value):
    """Plural messages have a list of ids or strings; make them comparable."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def translated_text(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings)


def message_ids(path: Path) -> set:
    with open(path, "rb") as handle:
        return {key(m.id) for m in read_po(handle) if m.id}


def test_committed_pot_equals_a_fresh_extraction(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "--sort-output",
         "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    assert message_ids(fresh) == message_ids(TRANSLATIONS / "messages.pot"), (
        "run `make translations` and translate the new messages")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_message_is_translated(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    expected = message_ids(TRANSLATIONS / "messages.pot")
    translated = {key(m.id) for m in catalog if m.id and translated_text(m) and not m.fuzzy}
    missing = sorted(map(str, expected - translated))
    assert not missing, f"{language}: untranslated {missing[:10]}"


def test_dates_follow_finnish_conventions(app):
    from datetime import datetime

    from consult.i18n import fmt_datetime

    with app.test_request_context("/?lang=fi"):
        from flask import g

        g.lang_choice = "fi"
        # 07:00 UTC on 3 March 2026 is 9.00 in Helsinki (EET, UTC+2).
        assert fmt_datetime(datetime(2026, 3, 3, 7, 0)) == "ti 3.3.2026 klo 9.00"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_committed_compiled_catalog_matches_its_po_file(language):
    from io import BytesIO

    from babel.messages.mofile import read_mo

    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        source = {key(m.id): key(m.string) for m in read_po(handle) if m.id and not m.fuzzy}
    with open(folder / "messages.mo", "rb") as handle:
        compiled = {key(m.id): key(m.string) for m in read_mo(BytesIO(handle.read())) if m.id}
    assert compiled == source, "run `make translations` and commit the .mo files"


def test_language_links_keep_the_rest_of_the_query(client):
    page = client.get("/login?next=%2Fadmin%2F&lang=en").text
    assert 'href="/login?next=%2Fadmin%2F&amp;lang=fi"' in page


def test_templates_speak_the_language_in_force_even_when_it_is_forced(app):
    """The templates' `_()` finds its translations once per locale (consult.i18n): a
    request in one language, and an e-mail inside it forced into another, each get
    their own, in either order, and the request's language comes back afterwards."""
    import contextvars

    from flask import g, render_template_string
    from flask_babel import force_locale

    def said() -> str:
        return render_template_string('{{ _("Log out") }}')

    def request_in(first: str, forced: str) -> tuple[str, str, str]:
        with app.app_context(), app.test_request_context(f"/?lang={first}"):
            g.lang_choice = first
            before = said()
            with force_locale(forced):
                during = said()
            return before, during, said()

    expected = {"fi": "Kirjaudu ulos", "sv": "Logga ut", "en": "Log out"}
    for first, forced in (("fi", "sv"), ("en", "fi"), ("sv", "en"), ("fi", "en")):
        # each request in a context of its own, as under a server
        assert contextvars.Context().run(request_in, first, forced) == (
            expected[first], expected[forced], expected[first])


def test_a_template_address_is_url_for_under_any_mount_point(app):
    """The addresses the templates build once (consult.navigation.address_cache) are
    what `url_for` builds, also for an app mounted under a path, and calls with other
    arguments are left to `url_for`."""
    from flask import render_template_string, url_for

    template = ("{{ url_for('home.my_work') }} {{ url_for('static', filename='js/consult.js') }} "
                "{{ url_for('meetings.run', meeting_id=7) }}")
    for root in ("", "/tiimi", ""):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            expected = " ".join([url_for("home.my_work"),
                                 url_for("static", filename="js/consult.js"),
                                 url_for("meetings.run", meeting_id=7)])
            assert render_template_string(template) == expected
            assert expected.startswith(root + "/")
