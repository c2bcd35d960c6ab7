import pytest

from services.matcher.domain.versions import newer_fields


@pytest.mark.parametrize(
    ("changed", "applied", "version", "expected"),
    [
        ({"title": "CTO"}, {}, 2, ({"title": "CTO"}, {"title": 2})),
        ({"title": "CTO"}, {"title": 3}, 2, ({}, {"title": 3})),
        ({"title": "CTO"}, {"title": 2}, 2, ({}, {"title": 2})),
        (
            {"title": "CTO", "first_name": "Ada"},
            {"title": 5, "first_name": 1},
            3,
            ({"first_name": "Ada"}, {"title": 5, "first_name": 3}),
        ),
        ({"title": "CTO"}, {"title": 9}, None, ({"title": "CTO"}, {"title": 9})),
    ],
)
def test_only_changes_newer_than_each_field_apply(
    changed: dict[str, str], applied: dict[str, int], version: int | None, expected: tuple[object, object]
) -> None:
    assert newer_fields(changed, applied, version) == expected
