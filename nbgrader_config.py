"""nbgrader configuration for the course (read by every `nbgrader` command run here).

solutions/<assignment>/<notebook>.ipynb  the single source (with solutions and hidden tests)
notebooks/<assignment>/<notebook>.ipynb  what learners get, made by `nbgrader generate_assignment`
submitted/, autograded/, feedback/, gradebook.db   grading state, ignored by git
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = here
c.CourseDirectory.course_id = "backprop-from-first-principles"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# The exchange (release/fetch/submit) must be writable without root: a folder
# in the course unless NBGRADER_EXCHANGE points to a shared one.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", os.path.join(here, ".exchange"))

# Learners' stubs: the friendly "not implemented yet" message comes from the checks.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every cell gets at most this long when autograding; a cell that loops for
# ever is interrupted and execution continues with the next cell.  The checks
# stop a learner's function after AUTOGRADER_CALL_SECONDS (see
# autograder/tolerances.py), well inside this limit.
c.Execute.timeout = 120

# Feedback must not reveal hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
