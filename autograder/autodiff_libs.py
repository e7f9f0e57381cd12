"""Libraries that compute derivatives for you: graded answers may not use them.

An exercise that asks for a backward pass earns nothing when the gradient comes from an
automatic-differentiation library, a symbolic differentiator or a ready-made finite-difference
routine.  The same rule in every grader:

* trusted grading's learner process refuses to import them once the submission's code runs (an
  audit hook on ``import``, which the learner's code cannot remove) and reports each attempt; the
  grader names every failed part ``uses_autodiff``;
* in a kernel (and ``course-check``), ``check_layer`` names a backward pass that reaches one of
  them (``in_reach``), or that fails in a notebook whose cells import one (``imports_in``),
  ``uses_autodiff``.

Only the standard library here (a copy of this file runs in trusted grading's learner process).
"""
import ast
import types

# top-level packages (and sub-packages) that differentiate for you
LIBRARIES = ("autograd", "torch", "jax", "jaxlib", "tensorflow", "tf_keras", "keras", "mxnet", "chainer",
             "paddle", "mindspore", "tinygrad", "micrograd", "mygrad", "theano", "aesara", "pytensor",
             "casadi", "numdifftools", "findiff", "sympy", "dezero",
             "scipy.optimize", "scipy.differentiate", "scipy.misc")
WHY = ("graded answers cannot use {name} (it computes derivatives for you): write the derivative "
       "yourself")


def is_autodiff(module_name):
    """The library of ``module_name`` when it is one of LIBRARIES (``'autograd.numpy'`` ->
    ``'autograd'``), else None."""
    if not isinstance(module_name, str):
        return None
    for lib in LIBRARIES:
        if module_name == lib or module_name.startswith(lib + "."):
            return lib
    return None


def imports_in(code):
    """[library] imported by ``code`` (a cell's source), statically: ``import autograd.numpy as
    np``, ``from scipy.optimize import approx_fprime``, ``from scipy import optimize``,
    ``__import__('torch')``, ``importlib.import_module('jax')``."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found = []
    try:
        nodes = list(ast.walk(tree))
    except RecursionError:
        return []
    for node in nodes:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("__import__", "import_module") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        for name in names:
            lib = is_autodiff(name)
            if lib and lib not in found:
                found.append(lib)
    return found


def _origin(value):
    if isinstance(value, types.ModuleType):
        return is_autodiff(getattr(value, "__name__", None))
    try:
        module = getattr(value, "__module__", None)
    except Exception:  # a learner's object may raise anything
        return None
    return is_autodiff(module) if isinstance(module, str) else None


def in_reach(*functions, depth=3):
    """The library a learner's function reaches (by the names its code uses, in its globals and
    closure, following the learner's own functions ``depth`` calls deep), else None."""
    seen = set()

    def codes(code):
        yield code
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                yield from codes(const)

    def visit(fn, level):
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if not isinstance(code, types.CodeType) or id(fn) in seen or level > depth:
            return None
        seen.add(id(fn))
        scope = getattr(fn, "__globals__", None) or {}
        values = []
        for c in codes(code):
            values += [scope[n] for n in c.co_names if isinstance(scope, dict) and n in scope]
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:
                pass
        for value in values:
            lib = _origin(value)
            if lib:
                return lib
        for value in values:
            if isinstance(value, (types.FunctionType, types.MethodType)):
                lib = visit(value, level + 1)
                if lib:
                    return lib
        return None

    for fn in functions:
        lib = _origin(fn) or visit(fn, 0)    # the function itself may be the library's (grad(f))
        if lib:
            return lib
    return None


def notebook_imports(fn):
    """[library] imported by the cells run so far in the notebook ``fn`` was defined in (IPython
    keeps them in ``_ih``; other hosts: [])."""
    scope = getattr(getattr(fn, "__func__", fn), "__globals__", None)
    history = scope.get("_ih") if isinstance(scope, dict) else None
    if not isinstance(history, list):
        return []
    found = []
    for code in history:
        if isinstance(code, str):
            for lib in imports_in(code):
                if lib not in found:
                    found.append(lib)
    return found
