# The course's two commands (see README.md):
#   make lab     install into .venv if needed, then open JupyterLab on notebooks/ (the learner's lab)
#   make test    install into .venv if needed, then run the whole test suite
# Only python3 is needed; nothing is installed outside .venv.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER ?= yes
PORT   ?= 8888
# The course's language: en (notebooks/) or ko (notebooks-ko/, the Korean edition).
COURSE_LANG ?= en
ifeq ($(COURSE_LANG),en)
NOTEBOOKS := notebooks
else ifeq ($(COURSE_LANG),ko)
NOTEBOOKS := notebooks-ko
else
$(error COURSE_LANG=$(COURSE_LANG): the course is written in en and ko)
endif

# As root, JupyterLab refuses to start without --allow-root.
SERVER_FLAGS := --port=$(PORT)
ifeq ($(shell id -u),0)
SERVER_FLAGS += --allow-root
endif
ifeq ($(BROWSER),no)
SERVER_FLAGS += --no-browser
endif
# Jupyter settings of the two labs (jupyter/README.md): the learner's has no nbgrader tools;
# in both, JupyterLab's terminal has the venv first on PATH.
JUPYTER_DIR := $(CURDIR)/jupyter
LEARNER_CONFIG := $(JUPYTER_DIR)/learner:$(JUPYTER_DIR)/common$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))
INSTRUCTOR_CONFIG := $(JUPYTER_DIR)/common$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))

.PHONY: install lab instructor test progress generate clean-grading help check-python
help:
	@echo "make lab      open the course in JupyterLab (make lab BROWSER=no: no browser;"
	@echo "              make lab COURSE_LANG=ko: the Korean edition, notebooks-ko/)"
	@echo "make test     run the whole test suite"
	@echo "make progress your progress table (checks every notebook in notebooks/; COURSE_LANG=ko: notebooks-ko/)"
	@echo "make instructor    JupyterLab on the whole repository with nbgrader's instructor tools:"
	@echo "                   Formgrader (generate, release, collect, grade), Create Assignment"
	@echo "make generate regenerate notebooks/ and notebooks-ko/ from solutions/ and i18n/ (instructors)"
	@echo "make lock     refresh requirements/ to the newest allowed versions, rebuild .venv, run the suite"
	@echo "make bench    measure the course's performance: docs/benchmarks.md (a few minutes)"
	@echo "make gradebook     add every assignment to nbgrader's gradebook (instructors)"
	@echo "make grade-class   grade submitted/ with feedback and the class mistake report"
	@echo "                   (ASSIGNMENT=04_vector_backprop for one; run as root to sandbox)"
	@echo "make clean-grading remove all grading state (submissions, grades, reports)"

# nbgrader 0.9.6 and numpy 2.4 (what pip installs) need Python 3.11; stop before installing
# anything on an older one, with a message that says what to do.
check-python:
	@v=$$($(PYTHON) -c 'import sys; print("%d %d" % sys.version_info[:2])' 2>/dev/null) || \
	  { echo "make: '$(PYTHON)' does not run; this course needs Python 3.11 or newer (make ... PYTHON=python3.11)." >&2; exit 1; }; \
	set -- $$v; \
	if [ "$$1" -lt 3 ] || { [ "$$1" -eq 3 ] && [ "$$2" -lt 11 ]; }; then \
	  echo "make: this course needs Python 3.11 or newer (nbgrader 0.9.6 and numpy 2.4 require it), but '$(PYTHON)' is Python $$1.$$2. Install a newer Python and run: make $(MAKECMDGOALS) PYTHON=python3.11" >&2; \
	  exit 1; \
	fi

# The exact versions of requirements/course.txt (hash-checked; made by `make lock` from the
# ranges in pyproject.toml), then the course itself. LOCK= installs from the ranges instead (a
# platform the lock has no wheel for). autograd was once in the venv: it must not be there now
# (a backward pass written with it passed every check), so an old venv loses it.
LOCK ?= requirements/course.txt
TEST_PACKAGES := $(VENV)/test-packages
TEST_STAMP := $(TEST_PACKAGES)/.installed

$(STAMP): pyproject.toml $(LOCK) | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifeq ($(strip $(LOCK)),)
	$(BIN)/python -m pip install --quiet -e '.[test]'
else
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
endif
	-$(BIN)/python -m pip uninstall --quiet --yes autograd 2>/dev/null
	touch $(STAMP)

# Test-only packages (autograd, playwright) in a folder of their own that only pytest puts on
# sys.path (pyproject.toml): the learners' kernels and trusted grading cannot import them.
$(TEST_STAMP): requirements/test-only.txt $(STAMP)
	rm -rf $(TEST_PACKAGES)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps --target $(TEST_PACKAGES) \
	  -r requirements/test-only.txt
	touch $(TEST_STAMP)

install: $(STAMP) $(TEST_STAMP)

lab: check-python $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" JUPYTER_CONFIG_PATH="$(LEARNER_CONFIG)" \
	  $(BIN)/jupyter lab --notebook-dir=$(NOTEBOOKS) $(SERVER_FLAGS)

# Instructors: the repository root with the Formgrader, Create Assignment and the nbgrader menu
# (nbgrader_config.py is read from here; Generate keeps a learner's work, autograder/grading/release.py).
instructor: check-python $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" JUPYTER_CONFIG_PATH="$(INSTRUCTOR_CONFIG)" \
	  $(BIN)/jupyter lab --notebook-dir=. $(SERVER_FLAGS)

# The whole suite on two workers (the root conftest.py keeps a notebook's nbval cells, and a file
# with an expensive set-up, in one worker); the slowest tests are listed at the end.  `make test WORKERS=0` runs it in one process,
# `make test PYTEST_ARGS=tests/test_engine.py` runs one file.
WORKERS ?= 2
test: check-python $(STAMP) $(TEST_STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n $(WORKERS) --durations=15 $(PYTEST_ARGS)

# Authors: refresh the lock to the newest versions the ranges of pyproject.toml allow (pip-tools,
# in a venv of its own), rebuild .venv from it and run the whole suite.  Commit the lock (and
# environment.yml's pins, which tests/course/test_environment.py keeps equal to it) only if it passes.
LOCK_TOOLS := .venv-lock
PIP_TOOLS := pip-tools==7.7.0
COMPILE := $(LOCK_TOOLS)/bin/pip-compile --quiet --upgrade --generate-hashes --strip-extras \
  --no-emit-index-url --no-emit-find-links
.PHONY: lock
lock: check-python
	test -x $(LOCK_TOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
	  $(LOCK_TOOLS)/bin/python -m pip install --quiet '$(PIP_TOOLS)'; }
	$(COMPILE) --allow-unsafe --extra test --all-build-deps -o requirements/course.txt pyproject.toml
	$(COMPILE) --unsafe-package numpy --unsafe-package typing-extensions -c requirements/course.txt \
	  -o requirements/test-only.txt requirements/test-only.in
	$(LOCK_TOOLS)/bin/python requirements/sync_environment.py
	rm -rf $(VENV)
	$(MAKE) test

progress: $(STAMP)
	$(BIN)/course-check progress $(NOTEBOOKS)

# Regenerate notebooks/ from solutions/ and notebooks-ko/ from them and i18n/ko/ (--no-db, as the
# sync tests do; it needs no gradebook).
# A notebook that holds a learner's work is kept and reported; FORCE=1 overwrites it after a backup.
generate: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/course-check generate $(if $(FORCE),--force)

# Instructors: add every assignment to nbgrader's gradebook (autograde and release need it);
# notebooks/ is not touched.
.PHONY: gradebook grade-class
gradebook: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/course-check gradebook

# Instructors: grade submitted/ (ASSIGNMENT=04_vector_backprop, or every assignment), with
# feedback, the summary and the class mistake report (class_report/).  As root, each
# submission runs as a sandbox user.
grade-class: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/course-check class $(if $(ASSIGNMENT),$(ASSIGNMENT),--all) --feedback

clean-grading:
	rm -rf submitted autograded feedback gradebook.db gradebook.db-journal .exchange \
	  grades.csv class_report .gradebook.lock

# Performance figures, measured side by side: writes docs/benchmarks.md and docs/img/bench_*.png
# (a few minutes). make bench BENCH_ARGS=--quick for a smoke run; see benchmarks/run.py --help.
.PHONY: bench
bench: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m benchmarks.run $(BENCH_ARGS)
