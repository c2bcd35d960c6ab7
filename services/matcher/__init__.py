"""Matcher: lead-to-account matching and conversion, routing, the review queue."""
