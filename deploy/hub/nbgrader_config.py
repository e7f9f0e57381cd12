"""nbgrader configuration for every server on the hub (learners and the grader account).

provision.py installs it as $PREFIX/venv/etc/jupyter/nbgrader_config.py, so every nbgrader
command and server extension of that venv reads it.  The course folder's own
nbgrader_config.py (the repository's) is read after it, in the grader's course folder.
The hub passes the values below to every server as environment variables
(jupyterhub_config.py); their defaults are those of a single-course machine.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE_ID", "backprop-from-first-principles")

# The shared exchange (release, fetch, submit, collect, feedback): made by
# `provision.py exchange`, world-writable with the sticky bit.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/backprop-course/exchange")

# The gradebook: SQLite in the course folder unless NBGRADER_DB_URL names another database,
# e.g. postgresql+psycopg://bp-grader@/gradebook?host=/var/run/postgresql (psycopg 3 is installed).
if os.environ.get("NBGRADER_DB_URL"):
    c.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]
