"""Measure how well the checks name mistakes: the replay catalog of each notebook, and the generic
check_layer on planted layer bugs.  Writes docs/mistakes.md with, per mistake, the sentence a
learner reads.

    .venv/bin/python -m benchmarks.mistakes               # kernel-free, as course-check grades
    .venv/bin/python -m benchmarks.mistakes --kernel      # also through the check cell in a kernel
    .venv/bin/python -m benchmarks.mistakes --out /tmp/x  # somewhere else than docs/
    .venv/bin/python -m benchmarks.mistakes --json r.json # every row, for scripts
    AUTOGRADER_LANG=ko .venv/bin/python -m benchmarks.mistakes --out /tmp/ko   # the sentences in Korean
    .venv/bin/python -m benchmarks.mistakes --holdout     # the blind catalog instead (docs/holdout*.md)
    .venv/bin/python -m benchmarks.mistakes --holdout --only 04 --json r.json   # one notebook, no docs

A catalog row (tests/mistakes/<NN_topic>.py) is a whole answer cell with one realistic mistake
and the key its part's check must report.  **Caught**: the part's test cell fails (hidden tests
included).  **Named**: it fails with the row's key and that key says what to fix (it is not one of
the generic keys in tests/mistakes/__init__.py: GENERIC).  Figures are reported, never asserted
(tests/checks/test_mistakes.py asserts every row).

``--holdout`` replays the blind catalog, tests/mistakes_holdout/<NN_topic>.py (the same ``Mistake``
rows, but ``key`` is what its authors thought a precise check should say, not a key of the checks),
and rewrites the "After the fixes" section at the top of docs/holdout.md (00-03) and
docs/holdout_04_06.md (04-06); the rest of those pages is the blind measure of the code before the
fixes, kept as it was.  There **named** means caught with a key not in GENERIC.
"""
import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def _first(message):
    text = (message or "").strip()
    if text.startswith("CheckFailed: "):
        text = text[len("CheckFailed: "):]
    return text.splitlines()[0] if text else ""


def measure_catalogs(kernel=False, catalog=None, holdout=False):
    """One row per catalogued mistake (``catalog``: {assignment: [Mistake]}, default the replay
    catalog): what the graded path (and the kernel) said.  ``holdout``: the rows' keys are not the
    checks' own, so any key outside GENERIC counts as named."""
    from mistakes import GENERIC, Kernel, Outcome, catalogs, replay, replay_in_kernel, solution_notebook
    rows = []
    for assignment, mistakes in (catalogs() if catalog is None else catalog).items():
        session = Kernel(solution_notebook(assignment)[0].parent).__enter__() if kernel and mistakes else None
        try:
            for m in mistakes:
                try:
                    graded = replay(assignment, m)
                except Exception as exc:   # a row that cannot replay is reported, not hidden
                    graded = Outcome(caught=False, key="replay_error", message=f"{type(exc).__name__}: {exc}")
                row = {"assignment": assignment, "part": m.part, "what": m.what, "kind": m.kind,
                       "expected": m.key, "caught": graded.caught, "key": graded.key,
                       "named": graded.caught and graded.key not in GENERIC and (holdout or graded.key == m.key),
                       "sentence": _first(graded.message)}
                if session is not None:
                    in_kernel = replay_in_kernel(session, assignment, m)
                    row["kernel_key"] = in_kernel.key
                    row["kernel_agrees"] = in_kernel.key == graded.key and \
                        _first(in_kernel.message) == _first(graded.message)
                rows.append(row)
        finally:
            if session is not None:
                session.__exit__(None, None, None)
    return rows


def measure_layer_bugs():
    """The generic check_layer (no exercise rows) on tests/layer_bugs.py."""
    import autograder as ag
    from layer_bugs import BUGS
    from mistakes import GENERIC
    rows = []
    for bug in BUGS:
        try:
            bug.run(ag.check_layer)
        except ag.CheckFailed as exc:
            keys = set(exc.keys.values()) | {exc.key}
            key = bug.key if bug.key in keys else exc.key
            rows.append({"layer": bug.layer.name, "what": bug.what, "expected": bug.key, "caught": True,
                         "key": key, "named": key == bug.key and key not in GENERIC,
                         "sentence": _first(str(exc).split(": ", 1)[-1])})
        else:
            rows.append({"layer": bug.layer.name, "what": bug.what, "expected": bug.key, "caught": False,
                         "key": "", "named": False, "sentence": ""})
    return rows


def coverage():
    """{assignment: (parts with at least two catalogued mistakes, parts)} for every notebook."""
    import importlib
    import re
    from mistakes import catalogs
    rows = catalogs()
    found = {}
    for nb in sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit()):
        text = (ROOT / "solutions" / nb / f"{nb}.ipynb").read_text(encoding="utf-8")
        topic = re.search(r"from autograder\.checks import (\w+) as check", text).group(1)
        parts = importlib.import_module(f"autograder.checks.{topic}").EXERCISES.keys
        counts = {p: sum(1 for m in rows.get(nb, []) if m.part == p) for p in parts}
        found[nb] = (sum(1 for c in counts.values() if c >= 2), len(parts))
    return found


def _share(part, whole):
    return f"{part} / {whole} ({round(100 * part / whole)}%)" if whole else "0 / 0"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(catalog, layers, kernel, covered=None):
    lines = ["# Mistakes the checks catch and name", "",
             "Generated by `python -m benchmarks.mistakes` (do not edit by hand). Each row of a notebook's "
             "table is a realistic wrong answer from `tests/mistakes/<NN_topic>.py`: a whole answer cell as a "
             "learner would write it, graded as `course-check grade` grades it (hidden tests included). "
             "**Caught**: the part's test cell fails. **Named**: it fails with the mistake's own key, one that "
             "says what to fix (not a generic key such as `wrong_values`). The sentence is the first line the "
             "learner reads under the part in `course-check progress` and in the check cell.", ""]
    covered = covered or {}
    notebooks = sorted({r["assignment"] for r in catalog} | set(covered))
    lines += ["## Per notebook", "", "| notebook | parts with 2+ mistakes | mistakes | caught | named |"
              + (" kernel agrees |" if kernel else ""), "|---|---|---|---|---|" + ("---|" if kernel else "")]
    for nb in notebooks:
        rows = [r for r in catalog if r["assignment"] == nb]
        caught, named = sum(r["caught"] for r in rows), sum(r["named"] for r in rows)
        extra = f" {_share(sum(r.get('kernel_agrees', False) for r in rows), len(rows))} |" if kernel else ""
        parts = "{} / {}".format(*covered[nb]) if nb in covered else ""
        lines.append(f"| {nb} | {parts} | {len(rows)} | {_share(caught, len(rows))} | {_share(named, len(rows))} |{extra}")
    total = len(catalog)
    lines.append(f"| **all** | | {total} | {_share(sum(r['caught'] for r in catalog), total)} | "
                 f"{_share(sum(r['named'] for r in catalog), total)} |"
                 + (f" {_share(sum(r.get('kernel_agrees', False) for r in catalog), total)} |" if kernel else ""))
    lines.append("")
    for nb in (nb for nb in notebooks if any(r["assignment"] == nb for r in catalog)):
        lines += [f"## {nb}", "", "| part | mistake | kind | key | caught | named | what the learner reads |",
                  "|---|---|---|---|---|---|---|"]
        for r in (r for r in catalog if r["assignment"] == nb):
            key = r["key"] if r["key"] == r["expected"] else f"{r['key'] or '(passed)'} (expected {r['expected']})"
            lines.append(f"| {r['part']} | {_cell(r['what'])} | {r['kind']} | `{key}` | "
                         f"{'yes' if r['caught'] else '**no**'} | {'yes' if r['named'] else 'no'} | {_cell(r['sentence'])} |")
        lines.append("")
    caught, named = sum(r["caught"] for r in layers), sum(r["named"] for r in layers)
    specific = sum(1 for r in layers if r["expected"] not in _generic())
    lines += ["## The generic `check_layer` on planted layer bugs", "",
              f"`tests/layer_bugs.py`: {len(layers)} bugs planted in {len({r['layer'] for r in layers})} layers "
              f"(affine maps, elementwise activations, softmax and log-softmax, losses, normalisation, dropout, "
              f"reshapes, concatenation, gates), run through `autograder.check_layer` with no exercise rows. "
              f"Caught {_share(caught, len(layers))}; named {_share(named, len(layers))} ({specific} of the bugs "
              f"have a key that names them; the others need the layer's own rows, which an exercise gives).", "",
              "| layer | bug | key | named | what the user reads |", "|---|---|---|---|---|"]
    for r in layers:
        key = r["key"] if r["key"] == r["expected"] else f"{r['key'] or '(passed)'} (expected {r['expected']})"
        lines.append(f"| {r['layer']} | {_cell(r['what'])} | `{key}` | {'yes' if r['named'] else 'no'} | "
                     f"{_cell(r['sentence'])} |")
    return "\n".join(lines) + "\n"


HOLDOUT = ROOT / "tests" / "mistakes_holdout"
HOLDOUT_DOCS = {"holdout.md": ("00", "01", "02", "03"), "holdout_04_06.md": ("04", "05", "06")}
BEGIN, END = "<!-- after the fixes: begin -->", "<!-- after the fixes: end -->"

# Why a blind mistake is still missed or only named by a generic key (judged by hand; a row
# missing here shows as "not judged yet").  (assignment, part, blind key) -> note.
_BENIGN = "judged benign and not copied into tests/mistakes: the values are right; "
HOLDOUT_NOTES = {
    ("01_chain_rule", "add_gate", "gradients_alias_dout"):
        _BENIGN + "both gradients are the array dout itself, and nothing later in the notebook writes into it",
    ("01_chain_rule", "add_const_gate", "dx_aliases_dout"):
        _BENIGN + "dx is the array dout itself, and nothing later in the notebook writes into it",
    ("02_jacobian", "numerical_jacobian", "output_not_array"):
        "judged not a mistake and not copied: it fails only for an f that returns a list, and the exercise "
        "says f returns an array",
    ("02_jacobian", "linear_jacobian", "returns_caller_array"):
        _BENIGN + "the Jacobian is the caller's W itself, and nothing later in the notebook writes into it",
    ("02_jacobian", "row_linear_jacobian", "returns_view"):
        _BENIGN + "the Jacobian is W.T, a view of the caller's W, and nothing later in the notebook writes into it",
    ("03_scalar_backprop", "layer_backward", "db_aliases_delta"):
        _BENIGN + "db is the caller's delta itself, and nothing later in the notebook writes into it",
}


def holdout_catalogs(only=""):
    """{assignment: [Mistake, ...]} of the blind catalog (its modules' names start with a digit, so
    they are loaded from their files)."""
    found = {}
    for path in sorted(HOLDOUT.glob("[0-9][0-9]_*.py")):
        if path.stem.startswith(only):
            spec = importlib.util.spec_from_file_location(f"mistakes_holdout_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            found[path.stem] = module.MISTAKES
    return found


def in_catalog(assignment, blind):
    """The blind mistakes whose cell is also a row of the replay catalog (tests/mistakes)."""
    from mistakes import catalogs
    cells = {m.source for m in catalogs().get(assignment, [])}
    return [m.source in cells for m in blind]


def render_holdout(rows, prefixes, blind):
    """The "After the fixes" section of one holdout page."""
    rows = [r for r in rows if r["assignment"][:2] in prefixes]
    notebooks = sorted({r["assignment"] for r in rows})
    copied = {nb: sum(in_catalog(nb, blind[nb])) for nb in notebooks}
    lines = [BEGIN, "## After the fixes", "",
             "Generated by `python -m benchmarks.mistakes --holdout` (do not edit by hand between the markers). "
             "Everything below this section is the blind measure as it was made, on the code BEFORE the fixes "
             "it led to. Since then every real mistake it found was made to be named by its check and copied "
             "into the replay catalog `tests/mistakes/` (`kind=\"blind\"`, with the check's key, asserted by "
             "`tests/checks/test_mistakes.py`). Here the same blind catalog is replayed on today's code. **Caught**: "
             "the part's test cell fails (hidden tests included). **Named**: caught with a key that says what to "
             "fix, not one of the generic keys (`GENERIC` in `tests/mistakes/__init__.py`); the blind keys are "
             "not the checks' own, so a key is not compared with them (the figures before the fixes were judged "
             "by reading each message, which also counted a few generic keys with a telling message as named, "
             "and a few specific but wrong diagnoses as symptoms). **In tests/mistakes**: the same answer "
             "cell is a row of the replay catalog; a blind row that is neither there nor in the list below "
             "repeats a mistake the replay catalog already had, in a cell written differently.", "",
             "| notebook | mistakes | caught | named | in tests/mistakes |", "|---|---|---|---|---|"]
    for nb in notebooks + ["all"]:
        part = rows if nb == "all" else [r for r in rows if r["assignment"] == nb]
        label, n = ("**all**" if nb == "all" else nb), len(part)
        same = sum(copied.values()) if nb == "all" else copied[nb]
        lines.append(f"| {label} | {n} | {_share(sum(r['caught'] for r in part), n)} | "
                     f"{_share(sum(r['named'] for r in part), n)} | {_share(same, n)} |")
    rest = [r for r in rows if not r["named"]]
    lines.append("")
    if rest:
        lines += ["Still missed, or caught with a generic key only:", "",
                  "| notebook | part | mistake (blind key) | key today | why |", "|---|---|---|---|---|"]
        for r in rest:
            note = HOLDOUT_NOTES.get((r["assignment"], r["part"], r["expected"]), "not judged yet")
            lines.append(f"| {r['assignment'][:2]} | {r['part']} | {_cell(r['what'])} (`{r['expected']}`) | "
                         f"{('`' + r['key'] + '`') if r['caught'] else 'passed'} | {_cell(note)} |")
    else:
        lines.append("Every blind mistake is caught and named.")
    return "\n".join(lines + ["", END, ""])


def write_holdout(rows, blind, folder):
    """Put today's section at the top of each holdout page (after its title), replacing the last one."""
    for name, prefixes in HOLDOUT_DOCS.items():
        path = folder / name
        text = (path if path.exists() else ROOT / "docs" / name).read_text(encoding="utf-8")
        section = render_holdout(rows, prefixes, blind)
        if BEGIN in text:
            head, rest = text[:text.index(BEGIN)], text[text.index(END) + len(END):]
        else:
            title, _, rest = text.partition("\n\n")
            head = title + "\n\n"
        path.write_text(head + section + "\n" + rest.lstrip("\n"), encoding="utf-8")
        print(f"wrote {path}")


def _generic():
    from mistakes import GENERIC
    return GENERIC


def _summary(label, rows, extra=""):
    print(f"{label:24} {extra}{len(rows):3} mistakes  caught {_share(sum(r['caught'] for r in rows), len(rows)):>12}  "
          f"named {_share(sum(r['named'] for r in rows), len(rows)):>12}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.mistakes", description=__doc__.splitlines()[0])
    p.add_argument("--kernel", action="store_true", help="also replay every mistake in a Jupyter kernel")
    p.add_argument("--holdout", action="store_true",
                   help="replay the blind catalog (tests/mistakes_holdout/) and update docs/holdout*.md")
    p.add_argument("--only", default="", metavar="NN",
                   help="only the notebooks whose name starts with this (prints; writes no page)")
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="folder of the pages (default docs/)")
    p.add_argument("--json", type=Path, default=None, help="also write every row to this JSON file")
    args = p.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("AUTOGRADER_CALL_SECONDS", "5")
    covered = {}
    if args.holdout:
        blind = holdout_catalogs(args.only)
        catalog = measure_catalogs(kernel=args.kernel, catalog=blind, holdout=True)
        layers = []
        if not args.only:
            args.out.mkdir(parents=True, exist_ok=True)
            write_holdout(catalog, blind, args.out)
    else:
        from mistakes import catalogs
        catalog = measure_catalogs(kernel=args.kernel,
                                   catalog={nb: rows for nb, rows in catalogs().items() if nb.startswith(args.only)})
        layers = [] if args.only else measure_layer_bugs()
        if not args.only:
            args.out.mkdir(parents=True, exist_ok=True)
            covered = coverage()
            (args.out / "mistakes.md").write_text(render(catalog, layers, args.kernel, covered), encoding="utf-8")
            print(f"wrote {args.out / 'mistakes.md'}")
    if args.json:
        args.json.write_text(json.dumps({"catalog": catalog, "layer_bugs": layers}, indent=1) + "\n", encoding="utf-8")
    for nb in sorted({r["assignment"] for r in catalog}):
        _summary(nb, [r for r in catalog if r["assignment"] == nb],
                 "{:>6} parts  ".format("{}/{}".format(*covered[nb])) if nb in covered else "")
    _summary("all", catalog)
    if args.only:
        for r in (r for r in catalog if not r["named"]):
            print(f"  {r['part']:22} {r['expected']:32} {'caught' if r['caught'] else 'PASSED':6} {r['key']:24} {r['sentence'][:100]}")
    if layers:
        _summary("check_layer (layer bugs)", layers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
