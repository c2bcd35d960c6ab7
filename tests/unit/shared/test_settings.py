from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import Settings


def test_a_log_level_is_read_in_any_case() -> None:
    assert Settings(log_level="warning").log_level == "WARNING"


def test_an_unknown_log_level_is_refused_at_start_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="log_level"):
        Settings(log_level="loud")
