"""Equiwait service wiring: settings, database, services, CLI and the ASGI app."""
