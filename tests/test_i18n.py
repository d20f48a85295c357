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
