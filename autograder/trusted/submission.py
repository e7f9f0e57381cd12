"""What a submitted notebook is allowed to change, decided before any of its code runs.

nbgrader grades a submission with the instructor's cells, not the learner's: graded cells get
their metadata and (when locked) their source back from the gradebook.  This module does the
same, in plain Python, for both graders of the course:

* ``course-check`` (``autograder.grading.runner``) calls ``sanitize`` with the source notebook in
  ``solutions/`` (or, without one, the checks module's ``Exercises``) as the authority;
* nbgrader calls the same ``sanitize_cells`` through ``autograder.grading.nbgrader_hooks``, with the
  gradebook as the authority,

so the two agree on every edit a learner can make to the notebook's structure:

=====================================  =====================================================
the submission                          what both graders do
=====================================  =====================================================
test cell's points, type, lock or       restored from the authority, noted
nbgrader ``schema_version`` edited
test cell's source edited               the instructor's source runs, noted ("edited")
test cell deleted                       put back after the cell before it, noted
graded cell duplicated / re-pointed     the first one is graded, the copy runs as an
(``grade_id`` of another test cell)     ordinary cell, noted
answer cell marked as a graded cell     restored (no points), noted
unknown ``grade_id``                    an ordinary cell, noted
none of the assignment's answer cells   not graded: another assignment's notebook
not JSON, empty, not a notebook         not graded
=====================================  =====================================================

An honest notebook produces no note at all: its test cells equal the released ones (the
source's, with the hidden tests removed), which is how a real edit is told from nbgrader's
"checksum has changed" false alarm.

Only the standard library here: ``autograder`` stays importable with numpy alone.
"""
import copy
import importlib
import json
import pkgutil

from .. import i18n
from ..i18n import tr

SCHEMA_VERSION = 3
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


class NotANotebook(ValueError):
    """The file cannot be graded at all; the message says why in one line."""


def source_text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else (src or "")


def nbgrader_meta(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def strip_hidden(source):
    """A test cell's source as learners get it: nbgrader's ClearHiddenTests, line for line."""
    kept, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def read(path):
    """The notebook at ``path`` as a dict; ``NotANotebook`` with a one-line reason otherwise."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise NotANotebook(f"cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise NotANotebook("is an empty file, not a notebook")
    try:
        nb = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotANotebook("is not a notebook (not UTF-8 text)") from None
    except ValueError as exc:
        raise NotANotebook(f"is not a notebook (not valid JSON: {exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotANotebook("is not a notebook (JSON without a list of cells)")
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotANotebook(f"is not a valid notebook (cell {index} is malformed)")
        if not isinstance(cell.get("metadata", {}), dict):
            raise NotANotebook(f"is not a valid notebook (cell {index} has malformed metadata)")
    return nb


# --- the authority: what each graded cell must be --------------------------------------

def known_from_source(source_nb):
    """{grade_id: spec} and the grade ids in order, from an nbgrader source notebook
    (``solutions/<a>/<a>.ipynb``).  A spec: cell_type, locked, grade, solution, points, source."""
    known, order = {}, []
    for cell in source_nb.get("cells", []):
        meta = nbgrader_meta(cell)
        if not meta or not meta.get("grade_id"):
            continue
        if not (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            continue
        gid = meta["grade_id"]
        known[gid] = dict(cell_type=cell.get("cell_type", "code"), locked=bool(meta.get("locked")),
                          grade=bool(meta.get("grade")), solution=bool(meta.get("solution")),
                          points=float(meta.get("points", 0) or 0) if meta.get("grade") else None,
                          source=source_text(cell))
        order.append(gid)
    return known, order


def known_from_exercises(nb, exercises):
    """Without a source notebook: test cells ``test_<part>`` and answer cells ``<part>`` of the
    checks module's ``Exercises``, with its points; sources as they are in ``nb``."""
    mine = {}
    for cell in nb.get("cells", []):
        meta = nbgrader_meta(cell)
        if meta and meta.get("grade_id") and meta["grade_id"] not in mine:
            mine[meta["grade_id"]] = cell
    known, order = {}, []
    graded = {k for p in exercises.parts for k in (p["key"], f"test_{p['key']}")}
    for gid, cell in mine.items():  # the notebook's other cells (setup, given code) as they are
        meta = nbgrader_meta(cell)
        if gid not in graded and not meta.get("grade"):
            known[gid] = dict(cell_type=cell.get("cell_type", "code"), locked=bool(meta.get("locked")),
                              grade=False, solution=bool(meta.get("solution")), points=None,
                              source=source_text(cell))
            order.append(gid)
    for part in exercises.parts:
        key = part["key"]
        if key in mine:
            known[key] = dict(cell_type="code", locked=False, grade=False, solution=True, points=None,
                              source=source_text(mine[key]))
            order.append(key)
        test = f"test_{key}"
        src = source_text(mine[test]) if test in mine else f"check.{key}({key})"
        known[test] = dict(cell_type="code", locked=True, grade=True, solution=False,
                           points=float(part["points"]), source=src)
        order.append(test)
    return known, order


def exercises_for(assignment):
    """The ``Exercises`` registry of the checks module whose notebook is ``assignment``, or None."""
    from .. import checks
    for info in pkgutil.iter_modules(checks.__path__):
        if info.name.startswith("_") or info.name == "reference":
            continue
        try:
            module = importlib.import_module(f"{checks.__name__}.{info.name}")
        except Exception:  # a broken checks module must not stop grading the others
            continue
        exercises = getattr(module, "EXERCISES", None)
        if exercises is not None and exercises.notebook == assignment:
            return exercises
    return None


def all_exercises():
    """{assignment: Exercises} for every checks module."""
    from .. import checks
    found = {}
    for info in pkgutil.iter_modules(checks.__path__):
        if info.name.startswith("_") or info.name == "reference":
            continue
        try:
            module = importlib.import_module(f"{checks.__name__}.{info.name}")
        except Exception:
            continue
        exercises = getattr(module, "EXERCISES", None)
        if exercises is not None:
            found[exercises.notebook] = exercises
    return found


def hidden_bodies(sources):
    """The text of every hidden-test block of these test-cell sources (the instructor's)."""
    bodies = []
    for source in sources:
        for block in source.split(BEGIN_HIDDEN)[1:]:
            body = block.split(END_HIDDEN)[0]
            body = "\n".join(body.split("\n")[1:-1]).strip()    # the lines between the markers
            if len(body) >= 20:
                bodies.append(body)
    return bodies


def holds_hidden_tests(nb, source_nb=None, *, sources=None):
    """True when ``nb`` holds a hidden test of the source notebook (or of ``sources``, the test
    cells' sources): it is the instructor's own notebook (a learner never sees the hidden tests),
    for example one collected through a link to ``solutions/``."""
    if sources is None:
        sources = [source_text(c) for c in (source_nb or {}).get("cells", [])
                   if (nbgrader_meta(c) or {}).get("grade") and BEGIN_HIDDEN in source_text(c)]
    bodies = hidden_bodies(sources)
    if not bodies:
        return False
    text = "\n".join(source_text(c) for c in nb.get("cells", []) if isinstance(c, dict))
    return any(body in text for body in bodies)


SOURCE_NOTEBOOK = "this is the instructor's source notebook (it holds the hidden tests), not a learner's submission"


def looks_like(nb):
    """The assignment whose answer cells ``nb`` holds most of, or None."""
    ids = {m.get("grade_id") for m in map(nbgrader_meta, nb.get("cells", [])) if m}
    best, count = None, 0
    for assignment, exercises in all_exercises().items():
        n = len(ids & set(exercises.keys))
        if n > count:
            best, count = assignment, n
    return best


# --- the restore itself ------------------------------------------------------------------

def _meta_for(gid, spec):
    meta = {"grade": spec["grade"], "grade_id": gid, "locked": spec["locked"],
            "schema_version": SCHEMA_VERSION, "solution": spec["solution"]}
    if spec["grade"]:
        meta["points"] = spec["points"]
    return meta


def _set_type(cell, cell_type):
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _label(spec):
    if spec["grade"] and not spec["solution"]:
        return tr("test cell")
    if spec["solution"]:
        return tr("answer cell")
    return tr("locked cell")


def sanitize_cells(cells, known, order, *, make_cell=dict, assignment=None):
    """Restore ``cells`` (a list, changed in place and returned) to the authority ``known``.

    Returns ``(cells, notes, rejected)``: one note per change a learner made, and a reason
    when the notebook cannot be graded as this assignment at all (else None).
    ``make_cell`` turns a new cell (a dict) into the caller's cell type (nbformat's NotebookNode).
    """
    notes, seen, out = [], set(), []
    for index, cell in enumerate(cells):
        metadata = cell.setdefault("metadata", {})
        if "nbgrader" not in metadata:
            out.append(cell)
            continue
        meta = nbgrader_meta(cell) or {}
        gid = meta.get("grade_id")
        if gid not in known:
            if gid:
                notes.append(tr("cell {index} has nbgrader id {gid!r}, which is not a cell of this assignment: it "
                                "runs as an ordinary cell", index=index, gid=gid))
            elif meta.get("grade") or meta.get("solution") or meta.get("locked"):
                notes.append(tr("cell {index} has nbgrader metadata without an id: it runs as an ordinary cell",
                                index=index))
            del metadata["nbgrader"]
            out.append(cell)
            continue
        spec = known[gid]
        if gid in seen:
            notes.append(tr("{label} {gid} appears more than once: the first one is graded, the copy (cell "
                            "{index}) runs as an ordinary cell", label=_label(spec), gid=gid, index=index))
            del metadata["nbgrader"]
            out.append(cell)
            continue
        seen.add(gid)
        want = _meta_for(gid, spec)
        changed = []
        if meta.get("schema_version") != SCHEMA_VERSION:
            changed.append(tr("nbgrader schema_version {got!r} (should be {want})", got=meta.get("schema_version"),
                              want=SCHEMA_VERSION))
        for field in ("grade", "solution", "locked"):
            if bool(meta.get(field)) != want[field]:
                changed.append(tr("{field} {got} (should be {want})", field=field, got=bool(meta.get(field)),
                                  want=want[field]))
        if spec["grade"]:
            try:
                points = float(meta.get("points"))
            except (TypeError, ValueError):
                points = None
            if points != spec["points"]:
                changed.append(tr("points {got!r} (should be {want:g})", got=meta.get("points"), want=spec["points"]))
        if cell.get("cell_type") != spec["cell_type"]:
            changed.append(tr("cell type {got} (should be {want})", got=cell.get("cell_type"), want=spec["cell_type"]))
            _set_type(cell, spec["cell_type"])
        if changed:
            notes.append(tr("{label} {gid}: {changes}; restored", label=_label(spec), gid=gid,
                            changes=", ".join(changed)))
        metadata["nbgrader"] = want
        if spec["locked"]:
            mine = source_text(cell)
            if mine != spec["source"]:
                if mine != strip_hidden(spec["source"]):
                    notes.append(tr("{label} {gid} was edited; the original runs instead", label=_label(spec), gid=gid))
                cell["source"] = spec["source"]
        out.append(cell)

    answers = [gid for gid in order if known[gid]["solution"]]
    rejected = None
    if answers and not any(gid in seen for gid in answers):
        rejected = (tr("none of its answer cells belong to {assignment}", assignment=assignment) if assignment
                    else tr("none of its answer cells belong to this assignment"))

    # graded cells that were deleted: put back after the nearest earlier cell that is there
    for position, gid in enumerate(order):
        spec = known[gid]
        if not spec["grade"] or gid in seen:
            continue
        where = 0
        for earlier in reversed(order[:position]):
            hit = next((i for i, c in enumerate(out) if (nbgrader_meta(c) or {}).get("grade_id") == earlier), None)
            if hit is not None:
                where = hit + 1
                break
        ids = {c.get("id") for c in out}
        new = {"cell_type": spec["cell_type"], "id": gid if gid not in ids else f"{gid}-restored",
               "metadata": {"deletable": False, "editable": False, "nbgrader": _meta_for(gid, spec)},
               "source": spec["source"]}
        if spec["cell_type"] == "code":
            new.update(outputs=[], execution_count=None)
        out.insert(where, make_cell(new))
        seen.add(gid)
        if rejected is None:
            notes.append(tr("{label} {gid} was missing; it was put back", label=_label(spec), gid=gid))

    cells[:] = out
    return cells, notes, rejected


class Sanitized:
    """A submission ready to grade: ``nb`` (restored), ``notes`` and ``rejected`` (or None)."""

    def __init__(self, nb, notes, rejected):
        self.nb, self.notes, self.rejected = nb, notes, rejected


def sanitize(nb, *, assignment, source_nb=None, exercises=None):
    """A restored copy of ``nb``, with the source notebook (preferred) or ``exercises`` as the
    authority; with neither, ``nb`` as it is.  Its notes are in the notebook's language."""
    with i18n.speaking(i18n.notebook_language(nb) if isinstance(nb, dict) else None):
        return _sanitize(nb, assignment=assignment, source_nb=source_nb, exercises=exercises)


def _sanitize(nb, *, assignment, source_nb=None, exercises=None):
    original, nb = nb, copy.deepcopy(nb)
    if source_nb is not None:
        known, order = known_from_source(source_nb)
        notes_extra = []
    elif exercises is not None:
        known, order = known_from_exercises(nb, exercises)
        notes_extra = [tr("no source notebook found: the test cells run as they are in this notebook")]
    else:
        return Sanitized(nb, [tr("no source notebook and no checks module for {assignment}: graded as it is",
                                 assignment=assignment)], None)
    _, notes, rejected = sanitize_cells(nb["cells"], known, order, assignment=assignment)
    other = looks_like(original)
    if other and other != assignment:
        # more of another assignment's answer cells than of this one's (an exercise both share
        # would otherwise be graded with the other notebook's answer)
        rejected = tr("this is {other}'s notebook, not {assignment}'s", other=other, assignment=assignment)
    elif rejected is not None:
        rejected = tr("{rejected}: another notebook saved under this name, or every answer cell deleted",
                      rejected=rejected)
    return Sanitized(nb, notes_extra + notes, rejected)


def points_disagree(source_nb, exercises):
    """Instructor check: (grade_id, points in the source, points in Exercises) that differ."""
    known, _ = known_from_source(source_nb)
    out = []
    for part in exercises.parts:
        spec = known.get(f"test_{part['key']}")
        if spec is None or spec["points"] != float(part["points"]):
            out.append((f"test_{part['key']}", None if spec is None else spec["points"], part["points"]))
    return out
