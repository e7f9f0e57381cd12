"""nbgrader configuration for the course (read by every `nbgrader` command run here).

solutions/<assignment>/<notebook>.ipynb  the single source (with solutions and hidden tests)
notebooks/<assignment>/<notebook>.ipynb  what learners get, made by `nbgrader generate_assignment`
submitted/, autograded/, feedback/, gradebook.db, grades.csv, class_report/   grading state,
                                         ignored by git

Autograding differs from stock nbgrader in three ways (autograder/grading/nbgrader_hooks.py):
submissions are restored with the same code as `course-check` (a duplicated or re-pointed test
cell, an edited schema_version or points no longer stop `nbgrader autograde` for the whole class;
deleted test cells are put back; real edits are logged as "submission changed: ...", honest
notebooks log nothing), another assignment's notebook is refused, and outputs are cut to 20000
characters.  `course-check class` also runs each kernel as a sandbox user (autograder/trusted/sandbox.py).

Generating differs in two ways (autograder/grading/release.py): `generate_assignment` (the command, the
Formgrader's Generate button, `make generate`) never deletes what is in notebooks/<assignment>: a
notebook that held a learner's work is saved beside the new one as <name>.ipynb.bak-<time>, and
the log names it; and the learner's copy tags the cells that fail while an exercise is unfinished
`raises-exception`, so JupyterLab's Run All goes on to the end of the notebook.
"""
import os
import re

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import i18n

from autograder.grading.nbgrader_hooks import CourseSanitize, LimitOutputSize
from autograder.grading.release import keep_learner_work, tag_cells_that_may_raise
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 (provided by nbgrader)


class HideHiddenTestsInTracebacks(NbGraderPreprocessor):
    """Remove hidden-test lines from the tracebacks stored in a cell's outputs.

    ClearHiddenTests removes them from the cell's source, but an error in a
    test cell shows the surrounding source lines in its traceback; this runs
    first and drops every traceback line that quotes a hidden line.
    """

    BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
    ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

    def preprocess_cell(self, cell, resources, index):
        source = cell.get("source", "")
        if cell.get("cell_type") != "code" or self.BEGIN not in source:
            return cell, resources
        hidden, inside = [], False
        for line in source.splitlines():
            if line.strip() == self.BEGIN:
                inside = True
            if inside and line.strip():
                hidden.append(line.strip())
            if line.strip() == self.END:
                inside = False
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [self._scrub(entry, hidden) for entry in output.get("traceback", [])]
        return cell, resources

    def _scrub(self, entry, hidden):
        kept = [line for line in entry.split("\n")
                if not any(h in self.ANSI.sub("", line) for h in hidden)]
        return "\n".join(kept)


class TagCellsThatMayRaise(NbGraderPreprocessor):
    """Tag `raises-exception` on the learner's cells that fail while an exercise is unfinished
    (test cells, demo cells that use an exercise's functions), so Run All reaches the last cell."""

    def preprocess(self, nb, resources):
        tag_cells_that_may_raise(nb)
        return nb, resources


class TranslateMarkdown(NbGraderPreprocessor):
    """The learner's copy in the course's language (COURSE_LANG=ko: markdown from i18n/ko/, code
    the same), so `nbgrader generate_assignment` and the Formgrader write the Korean edition into
    notebooks-ko/ exactly as `course-check generate` does."""

    def preprocess(self, nb, resources):
        if LANGUAGE == i18n.SOURCE_LANGUAGE:
            return nb, resources
        assignment = resources.get("nbgrader", {}).get("assignment") or resources.get("unique_key", "")
        translated = i18n.edition(here, LANGUAGE, assignment, nb)
        nb.cells = nbformat.from_dict(translated["cells"])
        nb.metadata = nbformat.from_dict(translated["metadata"])
        return nb, resources


class CheckInTheNotebooksLanguage(NbGraderPreprocessor):
    """Autograding: the checks in the kernel speak the submission's language (its
    metadata.course.language), so a class that mixes languages gets each learner's feedback in
    theirs; the kernel inherits AUTOGRADER_LANG from this process."""

    def preprocess(self, nb, resources):
        os.environ["AUTOGRADER_LANG"] = i18n.notebook_language(nb)
        return nb, resources


here = os.path.dirname(os.path.abspath(__file__))

# The language of the learner notebooks this configuration generates and releases: COURSE_LANG=ko
# for the Korean edition in notebooks-ko/ (generated from solutions/ and i18n/ko/); English by default.
LANGUAGE = os.environ.get("COURSE_LANG", i18n.SOURCE_LANGUAGE) or i18n.SOURCE_LANGUAGE
if LANGUAGE not in i18n.LANGUAGES:
    raise ValueError(f"COURSE_LANG={LANGUAGE!r}: the course is written in {', '.join(sorted(i18n.LANGUAGES))}")

c.CourseDirectory.root = here
c.CourseDirectory.course_id = "backprop-from-first-principles"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = i18n.edition_dir(LANGUAGE)

# The exchange (release/fetch/submit) must be writable without root: a folder
# in the course unless NBGRADER_EXCHANGE points to a shared one.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", os.path.join(here, ".exchange"))
if "NBGRADER_EXCHANGE" not in os.environ and not os.path.isdir(c.Exchange.root):
    # made here, because the formgrader hides "Release" and "Collect" while the exchange is missing
    try:
        os.makedirs(c.Exchange.root)
        os.chmod(c.Exchange.root, 0o777)   # learners write into it (one machine: only you)
    except OSError:
        pass                                # a reader that cannot write here does not need it

# The gradebook: SQLite in the course folder (gradebook.db) unless NBGRADER_DB_URL names a
# database server, e.g. postgresql+psycopg://grader@/gradebook?host=/var/run/postgresql
# (docs/teaching.md; `course-check class` honours it too).
if os.environ.get("NBGRADER_DB_URL"):
    c.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]

# Learners' stubs: the friendly "not implemented yet" message comes from the checks.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Generating: notebooks/<assignment> is regenerated in place, a learner's work backed up beside it;
# the learner's copy gets its `raises-exception` tags (autograder/grading/release.py).
keep_learner_work()
c.GenerateAssignment.preprocessors = [TagCellsThatMayRaise] + list(
    GenerateAssignment.class_traits()["preprocessors"].default()) + [TranslateMarkdown]

# Every cell gets at most this long when autograding; a cell that loops for
# ever is interrupted and execution continues with the next cell.  The checks
# stop a learner's function after AUTOGRADER_CALL_SECONDS (see
# autograder/tolerances.py), well inside this limit.
c.Execute.timeout = 120

# Submissions are restored by the course's own code (see the docstring above).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.OverwriteKernelspec",
    CourseSanitize,
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    CheckInTheNotebooksLanguage,
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    LimitOutputSize,
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback must not reveal hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    HideHiddenTestsInTracebacks,
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
