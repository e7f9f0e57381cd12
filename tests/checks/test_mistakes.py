"""Does every realistic mistake in tests/mistakes/ fail its part's check, named with its key, in
English and in every other language of the course (the same key, a first line in that language)?"""
import re

import pytest

from autograder import i18n
from mistakes import catalogs, defined_names, replaced_cell, replay, replay_straight

# In the order of the answer cell each row replaces: the rows that share the cells before it follow
# each other, and replay runs those cells once for them (tests/mistakes: replay).
CASES = sorted(((assignment, m) for assignment, rows in catalogs().items() for m in rows),
               key=lambda case: (case[0], replaced_cell(*case)))

# A first line in the language: a letter of its script (Hangul syllables for Korean).
SCRIPTS = {"ko": re.compile("[\uac00-\ud7a3]")}

# The cascade note's first line, which blames an earlier function whose check passed.
BLAME = re.compile(r"^(?:CheckFailed: )?this failure (?:points to|starts in) (\w+), whose check passed")


@pytest.mark.parametrize("assignment, mistake", CASES,
                         ids=[f"{a}:{m.part}:{m.key}" for a, m in CASES])
def test_mistake_is_caught_and_named(assignment, mistake):
    """Is the mistake caught by its part's test cell, with the key the catalog expects? And does its
    first line blame the learner's code, not an earlier function the replay keeps as the solution's
    (right by construction)?"""
    outcome = replay(assignment, mistake)
    assert outcome.caught, f"{mistake.what}: passed its check"
    assert outcome.key == mistake.key, (
        f"{mistake.what}: expected {mistake.key!r}, got {outcome.key!r}: {outcome.message}")
    blamed = BLAME.match(outcome.message.strip())
    if blamed:
        assert blamed.group(1) in defined_names(mistake.source), (
            f"{mistake.what}: the first line blames {blamed.group(1)}, the solution's own: {outcome.message}")


@pytest.fixture(params=sorted(SCRIPTS))
def language(request):
    """Grade in this language (as a notebook of its edition would be)."""
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language(None)


@pytest.mark.parametrize("assignment, mistake", CASES,
                         ids=[f"{a}:{m.part}:{m.key}" for a, m in CASES])
def test_mistake_is_named_in_every_language(assignment, mistake, language):
    """Graded in another language, is the mistake caught with the same key (the class report counts
    both languages by key), and is its first line in that language?"""
    outcome = replay(assignment, mistake)
    assert outcome.caught, f"{mistake.what}: passed its check"
    assert outcome.key == mistake.key, (
        f"{mistake.what}: expected {mistake.key!r}, got {outcome.key!r}: {outcome.message}")
    first = outcome.message.strip().splitlines()[0]
    assert SCRIPTS[language].search(first), f"{mistake.what}: the first line is not in {language}: {first}"


# Every 20th row (each notebook's, several parts of each): the shared-prefix replay gives what a
# straight run of the whole cut notebook gives, word for word, in English and in Korean.
SAMPLE = CASES[::20]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("assignment, mistake", SAMPLE, ids=[f"{a}:{m.part}:{m.key}" for a, m in SAMPLE])
def test_the_shared_prefix_replay_is_a_straight_run(assignment, mistake, lang):
    i18n.set_language(lang)
    try:
        assert replay(assignment, mistake) == replay_straight(assignment, mistake)
    finally:
        i18n.set_language(None)
