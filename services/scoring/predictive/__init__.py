"""The predictive score: a model learnt from past outcomes, used only when validated.

`cascade scoring evaluate --csv FILE --target COLUMN [--exclude COLUMN ...]` runs it on any
tabular lead export (see `report.run`).
"""
