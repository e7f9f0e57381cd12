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
"""
import copy
import filecmp
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import submission


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
        import json
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
    env = dict(__import__("os").environ)
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
            target = course / "notebooks" / a
            target.mkdir(parents=True, exist_ok=True)
            for new_path in sorted((Path(scratch) / a).rglob("*")):
                if new_path.is_dir():
                    continue
                old_path = target / new_path.relative_to(Path(scratch) / a)
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
    say(f"notebooks/: {counts['regenerated']} file(s) regenerated, {counts['unchanged']} unchanged, "
        f"{len(refused)} kept or failed")
    return refused


def add_to_gradebook(course, assignments=None, *, say=print):
    """Add the assignments missing from the gradebook (``notebooks/`` is not touched)."""
    from . import classgrade
    course = Path(course).resolve()
    cfg = classgrade.load_config(course)
    assignments = assignments or classgrade.all_assignments(course, cfg)
    added = classgrade.ensure_gradebook(course, copy.deepcopy(cfg), assignments, say)
    if not added:
        say("the gradebook already has " + ", ".join(assignments))
    return added


def main_from_args(args):
    if getattr(args, "command", "") == "gradebook":
        add_to_gradebook(args.course, args.assignments)
        return 0
    refused = generate(args.course, args.assignments, force=args.force)
    return 1 if refused else 0
