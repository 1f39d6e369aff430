"""The HTTP API: `app.create_app(services)`, one route module per area, problem+json errors, keys and roles."""
