"""Small helpers to make submissions out of notebooks (tests only)."""
import json
from pathlib import Path


def read(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write(nb, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def cell(nb, grade_id):
    for c in nb["cells"]:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return c
    raise KeyError(grade_id)


def set_source(nb, grade_id, source):
    cell(nb, grade_id)["source"] = source
    return nb


def source(nb, grade_id):
    src = cell(nb, grade_id)["source"]
    return "".join(src) if isinstance(src, list) else src


def test_cells(nb):
    return [c for c in nb["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not c["metadata"]["nbgrader"].get("solution")]


def solution_cells(nb):
    return [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
