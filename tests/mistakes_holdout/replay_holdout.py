"""Replay a holdout catalog: python tests/mistakes_holdout/replay_holdout.py 04_vector_backprop [part ...]
Prints one JSON line per mistake (part, key expected, caught, key returned, first message line)."""
import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))          # tests/
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))          # the repository
from mistakes import replay  # noqa: E402

assignment, parts = sys.argv[1], set(sys.argv[2:])
for m in importlib.import_module(f"mistakes_holdout.{assignment}").MISTAKES:
    if parts and m.part not in parts:
        continue
    try:
        o = replay(assignment, m)
        row = dict(part=m.part, want=m.key, what=m.what, caught=o.caught, key=o.key,
                   message=(o.message or "").strip())
    except Exception as exc:                                        # a catalog row that cannot replay
        row = dict(part=m.part, want=m.key, what=m.what, caught=None, key="REPLAY-ERROR",
                   message=f"{type(exc).__name__}: {exc}")
    print(json.dumps(row), flush=True)
