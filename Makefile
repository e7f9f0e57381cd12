# The course's two commands (see README.md):
#   make lab     install into .venv if needed, then open JupyterLab on notebooks/
#   make test    install into .venv if needed, then run the whole test suite
# Only python3 is needed; nothing is installed outside .venv.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER ?= yes
PORT   ?= 8888

# As root, JupyterLab refuses to start without --allow-root.
LAB_FLAGS := --notebook-dir=notebooks --port=$(PORT)
ifeq ($(shell id -u),0)
LAB_FLAGS += --allow-root
endif
ifeq ($(BROWSER),no)
LAB_FLAGS += --no-browser
endif

.PHONY: install lab test progress generate clean-grading help
help:
	@echo "make lab      open the course in JupyterLab (make lab BROWSER=no: no browser)"
	@echo "make test     run the whole test suite"
	@echo "make progress your progress table (checks every notebook in notebooks/)"
	@echo "make generate regenerate notebooks/ from solutions/ (instructors)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab $(LAB_FLAGS)

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest

progress: $(STAMP)
	$(BIN)/course-check progress notebooks

# --no-db: generating needs no gradebook; the sync test runs the same command.
generate: $(STAMP)
	for dir in solutions/*/; do \
	  PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbgrader generate_assignment "$$(basename $$dir)" --force --no-db || exit 1; \
	done

clean-grading:
	rm -rf submitted autograded feedback gradebook.db .exchange
