"""``course-check generate``: regenerate ``notebooks/`` from ``solutions/`` without losing a
learner's work, and ``course-check gradebook``: put assignments in nbgrader's gradebook.

``nbgrader generate_assignment A --force`` deletes ``notebooks/A`` and writes it again, but
``notebooks/`` is also the folder ``make lab`` opens for self-study learners, who edit those
notebooks in place.  ``generate`` therefore writes each assignment into a scratch folder first
(``--no-db``, as the sync test does) and then, per notebook:

* the same as what is there: nothing to do;
* what is there is a learner's work (it has outputs, an answer cell that is neither the new stub
  nor the committed one, or a cell the learner added): **refused**, the notebook is kept, and the
  command exits 1; ``--force`` overwrites it after saving it as ``<name>.ipynb.bak-<time>``;
* otherwise (an older generation): replaced.

Nothing is ever deleted from ``notebooks/<A>/``.

``gradebook`` adds every assignment missing from ``gradebook.db`` by generating it into a
scratch release folder: ``make generate`` runs with ``--no-db``, and ``nbgrader autograde``,
``release_assignment`` and ``course-check class`` need the assignment in the gradebook.

Two more things happen in every nbgrader process that reads the course's ``nbgrader_config.py``
(``nbgrader generate_assignment``, the Formgrader's Generate button, ``make generate``):

* ``keep_learner_work()``: nbgrader's ``generate_assignment`` deletes ``notebooks/<A>`` before
  writing it when given ``--force`` (the Formgrader always gives it) or when the source is newer,
  and deletes it again when generation fails.  With the course's configuration it regenerates
  in place instead: nothing in the folder is deleted (checkpoints, a learner's own files), a
  notebook that held a learner's work is saved beside the new one as ``<name>.ipynb.bak-<time>``
  and the log names the backup; whatever a failed generation removed is put back.
* ``cells_that_may_raise()``: the learner's copy tags the cells that fail while an exercise is
  unfinished (test cells, and demo cells that use an exercise's functions) ``raises-exception``,
  so JupyterLab's Run All goes on past them to the end of the notebook.  The solution notebooks
  are not tagged: nbval honours the tag too, and a broken solution must fail.
"""
import ast
import copy
import filecmp
import json
import os
import re
import shutil
import subprocess
import symtable
import sys
import tempfile
import time
from pathlib import Path

from .. import i18n
from ..trusted import submission


def _answers(nb):
    return {m["grade_id"]: submission.source_text(c) for c in nb.get("cells", [])
            for m in [submission.nbgrader_meta(c)] if m and m.get("solution") and m.get("grade_id")}


def _committed(course, path):
    """The notebook as the last commit has it, or None (not a git checkout, or not committed)."""
    try:
        rel = Path(path).resolve().relative_to(Path(course).resolve())
        proc = subprocess.run(["git", "show", f"HEAD:{rel.as_posix()}"], cwd=course, capture_output=True,
                              timeout=30)
    except (ValueError, OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    try:
        return json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        return None


def learner_changes(existing, new, committed=None):
    """Why ``existing`` looks like a learner's work (a list of reasons; empty: it does not)."""
    reasons = []
    if any(c.get("outputs") or c.get("execution_count") for c in existing.get("cells", [])
           if c.get("cell_type") == "code"):
        reasons.append("it has outputs (it was run)")
    stubs = _answers(new)
    before = _answers(committed) if committed else {}
    for gid, src in _answers(existing).items():
        if src != stubs.get(gid) and src != before.get(gid):
            reasons.append(f"answer cell {gid} was edited")
            break
    known = {submission.source_text(c) for nb in (new, committed) if nb for c in nb.get("cells", [])}
    extra = [c for c in existing.get("cells", []) if submission.nbgrader_meta(c) is None
             and submission.source_text(c) not in known]
    if extra:
        reasons.append(f"{len(extra)} cell(s) were added")
    return reasons


def generate(course, assignments=None, *, force=False, say=print):
    """Regenerate ``notebooks/`` (see the module docstring); returns the refused notebooks."""
    course = Path(course).resolve()
    source = course / "solutions"
    assignments = assignments or sorted(p.name for p in source.iterdir() if p.is_dir() and list(p.glob("*.ipynb")))
    bindir = Path(sys.executable).parent
    nbgrader = shutil.which("nbgrader", path=str(bindir)) or shutil.which("nbgrader") or "nbgrader"
    env = dict(os.environ)
    env["PATH"] = f"{bindir}:{env.get('PATH', '')}"
    refused, counts = [], {"regenerated": 0, "unchanged": 0}
    with tempfile.TemporaryDirectory() as scratch:
        for a in assignments:
            proc = subprocess.run([nbgrader, "generate_assignment", a, "--force", "--no-db",
                                   f"--CourseDirectory.release_directory={scratch}"],
                                  cwd=course, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                say(f"{a}: nbgrader generate_assignment failed:\n{proc.stderr[-3000:]}")
                refused.append(a)
                continue
            fresh = Path(scratch) / a
            for lang in i18n.translated_languages(course):
                try:
                    _write_edition(course, lang, a, fresh, Path(scratch) / lang / a)
                except ValueError as exc:      # an incomplete translation: the English still goes out
                    say(f"{i18n.edition_dir(lang)}/{a}: not regenerated, {exc}")
                    refused.append(f"{i18n.edition_dir(lang)}/{a}")
            for lang, new_dir in [(i18n.SOURCE_LANGUAGE, fresh)] + [
                    (lang, Path(scratch) / lang / a) for lang in i18n.translated_languages(course)
                    if (Path(scratch) / lang / a).is_dir()]:
                _install(course, new_dir, course / i18n.edition_dir(lang) / a, force, say, refused, counts)
    say(f"notebooks/: {counts['regenerated']} file(s) regenerated, {counts['unchanged']} unchanged, "
        f"{len(refused)} kept or failed")
    return refused


def _write_edition(course, lang, assignment, english_dir, out_dir):
    """The learner notebooks of ``english_dir`` in ``lang`` (markdown translated, code the same)."""
    import nbformat
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(english_dir.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        translated = i18n.edition(course, lang, assignment, nb)
        # written as nbgrader writes a notebook (nbformat: sources as lists of lines), so the nbgrader
        # path (COURSE_LANG=ko nbgrader generate_assignment) gives the same bytes
        (out_dir / path.name).write_text(nbformat.writes(nbformat.from_dict(translated)) + "\n", encoding="utf-8")


def _install(course, new_dir, target, force, say, refused, counts):
    """Copy a freshly generated assignment folder over ``target``, keeping a learner's work."""
    target.mkdir(parents=True, exist_ok=True)
    for new_path in sorted(new_dir.rglob("*")):
        if new_path.is_dir():
            continue
        old_path = target / new_path.relative_to(new_dir)
        if old_path.exists() and filecmp.cmp(old_path, new_path, shallow=False):
            counts["unchanged"] += 1
            continue
        if old_path.exists() and old_path.suffix == ".ipynb":
            try:
                existing = submission.read(old_path)
                why = learner_changes(existing, submission.read(new_path), _committed(course, old_path))
            except submission.NotANotebook as exc:
                why = [f"it {exc}"]
            if why and not force:
                say(f"{old_path.relative_to(course)}: NOT regenerated, it looks like a learner's work "
                    f"({'; '.join(why)}). Move it away, or run with --force (FORCE=1) to "
                    f"overwrite it after a backup.")
                refused.append(str(old_path))
                continue
            if why:
                backup = old_path.with_name(old_path.name + time.strftime(".bak-%Y%m%d-%H%M%S"))
                shutil.copy2(old_path, backup)
                say(f"{old_path.relative_to(course)}: saved as {backup.name} before overwriting")
        old_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = old_path.with_name(old_path.name + ".tmp")
        shutil.copyfile(new_path, tmp)
        tmp.replace(old_path)
        counts["regenerated"] += 1
        say(f"{old_path.relative_to(course)}: regenerated")


def add_to_gradebook(course, assignments=None, *, say=print):
    """Add the assignments missing from the gradebook (``notebooks/`` is not touched)."""
    from . import class_nbgrader, classgrade
    course = Path(course).resolve()
    cfg = class_nbgrader.load_config(course)
    assignments = assignments or classgrade.all_assignments(course, cfg)
    added = class_nbgrader.ensure_gradebook(course, copy.deepcopy(cfg), assignments, say)
    if not added:
        say("the gradebook already has " + ", ".join(assignments))
    return added


def main_from_args(args):
    if getattr(args, "command", "") == "gradebook":
        add_to_gradebook(args.course, args.assignments)
        return 0
    refused = generate(args.course, args.assignments, force=args.force)
    return 1 if refused else 0


# --- Run All goes on past the cells an unfinished exercise makes fail ----------------------------

RAISES = "raises-exception"


def _names(source):
    """(names the cell binds at its top level, the global names it reads, the attributes it reads).

    A name the cell binds itself before it reads it (``x = ...; f(x)``, a loop variable) is not
    read from an earlier cell; neither are a function's parameters and locals.
    """
    try:
        table = symtable.symtable(source, "<cell>", "exec")
        tree = ast.parse(source)
    except SyntaxError:   # IPython syntax (%magic, !shell): every identifier counts as read
        words = set(re.findall(r"[A-Za-z_]\w*", source))
        return set(), words, words
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    reads = {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.get_name() not in bound}
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        stack.extend(child.get_children())
        reads |= {s.get_name() for s in child.get_symbols()
                  if s.is_referenced() and s.is_global() and s.get_name() not in bound}
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return bound, reads, attributes


def cells_that_may_raise(nb):
    """Indices of the code cells of a source notebook that fail in a learner's fresh copy.

    A test cell fails while its exercise is unfinished; so may any other cell that uses what an
    answer cell defines (``affine_forward``, or ``x.backward()`` for a method attached to a class),
    or reads a name bound by a cell that may fail (a demo's ``sample_gradients`` that calls the
    learner's code).  Answer cells themselves are left alone: an error there is the learner's own,
    and Run All should stop at it.  (A superset is harmless: the tag only lets Run All go on.)
    """
    answers, tainted, marked = set(), set(), []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = submission.nbgrader_meta(cell) or {}
        bound, reads, attributes = _names(submission.source_text(cell))
        if meta.get("solution"):
            answers |= bound
            tainted |= bound
        elif meta.get("grade"):
            marked.append(i)
        elif reads & tainted or attributes & answers:
            marked.append(i)
            tainted |= bound
    return marked


def tag_cells_that_may_raise(nb):
    """Tag ``raises-exception`` on ``cells_that_may_raise(nb)`` (in place); returns their indices."""
    marked = cells_that_may_raise(nb)
    for i in marked:
        meta = nb["cells"][i].setdefault("metadata", {})
        tags = list(meta.get("tags", []))
        if RAISES not in tags:
            meta["tags"] = tags + [RAISES]
    return marked


# --- every nbgrader regeneration keeps a learner's work --------------------------------------

def _is_newer(converter, assignment_id, student_id, dest):
    src = converter._format_source(assignment_id, student_id)
    new, old = (converter.coursedir.get_existing_timestamp(p) for p in (src, dest))
    return new is not None and old is not None and new > old


def _destinations(converter):
    """The release folders ``convert_notebooks`` is about to write, as in nbgrader's own loop."""
    regexp = converter._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
    found = []
    for assignment in sorted(converter.assignments):
        m = re.match(regexp, assignment)
        if m:
            dest = Path(os.path.normpath(converter._format_dest(m["assignment_id"], m["student_id"])))
            if dest.is_dir():
                found.append(dest)
    return found


def _settle(converter, dest, held, stamp):
    """After nbgrader wrote ``dest``: put back what it removed, back up a learner's overwritten work."""
    log = converter.log
    course = Path(converter.coursedir.root)
    for old in sorted(p for p in held.rglob("*") if p.is_file() or p.is_symlink()):
        rel = old.relative_to(held)
        target = dest / rel
        if not target.exists() and not target.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(old, target, follow_symlinks=False)
            log.warning("%s: put back (nbgrader removed it while regenerating)", target)
            continue
        if target.suffix != ".ipynb" or ".ipynb_checkpoints" in rel.parts or filecmp.cmp(old, target, shallow=False):
            continue
        try:
            why = learner_changes(submission.read(old), submission.read(target), _committed(course, target))
        except submission.NotANotebook as exc:
            why = [f"it {exc}"]
        if why:
            backup = target.with_name(f"{target.name}.bak-{stamp}")
            shutil.copy2(old, backup)
            log.warning("%s held a learner's work (%s): saved as %s before regenerating it",
                        target, "; ".join(why), backup.name)


def keep_learner_work():
    """Make nbgrader's ``generate_assignment`` keep what is in the release folder (idempotent).

    nbgrader deletes ``notebooks/<A>`` before writing it (``--force``, or a newer source) and again
    when generation fails; the Formgrader's Generate button always forces.  Here the folder is
    written in place instead (each notebook overwritten, nothing else touched), a copy of it is held
    while nbgrader runs, and afterwards every file nbgrader removed is put back and every
    overwritten notebook that held a learner's work is saved beside it as ``<name>.ipynb.bak-<time>``,
    with a warning in the log (the Formgrader shows the log) naming the backup.
    """
    from nbgrader.converters import GenerateAssignment
    if getattr(GenerateAssignment, "_keeps_learner_work", False):
        return
    original_init, original_convert = GenerateAssignment.init_destination, GenerateAssignment.convert_notebooks

    def init_destination(self, assignment_id, student_id):
        dest = os.path.normpath(self._format_dest(assignment_id, student_id))
        excluded = student_id in (self.coursedir.student_id_exclude or "").split(",")
        if (not excluded and os.path.isdir(dest)
                and (self.force or _is_newer(self, assignment_id, student_id, dest))):
            self.log.info("Regenerating %s in place (the course keeps what is in it)", dest)
            return True
        return original_init(self, assignment_id, student_id)

    def convert_notebooks(self):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        with tempfile.TemporaryDirectory(prefix="nbgrader-held-") as scratch:
            held = []
            for i, dest in enumerate(_destinations(self)):
                copy_of = Path(scratch) / str(i)
                shutil.copytree(dest, copy_of, symlinks=True)
                held.append((dest, copy_of))
            try:
                original_convert(self)
            finally:
                for dest, copy_of in held:
                    _settle(self, dest, copy_of, stamp)

    GenerateAssignment.init_destination = init_destination
    GenerateAssignment.convert_notebooks = convert_notebooks
    GenerateAssignment._keeps_learner_work = True
