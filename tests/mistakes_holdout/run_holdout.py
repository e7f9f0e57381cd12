"""Replay the blind holdout catalogs: python tests/mistakes_holdout/run_holdout.py [out.json]
Prints one line per mistake and writes every outcome to a JSON file (default /tmp/holdout.json)."""
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))           # tests/, for `mistakes`
sys.path.insert(0, str(HERE.parent.parent))    # the repository, for `autograder`
from mistakes import GENERIC, replay            # noqa: E402


def modules():
    for path in sorted(HERE.glob("[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(f"holdout_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem, module.MISTAKES


def main(out):
    rows = []
    for assignment, mistakes in modules():
        for m in mistakes:
            try:
                o = replay(assignment, m)
                caught, key, message = o.caught, o.key, o.message
            except Exception as exc:            # a replay that could not run is recorded, not hidden
                caught, key, message = None, "replay_error", f"{type(exc).__name__}: {exc}"
            first = message.strip().splitlines()[0] if message.strip() else ""
            rows.append(dict(assignment=assignment, part=m.part, my_key=m.key, what=m.what, kind=m.kind,
                             caught=caught, key=key, generic=key in GENERIC, first_line=first,
                             message=message))
            print(f"{assignment[:2]} {m.part:22s} {m.key:34s} caught={caught!s:5s} key={key:28s} {first[:150]}",
                  flush=True)
    Path(out).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/holdout.json")
