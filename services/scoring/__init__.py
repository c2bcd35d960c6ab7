"""Scoring: fit + behaviour lead scores, lifecycle stages, buying-group engagement."""
