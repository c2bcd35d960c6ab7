"""Cascade's platform: settings, database, events, messaging, telemetry and the app factory."""
