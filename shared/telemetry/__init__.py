"""OpenTelemetry wiring: providers, instruments and attribute names declared once."""
