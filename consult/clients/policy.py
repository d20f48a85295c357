"""Who may see a client (SPEC §2): the registering organisation's referrers. Teams and
physicians see a client only through the requests addressed to them."""
from __future__ import annotations

CLIENT_ROLES = ("referrer",)


def can_view_client(user, client) -> bool:
    return user.has_role(*CLIENT_ROLES) and user.organisation_id == client.organisation_id


def client_id_of(client) -> int:
    return client.id
