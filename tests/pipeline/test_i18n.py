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


# --- the checks' messages: i18n/<lang>/messages/<module>.po ------------------------------------------

HANGUL = __import__("re").compile("[\uac00-\ud7a3]")

# The PO files of the engine (everything but the notebooks' own checks modules).
ENGINE = {"catalog", "check", "checks.__init__", "grading.cli", "loader", "grading.runner", "guard",
          "trusted.submission", "trusted.grader"}


@pytest.mark.parametrize("lang", sorted(set(i18n.LANGUAGES) - {i18n.SOURCE_LANGUAGE}))
def test_every_message_is_translated(lang):
    """Does every sentence template of the package have a translation whose fields are the English
    one's (none untranslated, fuzzy, stale, or with a field the English does not fill)?"""
    problems = i18n.message_problems(lang)
    assert not problems, f"{len(problems)} problems; python -m autograder.i18n status {lang}:\n" + "\n".join(problems[:40])


def test_the_engines_messages_are_translated():
    """The same for the engine's own files (the checks, the catalog's generic rows, the loader, the
    graders, course-check): what every notebook's feedback is made of."""
    assert i18n.message_problems("ko", files=ENGINE) == []


def test_message_problems_can_fail(tmp_path):
    """Is an untranslated template, a field the English lacks, and a translation the code no longer
    has each reported?"""
    (tmp_path / "autograder").mkdir()
    (tmp_path / "autograder" / "mod.py").write_text(
        'tr("{name} is wrong")\ntr("{name} is right")\nN_("plain")\n', encoding="utf-8")
    i18n.update_messages("ko", tmp_path)
    path = i18n.messages_path(tmp_path, "ko", "autograder/mod.py")
    entries = i18n.read_po(path)
    assert [e.msgid for e in entries] == ["{name} is wrong", "{name} is right", "plain"]
    entries[0].msgstr = "{name}이(가) 틀렸습니다"
    entries[1].msgstr = "{nmae}이(가) 맞습니다"
    entries.append(i18n.Entry("gone from the code", "사라진 문장"))
    i18n.write_po(path, entries, "ko")
    problems = i18n.message_problems("ko", tmp_path)
    assert len(problems) == 3, problems
    assert problems[0].startswith("fields ['nmae'] are not in the English")
    assert problems[1].startswith("not translated") and "'plain'" in problems[1]
    assert problems[2] == "no longer in the code: 'gone from the code'"
    assert i18n.message_counts("ko", tmp_path) == {"mod": (2, 3)}


@pytest.fixture
def korean():
    i18n.set_language("ko")
    yield
    i18n.set_language(None)


def test_a_catalog_row_and_a_check_speak_korean(korean):
    """A generic catalog row, the worst-entry lines and the kink note come out in Korean, with the
    same key as in English."""
    import numpy as np
    from autograder import check_layer
    from autograder.guard import CheckFailed

    def forward(x, w):
        return x @ w, (x, w)

    def backward(dout, cache):
        x, w = cache
        return dout @ w.T, -(x.T @ dout)
    rng = np.random.default_rng(0)
    with pytest.raises(CheckFailed) as failed:
        check_layer(forward, backward, rng.normal(size=(3, 4)), rng.normal(size=(4, 5)))
    assert failed.value.key == "sign_flipped"
    lines = str(failed.value).splitlines()
    assert lines[0] == "backward: dw의 부호가 반대입니다: -dw이(가) 정답입니다. 각 국소적 미분의 부호를 확인하세요."
    assert lines[1].startswith("  가장 많이 틀린 원소 dw[") and "수치 미분" in lines[1]
    assert lines[2].startswith("  상대 오차 ")


def test_english_stays_english_without_a_choice(monkeypatch):
    """Without set_language, $AUTOGRADER_LANG or a Korean notebook, the sentences are the English
    templates themselves."""
    for name in ("AUTOGRADER_LANG", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    i18n.set_language(None)
    assert i18n.current_language() == "en"
    assert i18n.tr("hint: {hint}", hint="x") == "hint: x"
    monkeypatch.setenv("AUTOGRADER_LANG", "ko")
    assert i18n.tr("hint: {hint}", hint="x") == "힌트: x"


# --- the language follows the notebook ------------------------------------------------------------

@pytest.mark.parametrize("lang, word", [("ko", "아직 구현되지 않았습니다"), ("en", "not implemented yet")])
def test_a_learner_notebooks_stubs_speak_its_language(monkeypatch, lang, word):
    """Graded as course-check grades it (no $AUTOGRADER_LANG), the Korean learner notebook's stubs
    say 'not implemented yet' in Korean, the English one's in English; the keys are the same."""
    from autograder.loader import grade_notebook
    from conftest import learner_path
    monkeypatch.delenv("AUTOGRADER_LANG", raising=False)
    graded = grade_notebook(learner_path("00_finite_differences", lang))
    assert graded.tests and all(not run.passed for run in graded.tests)
    for run in graded.tests:
        assert run.key in ("not_implemented", "cell_did_not_run"), (run.grade_id, run.key, run.message)
        assert word in run.message.splitlines()[0], run.message
    assert i18n.current_language() == "en", "the notebook's language ends with its grading"


def test_the_session_notebook_is_found_from_the_kernels_folder(tmp_path, monkeypatch):
    """$JPY_SESSION_NAME is the notebook's path relative to Jupyter's root folder, and the kernel runs
    in the notebook's folder: the language is read from that notebook all the same."""
    from conftest import learner_path
    folder = tmp_path / "notebooks-ko" / "04_vector_backprop"
    folder.mkdir(parents=True)
    (folder / "04_vector_backprop.ipynb").write_bytes(learner_path("04_vector_backprop", "ko").read_bytes())
    session = "notebooks-ko/04_vector_backprop/04_vector_backprop.ipynb"
    assert i18n.session_file(session, cwd=folder) == folder / "04_vector_backprop.ipynb"
    assert i18n.session_file(session, cwd=tmp_path) == folder / "04_vector_backprop.ipynb"
    assert i18n.session_file(session, cwd="/") is None
    monkeypatch.delenv("AUTOGRADER_LANG", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", session)
    monkeypatch.chdir(folder)
    monkeypatch.setattr(i18n, "_SESSION", {})
    i18n.set_language(None)
    assert i18n.current_language() == "ko"
    english = tmp_path / "notebooks" / "04_vector_backprop"
    english.mkdir(parents=True)
    (english / "04_vector_backprop.ipynb").write_bytes(learner_path("04_vector_backprop").read_bytes())
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/04_vector_backprop/04_vector_backprop.ipynb")
    monkeypatch.chdir(english)
    assert i18n.current_language() == "en"


@pytest.mark.parametrize("session", ["notebooks-ko/00_finite_differences/00_finite_differences.ipynb", None])
def test_a_check_in_a_korean_notebooks_kernel_speaks_korean(session, monkeypatch):
    """In a kernel started as JupyterLab starts it for notebooks-ko/00_.../00_....ipynb (its folder,
    $JPY_SESSION_NAME relative to the root), or as nbgrader and nbval start it (the folder only), a
    stub's check cell says 'not implemented yet' in Korean, without $AUTOGRADER_LANG."""
    from mistakes import Kernel
    monkeypatch.delenv("AUTOGRADER_LANG", raising=False)
    if session:
        monkeypatch.setenv("JPY_SESSION_NAME", session)
    else:
        monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with Kernel(ROOT / "notebooks-ko" / "00_finite_differences") as kernel:
        said = kernel.run("from autograder.checks import finite_differences as check\n"
                          "def central_difference(f, x, h=1e-5):\n    raise NotImplementedError()\n"
                          "check.central_difference(central_difference)")
    assert said["error"] is not None and said["error"][0] == "CheckFailed", said
    assert "아직 구현되지 않았습니다" in said["error"][1], said


# --- course-check --lang --------------------------------------------------------------------------

@pytest.mark.parametrize("edition, args, korean", [
    ("en", [], False), ("ko", [], True), ("en", ["--lang", "ko"], True), ("ko", ["--lang", "en"], False)])
def test_course_check_speaks_the_notebooks_language_or_the_chosen_one(edition, args, korean, capsys, monkeypatch):
    """course-check grade prints each notebook's table and feedback in the notebook's language,
    or in the one --lang chooses."""
    from autograder.grading import cli
    from conftest import learner_path
    monkeypatch.delenv("AUTOGRADER_LANG", raising=False)
    assert cli.main(["grade", str(learner_path("00_finite_differences", edition)), "--jobs", "1"] + args) == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "test_" in line]
    assert lines, out
    assert all(bool(HANGUL.search(line)) == korean for line in lines), out
    assert ("아직 구현하지 않음" in out) == korean and ("not implemented yet" in out) != korean, out
    assert "AUTOGRADER_LANG" not in __import__("os").environ


def test_the_translators_status_counts_the_messages_file_by_file(capsys):
    """python -m autograder.i18n status ko: after the notebooks, one line per message file with its
    count, the engine's files complete."""
    i18n.main(["status", "ko"])
    out = capsys.readouterr().out
    counts = dict(__import__("re").findall(r"i18n/ko/messages/([\w.]+)\.po: (\d+ / \d+) messages translated", out))
    assert set(counts) == set(i18n.message_counts("ko")) and ENGINE <= set(counts), out
    for name in ENGINE:
        done, total = counts[name].split(" / ")
        assert done == total != "0", (name, counts[name])


def test_the_sandbox_passes_the_chosen_language_on(monkeypatch):
    """course-check class --lang ko sets $AUTOGRADER_LANG; the sandbox's clean environment (nothing
    else of the instructor's) keeps it, so nbgrader's kernel and the checks there speak it."""
    from autograder.trusted import sandbox
    monkeypatch.setenv("AUTOGRADER_LANG", "ko")
    monkeypatch.setenv("SOME_SECRET", "x")
    env = sandbox._clean_env(0, "/home/sandbox0", "/tmp/sandbox0")
    assert env["AUTOGRADER_LANG"] == "ko" and "SOME_SECRET" not in env


def test_trusted_grading_speaks_the_submissions_language(monkeypatch):
    """The grade of record (autograder.trusted, the learner's code in a process of its own, here not
    sandboxed) of a Korean learner notebook: every stub's row says 'not implemented yet' in Korean,
    with the same key as in English."""
    from autograder.trusted import grader as trusted
    from conftest import learner_path, solution_path
    monkeypatch.delenv("AUTOGRADER_LANG", raising=False)
    rows = trusted.grade(learner_path("00_finite_differences", "ko"), solution_path("00_finite_differences"))
    assert rows and all(r["key"] == "not_implemented" and not r["passed"] for r in rows), rows
    assert all("아직 구현되지 않았습니다" in r["message"].splitlines()[0] for r in rows), rows
