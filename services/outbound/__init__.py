"""Outbound: signed webhooks to subscribers, alerts to people, segment sync to the MAPs."""
