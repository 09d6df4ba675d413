"""Blueprints of the web UI, one module per area (registered by tracker.web.create_app)."""
