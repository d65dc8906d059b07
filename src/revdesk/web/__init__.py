"""The web app and JSON API: `create_app(settings)` (see revdesk.web.app)."""
