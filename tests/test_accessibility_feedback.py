"""The accessibility statement's feedback channel (SPEC §6, Act 306/2019): a public form
on /accessibility whose message goes through the outbox to the configured feedback
address, and to nobody else."""
from __future__ import annotations

import html

from sqlalchemy import select

from consult.extensions import db
from consult.outbox.models import OutboxMessage
from consult.pages import views as pages
from tests import factories
from tests.conftest import csrf_from

FEEDBACK = "The agenda's Move up button is not announced by my screen reader."


def send(client, **fields):
    page = client.get("/accessibility?lang=en")
    assert page.status_code == 200
    return client.post("/accessibility", data={"csrf_token": csrf_from(page.text), **fields})


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_statement_and_its_form_need_no_login(client):
    page = client.get("/accessibility?lang=en")
    assert page.status_code == 200
    assert 'action="/accessibility#feedback"' in page.text
    for label in ("Your name", "Your e-mail address", "Your feedback", "Send the feedback"):
        assert label in page.text
    for must in ("WCAG 2.1", "Regional State Administrative Agency for Southern Finland",
                 "Etelä-Suomen aluehallintovirasto", "www.saavutettavuusvaatimukset.fi"):
        assert must in page.text


def test_valid_feedback_queues_one_email_to_the_feedback_address(app, client):
    app.config["ACCESSIBILITY_FEEDBACK_TO"] = "saavutettavuus@example.fi"
    response = send(client, name="Maija Meikäläinen", email="maija@example.fi",
                    message=FEEDBACK)
    assert response.status_code == 303
    assert response.location == "/accessibility"
    [message] = outbox()
    assert (message.kind, message.recipient, message.state) == (
        "feedback", "saavutettavuus@example.fi", "pending")
    assert message.user_id is None and message.request_id is None
    assert FEEDBACK in message.body
    assert "Maija Meikäläinen" in message.body and "maija@example.fi" in message.body
    thanks = client.get("/accessibility?lang=en")
    assert "Thank you for your feedback." in thanks.text


def test_name_and_address_are_optional(client):
    assert send(client, message=FEEDBACK).status_code == 303
    [message] = outbox()
    assert FEEDBACK in message.body


def test_the_message_goes_to_the_feedback_address_only_whoever_is_logged_in(app, client, auth):
    user = factories.create_user("referrer", email="riikka@example.fi")
    db.session.commit()
    auth.login(user)
    assert send(client, email="someone@example.fi", message=FEEDBACK).status_code == 303
    assert [m.recipient for m in outbox()] == [app.config["ACCESSIBILITY_FEEDBACK_TO"]]


def test_an_empty_message_is_refused_at_its_field_and_the_text_is_kept(client):
    response = send(client, name="Maija Meikäläinen", email="maija@example.fi", message="  ")
    assert response.status_code == 422
    text = response.text
    assert 'id="message" ' in text or 'id="message"' in text
    assert 'aria-invalid="true"' in text
    assert 'aria-describedby="message-help message-error"' in text
    assert '<span class="hds-text-input__error-text" id="message-error">Write your feedback.' \
        in text
    assert 'value="Maija Meikäläinen"' in text and 'value="maija@example.fi"' in text
    assert outbox() == []


def test_a_wrong_address_and_a_too_long_message_are_refused_with_the_text_kept(client):
    long_text = "Liian pitkä palaute. " * 200  # 4,200 characters
    response = send(client, email="maija.example.fi", message=long_text)
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert 'id="email-error">Enter a valid e-mail address.' in text
    assert 'id="message-error">Write at most 4000 characters.' in text
    assert 'value="maija.example.fi"' in text
    assert long_text.strip() in text  # nothing typed is lost
    assert outbox() == []


def test_feedback_without_the_csrf_token_is_refused(client):
    response = client.post("/accessibility", data={"message": FEEDBACK})
    assert response.status_code == 400
    assert outbox() == []


def test_a_flood_of_feedback_is_slowed_down_and_the_address_offered(app, client, monkeypatch):
    monkeypatch.setattr(pages, "FEEDBACK_PER_HOUR", 2)
    assert send(client, message="one").status_code == 303
    assert send(client, message="two").status_code == 303
    refused = send(client, message="three")
    assert refused.status_code == 422
    assert app.config["ACCESSIBILITY_FEEDBACK_TO"] in refused.text
    assert len(outbox()) == 2
