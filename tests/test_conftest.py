"""The test suite's own settings (tests/conftest.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_hypothesis_profile_has_no_deadline() -> None:
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check


@given(st.integers())
def test_a_property_test_without_its_own_settings_gets_the_profile(n: int) -> None:
    import time

    time.sleep(0.25 if n == 0 else 0)  # over Hypothesis' default 200 ms deadline: fails without the profile
    assert isinstance(n, int)
