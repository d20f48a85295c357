"""The services catalogue: the services a team's guidance points the client to (SPEC §3)."""
