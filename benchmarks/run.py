"""`make bench`: measure the course side by side and write docs/benchmarks.md with its plots.

    .venv/bin/python -m benchmarks.run                     # everything (a few minutes)
    .venv/bin/python -m benchmarks.run --quick             # smoke run, into a temporary folder
    .venv/bin/python -m benchmarks.run --only step profile # some sections; the others are kept
                                                           # from the previous benchmarks.json

Sections: gradient (1. the cost of a gradient), fd (2. finite differences), step, ablation and
profile (3. a training step against PyTorch), peak (4. numpy's matrix product), check_cells,
notebooks, self_check, grading (5. waiting for the course).  Figures are reported, never
asserted: no test fails because a machine is slow.
"""
import argparse
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Sections that time processes they start (kernels, course-check, nbgrader): these run with the
# machine's default threads, as learners and instructors run them.
CHILD_PROCESSES = ("notebooks", "self_check", "grading")
# Sections that measure waiting, always with the wall clock.
WALL_CLOCK = ("check_cells",) + CHILD_PROCESSES
SECTIONS = ("gradient", "fd", "peak", "step", "ablation", "profile", "check_cells", "notebooks",
            "self_check", "grading")


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a smoke run: fewer sizes and repeats (about a minute)")
    p.add_argument("--only", nargs="+", choices=SECTIONS, metavar="SECTION",
                   help=f"run only these sections ({', '.join(SECTIONS)}); the others are kept from the "
                        "previous benchmarks.json in the output folder")
    p.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder for benchmarks.md, benchmarks.json and img/ (default docs/; "
                        "with --quick a temporary folder)")
    p.add_argument("--class-size", type=int, default=None, help="students in the generated class (default 30; quick 3)")
    p.add_argument("--class-assignment", default="04_vector_backprop", help="the class's assignment")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    p.add_argument("--clock", choices=("cpu", "wall"), default=None,
                   help="time sections 1-4 with the process's CPU time (default with one thread: repeatable "
                        "on a shared machine) or the wall clock (default with more threads)")
    return p.parse_args(argv)


def plan(args):
    """The sizes and repeats of each section (smaller with --quick)."""
    from benchmarks import bench_course
    quick = args.quick
    names = bench_course.assignments()
    return {
        "gradient": dict(widths=(64, 256) if quick else (64, 256, 1024), depths=(1, 2) if quick else (1, 2, 4),
                         rounds=3 if quick else 9, target_seconds=0.01 if quick else 0.05),
        "fd": dict(hiddens=(2, 16, 64) if quick else (2, 8, 32, 128, 512), rounds=3 if quick else 7,
                   fd_rounds=1 if quick else 3),
        "peak": dict(n=1024 if quick else 2048, rounds=3 if quick else 7),
        "step": dict(widths=(64, 256, 1024) if quick else (64, 128, 256, 512, 1024),
                     rounds=3 if quick else 9, target_seconds=0.01 if quick else 0.05),
        "ablation": dict(rounds=3 if quick else 9, target_seconds=0.02 if quick else 0.1),
        "profile": dict(steps=3 if quick else 20),
        "check_cells": dict(names=names, repeats=1 if quick else 5),
        "notebooks": dict(names=names[:1] if quick else names, repeats=1 if quick else 3),
        "self_check": dict(folders=("notebooks",) if quick else ("notebooks", "solutions"), repeats=1 if quick else 2),
        "grading": dict(class_assignment=args.class_assignment,
                        class_size=args.class_size or (3 if quick else 30),
                        solo_assignments=[args.class_assignment] if quick else None),
    }


def run_sections(args, todo):
    from benchmarks import bench_course, bench_mlp
    from benchmarks.harness import default_threads, run_section
    p = plan(args)
    t = args.threads
    jobs = {
        "gradient": lambda: bench_mlp.gradient_cost(threads=t, **p["gradient"]),
        "fd": lambda: bench_mlp.fd_vs_backprop(**p["fd"]),
        "peak": lambda: bench_mlp.matmul_rate(threads=t, **p["peak"]),
        "step": lambda: bench_mlp.training_step(configs=bench_mlp.step_configs(p["step"]["widths"]), threads=t,
                                                rounds=p["step"]["rounds"], target_seconds=p["step"]["target_seconds"]),
        "ablation": lambda: bench_mlp.ablation(threads=t, **p["ablation"]),
        "profile": lambda: bench_mlp.profile_step(**p["profile"]),
        "check_cells": lambda: bench_course.check_cells(**p["check_cells"]),
        "notebooks": lambda: bench_course.notebooks_in_kernel(**p["notebooks"]),
        "self_check": lambda: bench_course.self_check(**p["self_check"]),
        "grading": lambda: bench_course.grading(**p["grading"]),
    }
    out = {}
    for name in SECTIONS:
        if name in todo:
            print(f"{name} ...", file=sys.stderr)
            clock = "wall" if name in WALL_CLOCK else None
            if name in CHILD_PROCESSES:
                with default_threads():
                    out[name] = run_section(name, jobs[name], clock=clock)
            else:
                out[name] = run_section(name, jobs[name], clock=clock)
    return out


def main(argv=None):
    args = parse(argv)
    from benchmarks.harness import limit_threads
    limit_threads(args.threads)               # before numpy and torch are imported
    if args.no_torch:
        sys.modules["torch"] = None           # import torch now raises ImportError
    from benchmarks import harness, report

    out = args.out or (Path(tempfile.gettempdir()) / "backprop-bench-quick" if args.quick else ROOT / "docs")
    out.mkdir(parents=True, exist_ok=True)
    previous = out / "benchmarks.json"
    results = {"sections": {}}
    if args.only and previous.exists():
        results = json.loads(previous.read_text(encoding="utf-8"))
    todo = args.only or SECTIONS
    harness.set_blas_threads(args.threads)
    clock = args.clock or ("cpu" if args.threads == 1 else "wall")
    harness.use_clock(clock)
    results["machine"] = harness.machine()
    results["config"] = {"quick": args.quick, "threads": args.threads, "clock": clock,
                         "command": "python -m benchmarks.run " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))}
    results.setdefault("sections", {}).update(run_sections(args, todo))
    results["sections"] = {k: results["sections"][k] for k in SECTIONS if k in results["sections"]}
    results["images"] = report.plots(results, out / report.IMG)
    previous.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "benchmarks.md").write_text(report.render(results), encoding="utf-8")
    print(f"wrote {out / 'benchmarks.md'}, {previous.name} and {len(results['images'])} plots in {out / report.IMG}")
    for row in report.targets(results):
        status = "skip" if row["met"] is None else ("ok  " if row["met"] else "MISS")
        print(f"  {status} {row['what']}: {row['measured']} (target {row['target']})")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
