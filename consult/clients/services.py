"""Registering and changing clients, and finding them in one organisation's register.
Services flush, never commit; every read and write leaves an audit event."""
from __future__ import annotations

from sqlalchemy import Select, and_, or_, select

from consult.audit import services as audit
from consult.clients.identity import normalise
from consult.clients.models import Client
from consult.extensions import db

CONTACT_FIELDS = ("last_name", "first_names", "municipality", "phone", "email", "address",
                  "preferred_language", "interpreter_needed", "interpreter_language")


class DuplicateClient(ValueError):
    def __init__(self, existing: Client):
        super().__init__("client already registered")
        self.existing = existing


def find_by_identity_code(organisation_id: int, code: str) -> Client | None:
    return db.session.scalar(select(Client).where(
        Client.organisation_id == organisation_id, Client.identity_code == normalise(code)))


def register_client(*, organisation, by, identity_code: str, **fields) -> Client:
    existing = find_by_identity_code(organisation.id, identity_code)
    if existing is not None:
        raise DuplicateClient(existing)
    client = Client(organisation=organisation, created_by_id=by.id,
                    identity_code=normalise(identity_code),
                    **{k: v for k, v in fields.items() if k in CONTACT_FIELDS})
    client.refresh_name_key()
    db.session.add(client)
    db.session.flush()
    audit.record("create", object_type="client", object_id=client.id, client_id=client.id,
                 purpose="client_register", user=by)
    return client


def update_client(client: Client, **fields) -> None:
    for key in CONTACT_FIELDS:
        if key in fields:
            setattr(client, key, fields[key])
    if not client.interpreter_needed:
        client.interpreter_language = ""
    client.refresh_name_key()
    db.session.flush()
    audit.record("update", object_type="client", object_id=client.id, client_id=client.id,
                 purpose="client_register")


def record_view(client: Client, purpose: str = "client_register") -> None:
    audit.record("view", object_type="client", object_id=client.id, client_id=client.id,
                 purpose=purpose)


def record_listed(clients) -> None:
    """A list page writes one event per client shown (SPEC §3)."""
    audit.record_listed("client", clients, client_id_of=lambda c: c.id,
                        purpose="client_register")


def register_query(organisation_id: int, search: str = "") -> Select:
    """The organisation's own register, by surname; `search` matches every word of a
    name, or an identity code exactly. Never another organisation's clients."""
    query = select(Client).where(Client.organisation_id == organisation_id)
    words = (search or "").casefold().split()
    if words:
        query = query.where(or_(
            Client.identity_code == normalise(search),
            and_(*[Client.name_key.contains(w, autoescape=True) for w in words]),
        ))
    return query.order_by(Client.last_name, Client.first_names, Client.id)
