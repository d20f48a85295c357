"""Form input that used to reach the database as a 500 (found by fuzzing, issue 11):
NUL characters in text (PostgreSQL refuses them) and version numbers that are digits to
Python but not integers the database can hold."""
from __future__ import annotations

from consult.forms import _strip
from consult.forms.agenda import MoveItemForm
from consult.forms.protocols import expected_revision


def test_text_loses_nul_characters_and_surrounding_spaces():
    assert _strip(" a\x00b \x00") == "ab"
    assert _strip(None) is None


def test_versions_that_are_no_small_ascii_integers_are_stale(app):
    with app.test_request_context():
        for value, expected in (("7", 7), ("²", -1), ("٣", -1), ("9" * 12, -1), ("", -1)):
            form = MoveItemForm(formdata=None, meta={"csrf": False})
            form.version.data = value
            assert form.expected_version() == expected, value

            class Notes:
                class revision:  # noqa: N801  (a stand-in for the form's field)
                    data = value
            assert expected_revision(Notes) == expected, value


def test_an_address_longer_than_any_e_mail_is_refused_at_login_and_not_counted(app, client):
    from sqlalchemy import func, select

    from consult.accounts.models import LoginAttempt
    from consult.extensions import db
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/login?lang=en").text)
    page = client.post("/login", data={"email": "x" * 10_000 + "@example.fi",
                                       "password": "whatever", "csrf_token": token})
    assert page.status_code in (200, 422)
    assert 'aria-invalid="true"' in page.text
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0


def test_the_base_forms_additions_do_not_pile_up_from_one_form_to_the_next(app):
    """Every request builds its forms anew from the class's unbound fields: the NUL
    filter and the year check are added to each form's fields, never to the class."""
    from consult.forms import SensibleYear
    from consult.forms.protocols import ActionItemForm

    with app.test_request_context():
        forms = [ActionItemForm(formdata=None, meta={"csrf": False}) for _ in range(3)]
    for form in forms:
        assert form.what.filters.count(_strip) == 1
        assert sum(isinstance(v, SensibleYear) for v in form.due_on.validators) == 1
