"""Does every realistic mistake in tests/mistakes/ fail its part's check, named with its key?"""
import pytest

from mistakes import catalogs, replay

CASES = [(assignment, m) for assignment, rows in catalogs().items() for m in rows]


@pytest.mark.parametrize("assignment, mistake", CASES,
                         ids=[f"{a}:{m.part}:{m.key}" for a, m in CASES])
def test_mistake_is_caught_and_named(assignment, mistake):
    """Is the mistake caught by its part's test cell, with the key the catalog expects?"""
    outcome = replay(assignment, mistake)
    assert outcome.caught, f"{mistake.what}: passed its check"
    assert outcome.key == mistake.key, (
        f"{mistake.what}: expected {mistake.key!r}, got {outcome.key!r}: {outcome.message}")
