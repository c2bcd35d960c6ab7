"""Cascade\x27s four services; each imports only `shared`, never another service."""
