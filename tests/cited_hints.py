"""Which hints do a checks module's named mistakes cite, and does the notebook have them?

A catalog row ``like(..., hint=2)`` (or ``Mistake(..., hint=2)``, ``CheckFailed(..., hint=2)``)
makes a failing check end with "see hint 2 of Exercise M". ``cited(module)`` finds every such
literal ``hint=N`` in the module's source and the exercise parts whose checks can reach it (the
check function itself, or a top-level helper, constant or list it uses, directly or through other
helpers); ``offered(nb)`` reads the hints each exercise's markdown holds ("<b>Hint N</b>", between
the previous part's test cell and the part's answer cell).
"""
import ast
import inspect
import re

HINT = re.compile(r"<b>Hint (\d+)</b>")


def _cites(node):
    """Literal hint numbers passed as ``hint=N`` anywhere under ``node``."""
    found = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            for kw in call.keywords:
                if kw.arg == "hint" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
                    found.add(kw.value.value)
    return found


def _defined(stmt):
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    return []


def _part(stmt):
    """The part key of ``@EXERCISES.check("key", ...)``, or None."""
    for dec in getattr(stmt, "decorator_list", []):
        if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "check"
                and dec.args and isinstance(dec.args[0], ast.Constant)):
            return dec.args[0].value
    return None


def cited(module, tables=()):
    """{part key: {hint numbers its check can cite}}. ``tables``: names of module-level dicts
    whose int values are hint numbers used by rows built from them (``RE_HINTS``)."""
    tree = ast.parse(inspect.getsource(module))
    cites, uses, parts = {}, {}, {}
    for stmt in tree.body:
        names = _defined(stmt)
        own = _cites(stmt)
        for table in tables:
            if table in names and isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Dict):
                own |= {v.value for v in stmt.value.values if isinstance(v, ast.Constant)}
        used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        for name in names:
            cites[name] = cites.get(name, set()) | own
            uses[name] = uses.get(name, set()) | used
        key = _part(stmt)
        if key:
            parts[key] = names[0]
    result = {}
    for key, root in parts.items():
        seen, todo = set(), [root]
        while todo:
            name = todo.pop()
            if name in seen or name not in uses:
                continue
            seen.add(name)
            todo.extend(uses[name])
        result[key] = set().union(*(cites[n] for n in seen))
    return result


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def offered(nb, keys):
    """{part key: [hint numbers in the order they appear]} from the exercise's markdown cells.
    ``keys``: the parts in the notebook's order (part N is Exercise N)."""
    cells = nb["cells"]
    result, start = {}, 0
    answers = [i for i, c in enumerate(cells) if _meta(c).get("solution")]
    for n, key in enumerate(keys):
        test = next(i for i, c in enumerate(cells) if _meta(c).get("grade_id") == f"test_{key}")
        answer = max(i for i in answers if i < test)
        text = "".join("".join(c["source"]) for c in cells[start:answer] if c["cell_type"] == "markdown")
        result[key] = [int(h) for h in HINT.findall(text)]
        start = test + 1
    return result


def problems(module, nb, tables=()):
    """Sentences for every cited hint an exercise does not offer, and for hints not numbered 1, 2, ..."""
    keys = module.EXERCISES.keys
    have = offered(nb, keys)
    found = []
    for key, hints in have.items():
        if hints != list(range(1, len(hints) + 1)):
            found.append(f"{key}: hints numbered {hints}, expected 1, 2, ...")
    for key, numbers in cited(module, tables).items():
        for n in sorted(numbers - set(have.get(key, []))):
            found.append(f"{key}: a check cites hint {n}, the exercise has hints {have.get(key)}")
    return found
