"""Who may see a client (SPEC §2): the registering organisation's referrers. Teams and
physicians see a client only through the requests addressed to them."""
from __future__ import annotations

from consult.access import load_or_404

CLIENT_ROLES = ("referrer",)


def can_view_client(user, client) -> bool:
    return user.has_role(*CLIENT_ROLES) and user.organisation_id == client.organisation_id


def client_id_of(client) -> int:
    return client.id


def load_client(client_id: int):
    """The client, if the current user may see them; otherwise 404 (audited)."""
    from consult.clients.models import Client

    return load_or_404(Client, client_id, can_view_client, client_id_of=client_id_of)
