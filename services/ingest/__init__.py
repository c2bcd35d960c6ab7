"""Ingest: the front door for leads and engagement from MAPs and the API."""
