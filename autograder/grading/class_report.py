"""What the class got wrong, for ``course-check class``: grades.csv, the per-exercise and mistake reports.

``write_reports`` writes ``students.csv``, ``exercises.csv``, ``mistakes.csv`` and ``mistakes.png``
(the class mistake report) from the records ``classgrade`` collected; ``print_summary`` prints the
run's summary; ``export_csv`` is ``nbgrader export``.
"""
import collections
import csv
import json
import statistics
from pathlib import Path

from . import runner
from .class_nbgrader import gradebook

# --- export and reports ----------------------------------------------------------------------

def export_csv(course, cfg):
    """``nbgrader export``: grades.csv in the course folder."""
    from nbgrader.plugins import CsvExportPlugin
    plugin = CsvExportPlugin(config=cfg)
    plugin.to = str(Path(course) / "grades.csv")
    with gradebook(cfg) as gb:
        plugin.export(gb)
    return Path(plugin.to)


def sentence(message):
    """The named mistake of a failed check, one line (without the leading ``CheckFailed:``)."""
    return runner._one_line(message)


def exercise_stats(records):
    """Per (assignment, test cell): points, mean, passed/failed/not graded counts."""
    stats = collections.OrderedDict()
    for r in records:
        for row in r["rows"]:
            key = (r["assignment"], row["grade_id"])
            s = stats.setdefault(key, {"points": row["points"], "scores": [], "passed": 0, "failed": 0,
                                       "not_graded": 0})
            if r["status"] != "graded" or row.get("status", "graded") != "graded":
                s["not_graded"] += 1
                continue
            score = r.get("cells", {}).get(row["grade_id"], (None, None))[0]
            if score is None:
                score = row["points"] if row["passed"] else 0.0
            s["scores"].append(score)
            s["passed" if score >= row["points"] else "failed"] += 1
    return stats


def mistake_counts(records):
    """{(assignment, test cell): Counter(key)} and {key: the check's sentence}, over every
    submission (graded or not) whose kernel-free run named a mistake."""
    counts, sentences = collections.OrderedDict(), {}
    for r in records:
        for row in r["rows"]:
            if row["passed"] or row["key"] in ("", "not_graded", "skipped"):
                continue
            key = (r["assignment"], row["grade_id"])
            counts.setdefault(key, collections.Counter())[row["key"]] += 1
            sentences.setdefault((key, row["key"]), collections.Counter())[sentence(row["message"])] += 1
    best = {k: c.most_common(1)[0][0] for k, c in sentences.items()}
    return counts, best


# the keys trusted grading gives an attempt to fool the grading or to use the course's own code
INTEGRITY_KEYS = ("tampering", "uses_course_code")


def write_reports(out, records, facts):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "students.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "assignment", "status", "score", "max_score", "in_kernel_score",
                    "recovered_kernel_free", "failed_parts", "integrity", "changes_to_notebook",
                    "not_graded_parts"])
        for r in records:
            failed = "; ".join(f"{row['grade_id']}={row['key']}" for row in r["rows"] if not row["passed"])
            integrity = "; ".join(f"{row['grade_id']}={row['key']}" for row in r["rows"]
                                  if row.get("key") in INTEGRITY_KEYS)
            w.writerow([r["student"], r["assignment"], r["status"], _num(r["score"]), _num(r["max"]),
                        _num(r.get("in_kernel_score")), _num(r.get("recovered")), failed, integrity,
                        " | ".join(r.get("notes", [])),
                        "; ".join(f"{gid}: {why}" for gid, why in r.get("not_graded_parts", []))])
    stats = exercise_stats(records)
    submitted = collections.Counter(r["assignment"] for r in records)
    with open(out / "exercises.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["assignment", "exercise", "points", "submissions", "graded", "mean", "full_marks",
                    "not_full", "not_graded"])
        for (a, gid), s in stats.items():
            mean = statistics.fmean(s["scores"]) if s["scores"] else ""
            w.writerow([a, gid, _num(s["points"]), submitted[a], len(s["scores"]), _num(mean), s["passed"],
                        s["failed"], s["not_graded"]])
    counts, best = mistake_counts(records)
    with open(out / "mistakes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["assignment", "exercise", "mistake", "count", "submissions", "sentence"])
        for (a, gid), counter in counts.items():
            for key, n in counter.most_common():
                w.writerow([a, gid, key, n, submitted[a], best[((a, gid), key)]])
    (out / "run.json").write_text(json.dumps(facts, indent=1, default=str), encoding="utf-8")
    plot = plot_mistakes(out / "mistakes.png", counts, submitted)
    return {"students": out / "students.csv", "exercises": out / "exercises.csv",
            "mistakes": out / "mistakes.csv", "plot": plot}


def _num(x):
    return "" if x is None or x == "" else f"{x:g}"


def plot_mistakes(path, counts, submitted, top=30):
    """A horizontal bar per (exercise, named mistake), the most frequent first: how many of the
    submissions made it.  "not implemented yet" is left out (it is not a mistake)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    items = [((a, gid), key, n) for (a, gid), c in counts.items() for key, n in c.items()
             if key != "not_implemented"]
    items.sort(key=lambda item: (-item[2] / max(1, submitted[item[0][0]]), item[0], item[1]))
    items = items[:top]
    assignments = sorted({a for (a, _), _, _ in items})
    colors = {a: plt.cm.tab10(i % 10) for i, a in enumerate(assignments)}
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.32 * max(1, len(items))))
    if items:
        labels = [f"{gid.removeprefix('test_')}: {key}" for (_, gid), key, _ in items]
        shares = [n / max(1, submitted[a]) for (a, _), _, n in items]
        bars = ax.barh(range(len(items)), shares, color=[colors[a] for (a, _), _, _ in items])
        for bar, ((a, _), _, n) in zip(bars, items):
            ax.text(bar.get_width() + 0.005, bar.get_y() + bar.get_height() / 2, f"{n} of {submitted[a]}",
                    va="center", fontsize=8)
        ax.set_yticks(range(len(items)))
        ax.set_yticklabels(labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, min(1.0, max(shares) * 1.25 + 0.05))
        handles = [plt.Rectangle((0, 0), 1, 1, color=colors[a]) for a in assignments]
        ax.legend(handles, assignments, fontsize=8, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no named mistakes", ha="center", va="center")
        ax.set_yticks([])
    ax.set_xlabel("share of the submissions that made this mistake")
    ax.set_title("Class mistake report: exercise: named mistake (the check's key)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def print_summary(records, facts, files, say=print):
    graded = [r for r in records if r["status"] == "graded"]
    missed = [r for r in records if r["status"] != "graded"]
    say("")
    say(f"Class report: {facts['students']} students, {facts['submissions']} submissions, "
        f"{facts.get('seconds', 0):.0f} s with {facts.get('workers', 1)} worker(s)"
        + (", sandboxed" if facts.get("sandboxed") else ", NOT sandboxed"))
    say(f"  graded: {len(graded)}   not graded: {len(missed)}   gradebook check: "
        f"{'nothing lost' if not facts.get('lost') else str(facts['lost']) + ' missing'}")
    by_assignment = collections.OrderedDict()
    for r in records:
        by_assignment.setdefault(r["assignment"], []).append(r)
    stats = exercise_stats(records)
    for a, recs in by_assignment.items():
        scores = [r["score"] for r in recs if r["status"] == "graded"]
        top = recs[0]["max"] or 0
        if scores:
            say(f"\n{a}: {len(recs)} submitted, {len(scores)} graded, mean {statistics.fmean(scores):.1f} / "
                f"{top:g}, median {statistics.median(scores):g}  {histogram(scores, top)}")
        else:
            say(f"\n{a}: {len(recs)} submitted, none graded")
        for (aa, gid), s in stats.items():
            if aa != a:
                continue
            mean = statistics.fmean(s["scores"]) if s["scores"] else 0.0
            say(f"  {gid:<34} mean {mean:4.2f} / {s['points']:<3g} full {s['passed']:>3}  not {s['failed']:>3}"
                + (f"  not graded {s['not_graded']}" if s["not_graded"] else ""))
    if missed:
        say("\nNot graded (nbgrader recorded 0; this is not a genuine zero):")
        for r in missed:
            rec = "" if r.get("recovered") is None else f" [kernel-free, without that cell: {r['recovered']:g}/{r['max']:g}]"
            say(f"  {r['student']} {r['assignment']}: {r['status'][len('not graded: '):]}{rec}")
    partly = [(r, gid, why) for r in records if r["status"] == "graded" for gid, why in r.get("not_graded_parts", [])]
    if partly:
        say("\nParts not graded (0 recorded, not the kernel's score; this is not a genuine zero):")
        for r, gid, why in partly:
            say(f"  {r['student']} {r['assignment']} {gid}: {why}")
    changed = [(r, n) for r in records for n in r.get("notes", [])]
    if changed:
        say("\nNotebooks the learner changed (restored before grading):")
        for r, note in changed:
            say(f"  {r['student']} {r['assignment']}: {note}")
    counts, best = mistake_counts(records)
    submitted = collections.Counter(r["assignment"] for r in records)
    if counts:
        say("\nClass mistake report (what to re-teach):")
        for (a, gid), counter in counts.items():
            for key, n in counter.most_common():
                if key == "not_implemented":
                    continue
                say(f"  {gid.removeprefix('test_')}: {n} of {submitted[a]} - {best[((a, gid), key)]} ({key})")
        blanks = sum(c.get("not_implemented", 0) for c in counts.values())
        if blanks:
            say(f"  (and {blanks} parts not implemented yet)")
    say("")
    for label, path in files.items():
        say(f"{label + ':':<10} {path}")


def histogram(scores, top, bins=4):
    if not top:
        return ""
    edges = [top * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, int(bins * s / top)) if s < top else bins - 1] += 1
    return " ".join(f"[{edges[i]:g}-{edges[i + 1]:g}{']' if i == bins - 1 else ')'}: {counts[i]}" for i in range(bins))
