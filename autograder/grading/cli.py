"""course-check: grade notebooks without a kernel, show progress, grade a class.

    course-check progress [DIR] [--json] [--strict]   every notebook under DIR (default: notebooks)
                                                      (notebooks-ko for the Korean edition)
    course-check grade NOTEBOOK... [--json]           each graded cell of each notebook, with the reasons
    course-check class ASSIGNMENT... | --all          nbgrader autograde for a class, then a summary
                                                      and the class mistake report (instructors)
    course-check generate [ASSIGNMENT...] [--force]   regenerate notebooks/ from solutions/ without
                                                      overwriting a learner's work (instructors)
    course-check gradebook [ASSIGNMENT...]            add assignments to nbgrader's gradebook
                                                      (notebooks/ untouched; instructors)

Notebooks are graded in parallel child processes (``autograder.grading.runner``); a notebook that
crashes Python, never finishes or is not a notebook at all is reported in one line and the
others are still graded.  The test cells and points come from the instructor's source notebook
(``solutions/``) and the checks modules, not from the notebook being graded, exactly as nbgrader
grades it.

Each notebook's feedback is in the notebook's own language (``metadata.course.language``: the
notebooks in notebooks-ko/ speak Korean); ``--lang en|ko`` (or $AUTOGRADER_LANG) chooses one
for every notebook.

Exit status
    progress  0 when every notebook could be graded (whatever its score: it is a report);
              1 when a notebook could not be graded (not a notebook, another assignment's
              notebook, a cell that stops the kernel), or with --strict when any part has not
              passed; 2 when DIR holds no notebook.
    grade     0 when every part of every notebook passed, 1 otherwise.
    class     0 when every submission was graded, 1 when one was not (see the summary), 2 on a
              usage error (no nbgrader_config.py, no submissions).
    generate  0 when every notebook was regenerated or left as it was, 1 when one was refused
              because it holds a learner's work (see --force).
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from .. import i18n
from . import runner
from ..i18n import N_, tr, translated


# The words of the status column (the English ones are what _status returns and --json keeps).
STATUS_WORDS = {"passed": N_("passed"), "failed": N_("failed"), "not implemented yet": N_("not implemented yet"),
                "not graded": N_("not graded")}


def _status(row):
    if row["passed"]:
        return "passed"
    if row.get("key") == "not_implemented" or "not implemented yet" in row["message"]:
        return "not implemented yet"
    if row.get("key") == "not_graded":
        return "not graded"
    return "failed"


def _one_line(text, width):
    line = runner._one_line(text)
    return line if len(line) <= width else line[:max(10, width - 3)] + "..."


def _bar(done, total, width=10):
    filled = int(round(width * done / total)) if total else 0
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _width():
    return max(60, shutil.get_terminal_size((100, 20)).columns)


def print_notebook(result, width=None, verbose=False):
    """The table of one notebook, as ``progress`` and ``grade`` show it, in the notebook's language."""
    with i18n.speaking(i18n.language_of_file(result["path"]) if result.get("path") else None):
        _print_notebook(result, width, verbose)


def _print_notebook(result, width=None, verbose=False):
    width = width or _width()
    name = Path(result["path"]).stem if result.get("path") else result["assignment"]
    graded = result["status"] == "graded"
    score = result["score"]
    print(f"{name:<34} {_bar(score, result['max'])} " + tr("{score:>4g} / {max:g} points", score=score,
                                                             max=result["max"]))
    if not graded:
        status = result["status"]
        if status.startswith("not graded: "):
            status = tr("not graded: {reason}", reason=translated(status[len("not graded: "):]))
        print(f"  ! {_one_line(status, width - 4)}")
        if result.get("recovered") is not None:
            print("    " + tr("(nbgrader records 0 for this notebook; without that cell, the rest earns "
                              "{recovered:g} / {max:g})", recovered=result["recovered"], max=result["max"]))
    for note in result.get("notes", []):
        print("  " + tr("note: {note}", note=_one_line(note, width - 8)))
    rows = result["rows"]
    if not verbose and graded and len(rows) > 1 and all(_status(r) == "not implemented yet" for r in rows):
        print("  [ ] " + tr("all {count} parts not implemented yet", count=len(rows)))
        rows = []
    for row in rows:
        mark = "x" if row["passed"] else " "
        got = row["points"] if row["passed"] else 0
        status = _status(row)
        print(f"  [{mark}] {row['grade_id']:<32} {got:>2g}/{row['points']:<3g} "
              + translated(STATUS_WORDS.get(status, status)))
        if status == "failed":  # the named mistake, in one line
            lines = runner._one_line(row["message"]) if not verbose else row["message"].strip()
            if lines.startswith("CheckFailed: "):
                lines = lines[len("CheckFailed: "):]
            for line in lines.splitlines():
                print(f"        {line}")
    shown = [e for e in result.get("errors", []) if _worth_showing(e)]
    for error in shown[:3]:
        where = {"answer": N_("answer cell {cell}"), "locked": N_("setup cell {cell}")}.get(error["kind"],
                                                                                        N_("cell {cell}"))
        print("  " + translated(where).format(cell=error["cell"]) + f": {_one_line(error['message'], width - 20)}")
    if len(shown) > 3:
        print("  " + tr("... and {count} more cells with errors", count=len(shown) - 3))


def _worth_showing(error):
    """Errors outside test cells that explain lost points: answer and setup cells, syntax errors.
    A demo cell that calls an unfinished function is not news."""
    if error["key"] == "NotImplementedError":
        return False
    return error["kind"] in ("answer", "locked") or error["key"] in ("SyntaxError", "IndentationError",
                                                                     "ModuleNotFoundError", "ImportError")


def _find_notebooks(root):
    """``<assignment>/<assignment>.ipynb`` under ``root``: the notebooks nbgrader grades (a
    learner's scratch notebook next to them is not one)."""
    return sorted(p for p in Path(root).glob("*/*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and p.stem == p.parent.name)


def _one_language(results):
    """The language the notebooks of ``results`` share, or None (English) when they differ."""
    found = {i18n.language_of_file(r["path"]) for r in results if r.get("path")}
    return found.pop() if len(found) == 1 else None


def _lang(p):
    p.add_argument("--lang", choices=sorted(i18n.LANGUAGES), default=None,
                   help="the language of the feedback (default: each notebook's own; $AUTOGRADER_LANG)")


def _common(p):
    p.add_argument("--json", action="store_true", help="print the results as JSON (for scripts)")
    p.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: CPU count)")
    p.add_argument("--cell-seconds", type=float, default=runner.CELL_SECONDS,
                   help="a cell is stopped after this long (default %(default)g)")
    _lang(p)


def cmd_progress(args):
    root = Path(args.dir)
    notebooks = _find_notebooks(root)
    if not notebooks:
        print(f"no notebooks found under {root}/<assignment>/", file=sys.stderr)
        return 2
    results = runner.grade_paths(notebooks, workers=args.jobs, cell_seconds=args.cell_seconds)
    done = sum(r["score"] for r in results)
    total = sum(r["max"] for r in results)
    if args.json:
        json.dump({"notebooks": results, "score": done, "max": total}, sys.stdout, indent=1)
        print()
    else:
        for result in results:
            print_notebook(result)
        with i18n.speaking(_one_language(results)):
            print("\n" + tr("total: {done:g} / {total:g} points", done=done, total=total))
    broken = any(r["status"] != "graded" for r in results)
    failing = any(not row["passed"] for r in results for row in r["rows"])
    return 1 if broken or (args.strict and failing) else 0


def cmd_grade(args):
    results = runner.grade_paths(args.notebooks, workers=args.jobs, cell_seconds=args.cell_seconds)
    if args.json:
        json.dump({"notebooks": results}, sys.stdout, indent=1)
        print()
    else:
        for result in results:
            print(f"== {result['path']}")
            print_notebook(result, verbose=True)
    ok = all(r["status"] == "graded" and all(row["passed"] for row in r["rows"]) for r in results)
    return 0 if ok else 1


def cmd_class(args):
    from . import classgrade
    return classgrade.main_from_args(args)


def cmd_generate(args):
    from . import release
    return release.main_from_args(args)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course-check", description=__doc__.splitlines()[0],
                                     epilog=__doc__[__doc__.index("Exit status"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("progress", help="progress table of every notebook in a folder")
    p.add_argument("dir", nargs="?", default="notebooks")
    p.add_argument("--strict", action="store_true", help="exit 1 unless every part passed")
    _common(p)
    p.set_defaults(func=cmd_progress)
    g = sub.add_parser("grade", help="grade notebooks and show why a cell failed")
    g.add_argument("notebooks", nargs="+")
    _common(g)
    g.set_defaults(func=cmd_grade)
    c = sub.add_parser("class", help="grade a class with nbgrader, then the summary and mistake report")
    c.add_argument("assignments", nargs="*")
    c.add_argument("--all", action="store_true", help="every assignment of the course")
    c.add_argument("--course", default=".", help="the course folder (with nbgrader_config.py)")
    c.add_argument("--student", action="append", default=[], help="only these students (repeatable)")
    c.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: CPU count + 1)")
    c.add_argument("--timeout", type=float, default=None,
                   help="seconds per cell for nbgrader (default: c.Execute.timeout)")
    c.add_argument("--feedback", action="store_true", help="also generate feedback HTML")
    c.add_argument("--no-sandbox", action="store_true",
                   help="run learners' code as yourself (the default sandbox needs root)")
    c.add_argument("--out", default=None, help="report folder (default: COURSE/class_report)")
    c.add_argument("--quiet", action="store_true", help="no progress lines")
    c.add_argument("--grader", default=None, metavar="MODULE:FUNCTION",
                   help="per-notebook rows grader, grade(submission, source, *, seconds, wrap) -> rows "
                        "(default: autograder.trusted.grader:grade, whose verdict is the grade of record)")
    c.add_argument("--fast", action="store_true",
                   help="grade with the kernel-free autograder.grading.runner instead of trusted grading: "
                        "faster, but learners' code shares a process with the checks and a cheat can "
                        "fool it (docs/integrity.md)")
    _lang(c)
    c.set_defaults(func=cmd_class)
    r = sub.add_parser("generate", help="regenerate notebooks/ from solutions/ (keeps learners' work)")
    r.add_argument("assignments", nargs="*")
    r.add_argument("--course", default=".")
    r.add_argument("--force", action="store_true",
                   help="overwrite changed notebooks too (a copy is kept next to each)")
    r.set_defaults(func=cmd_generate)
    b = sub.add_parser("gradebook", help="add assignments to nbgrader's gradebook (notebooks/ untouched)")
    b.add_argument("assignments", nargs="*")
    b.add_argument("--course", default=".")
    b.set_defaults(func=cmd_generate)
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    if not getattr(args, "lang", None):
        return args.func(args)
    before = os.environ.get("AUTOGRADER_LANG")
    os.environ["AUTOGRADER_LANG"] = args.lang     # the graders' child processes and sandboxes read it too
    try:
        return args.func(args)
    finally:
        if before is None:
            os.environ.pop("AUTOGRADER_LANG", None)
        else:
            os.environ["AUTOGRADER_LANG"] = before


if __name__ == "__main__":
    sys.exit(main())
