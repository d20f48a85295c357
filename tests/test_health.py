"""`/healthz` answers 200 with a database round trip and 503 when the database is down
(each engine connected to explicitly)."""
from __future__ import annotations

from tests.conftest import make_app


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_postgresql_does_not_answer():
    app = make_app("postgresql://nobody@127.0.0.1:1/none",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "down"


def test_healthz_is_503_when_the_sqlite_file_cannot_be_opened(tmp_path):
    app = make_app("sqlite:///" + str(tmp_path / "missing-dir" / "db.sqlite"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_healthz_needs_no_login_and_says_nothing_else(client):
    response = client.get("/healthz")
    assert set(response.json) == {"status", "database"}
