"""A lead import's rows: validated like a single lead, reported by line, the last of an email wins."""

from __future__ import annotations

from services.ingest.app.imports import new_import, validate


def test_rows_are_normalised_like_a_lead_and_problems_reported_by_line_and_field() -> None:
    body = (
        b"email,first_name,company,employees,marketing_consent\n"
        b"Ada@Example.com,Ada,Acme Inc.,50,true\n"
        b"nobody,No,,,\n"
        b"bo@example.com,Bo,,many,\n"
        b"ADA@example.com,Ada L,Acme,60,\n"
    )
    report = new_import("csv")
    valid = validate(body, "csv", report)
    assert (report.rows_read, report.rows_valid) == (4, 1)
    [(line, ada)] = valid
    assert line == 5 and ada["email"] == "ada@example.com" and ada["employees"] == 60
    assert ada["source"] == "import" and ada["company"] == "Acme" and ada["marketing_consent"] is None
    assert [(e["line"], e["field"]) for e in report.errors] == [(3, "email"), (4, "employees"), (2, "email")]
    assert "repeated on line 5" in str(report.errors[-1]["reason"])


def test_ndjson_lines_that_are_not_objects_are_reported_and_a_source_can_be_named() -> None:
    body = (
        b'{"email": "a@x.io", "source": "salesforce"}\n\n[1]\n{"email": \n{"email": "b@x.io", "colour": 1}\n'
    )
    report = new_import("ndjson")
    valid = validate(body, "ndjson", report)
    assert [fields["source"] for _, fields in valid] == ["salesforce"]
    assert [(e["line"], e["field"]) for e in report.errors] == [(3, "row"), (4, "row"), (5, "colour")]
    assert report.rows_read == 4
