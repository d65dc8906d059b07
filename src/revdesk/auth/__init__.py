"""Identity: local credentials, server-side sessions, login throttling and API tokens."""
