"""Opportunity: typed pipelines, buying groups (OCRs), stage stamps, automations, reports."""
