"""Translations: kept in step with the English source, and faithful where they must be."""
import json

import pytest

from autograder import i18n
from conftest import ROOT, assignments, solution_path


def _nb(*cells):
    return {"cells": [dict(cell_type=kind, id=cid, source=text, metadata={}) for kind, cid, text in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


ENGLISH = _nb(("markdown", "intro", "# Title\n\nThe step $h = 10^{-5}$ and `np.sum`, 0.1966."),
              ("code", "setup", "import numpy as np"),
              ("markdown", "ex1", "### Exercise 1\n\n<details><summary><b>Hint 1</b></summary>\n\n$$x$$\n\n</details>"))


def _blocks(**texts):
    english = dict(i18n.markdown_cells(ENGLISH))
    return [i18n.Block(cid, i18n.text_hash(english[cid]), text) for cid, text in texts.items()]


def test_a_file_round_trips():
    """Does render(parse(...)) give back the same blocks?"""
    blocks = _blocks(intro="# 제목\n\n스텝 $h = 10^{-5}$ 와 `np.sum`, 0.1966.", ex1="### 연습 문제 1")
    blocks.append(i18n.Block("later", "0" * 12, "English text", todo=True))
    again = i18n.parse(i18n.render(blocks))
    assert again == blocks


def test_a_complete_translation_builds_a_notebook_with_the_same_code():
    """Is every markdown cell replaced, every code cell and id kept, and the language recorded?"""
    blocks = _blocks(intro="# 제목\n\n스텝 $h = 10^{-5}$ 와 `np.sum`, 0.1966.",
                     ex1="### 연습 문제 1\n\n<details><summary><b>힌트 1</b></summary>\n\n$$x$$\n\n</details>")
    assert i18n.status(ENGLISH, blocks).complete
    ko = i18n.translate_notebook(ENGLISH, blocks, "ko")
    assert [c["id"] for c in ko["cells"]] == [c["id"] for c in ENGLISH["cells"]]
    assert ko["cells"][1] == ENGLISH["cells"][1]
    assert ko["cells"][0]["source"].startswith("# 제목")
    assert i18n.notebook_language(ko) == "ko" and i18n.notebook_language(ENGLISH) == "en"


def test_a_changed_english_cell_makes_its_translation_stale():
    """Is a cell whose English changed after translation reported, and never built?"""
    blocks = _blocks(intro="# 제목 $h = 10^{-5}$ `np.sum` 0.1966", ex1="### 연습 문제 1 <details> $$x$$")
    changed = json.loads(json.dumps(ENGLISH))
    changed["cells"][0]["source"] += " One more sentence."
    state = i18n.status(changed, blocks)
    assert state.stale == ["intro"] and not state.complete
    with pytest.raises(ValueError, match="stale: intro"):
        i18n.translate_notebook(changed, blocks, "ko")


def test_update_adds_missing_cells_as_todo_and_drops_orphans():
    """Does update keep translations, add missing cells marked todo, and drop cells that are gone?"""
    blocks = _blocks(intro="# 제목") + [i18n.Block("gone", "0" * 12, "옛 셀")]
    updated = i18n.update(ENGLISH, blocks)
    assert [b.cell for b in updated] == ["intro", "ex1"]
    assert updated[0].text == "# 제목" and updated[1].todo
    assert i18n.status(ENGLISH, updated).todo == ["ex1"]


@pytest.mark.parametrize("korean, problem", [
    ("스텝 $h = 10^{-4}$ 와 `np.sum`, 0.1966.", "inline math differ"),
    ("스텝 $h = 10^{-5}$ 와 `sum`, 0.1966.", "inline code differ"),
    ("스텝 $h = 10^{-5}$ 와 `np.sum`, 0.197.", "decimal numbers differ"),
])
def test_a_translation_that_changes_a_formula_code_or_figure_is_named(korean, problem):
    """Is a changed formula, code span or printed figure reported for its cell?"""
    blocks = _blocks(intro=korean, ex1="### 연습 문제 1\n\n<details>\n\n$$x$$\n\n</details>")
    state = i18n.status(ENGLISH, blocks)
    assert list(state.changed) == ["intro"] and problem in state.changed["intro"][0]


def _translated():
    """Every notebook in every language of the course: each must have its translation file."""
    return [(lang, a) for lang in sorted(set(i18n.LANGUAGES) - {i18n.SOURCE_LANGUAGE}) for a in assignments()]


@pytest.mark.parametrize("lang, assignment", _translated())
def test_each_translation_is_complete_and_faithful(lang, assignment):
    """Is every markdown cell translated from the current English, keeping its formulas, code and figures?"""
    path = i18n.translation_path(ROOT, lang, assignment)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: python -m autograder.i18n update {lang} {assignment}"
    nb = json.loads(solution_path(assignment).read_text(encoding="utf-8"))
    state = i18n.status(nb, i18n.read_blocks(path))
    assert not state.missing, f"cells with no translation: {state.missing}"
    assert not state.stale, f"cells whose English changed since they were translated: {state.stale}"
    assert not state.todo, f"cells still in English: {state.todo}"
    assert not state.orphans, f"translations of cells the English no longer has: {state.orphans}"
    assert not state.changed, "\n".join(f"{cid}: {'; '.join(p)}" for cid, p in state.changed.items())


@pytest.mark.parametrize("english, korean", [
    ("grows 1.1 times", "1.1배 커집니다"),                              # a particle right after a figure
    ("the error is 1.2e-02 here", "오차는 1.2e-02만큼입니다"),
    ("the form $(\\mathbf{x}W_1)W_2 =\n\\mathbf{x}(W_1W_2)$ holds", "$(\\mathbf{x}W_1)W_2 = \\mathbf{x}(W_1W_2)$ 가 성립합니다"),
])
def test_figures_and_formulas_are_found_in_korean_prose(english, korean):
    """Is a figure followed by a Korean particle, or a formula broken over a line, still the same?"""
    assert i18n.differences(english, korean) == []
    assert i18n.differences(english, korean.replace("1.1", "1.2").replace("1.2e-02", "1.3e-02")
                            .replace("W_1W_2", "W_2W_1")) != []
