"""The pipeline end to end: finite differences -> comparison -> diagnosis -> message
(long: ``check_layer``'s guards and diagnoses share its oracles and inputs and read top to bottom).

Two public checks build on it:

* ``check_grad(f, grad_f, x)`` for a scalar function and its gradient;
* ``check_layer(forward, backward, *inputs)`` for the course's layer
  convention: ``forward(*inputs) -> (out, cache)`` and
  ``backward(dout, cache) -> (d_input_1, d_input_2, ...)``.

Both pass silently except for one printed line, or raise ``CheckFailed``
(an ``AssertionError``) whose message names the gradient, the mistake, the
worst entry and the relative error.
"""
import contextlib
import functools
import inspect
import itertools
import sys

import numpy as np

from . import autodiff_libs, hosts, numeric
from .catalog import Evidence, RETURN_MISTAKES, SHAPE_MISTAKES, VALUE_MISTAKES, first_match
from .compare import DirectionalOracle, FullOracle, relative_error
from .guard import CheckFailed, CheckSetupError, call
from .i18n import N_, tr, translated
from .tolerances import (DIRECTIONAL_MIN_SIZE, FD_STEP, GRAD_RTOL, KINK_RETRIES, N_DIRECTIONS, NEARBY_RTOL,
                         NEARBY_STEPS, SCALE_FLOOR)


def public(fn):
    """Re-raise a CheckFailed from the public entry point, so the learner's
    traceback is two frames long instead of ten."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841 (read by pytest / IPython)
        try:
            return fn(*args, **kwargs)
        except CheckFailed as exc:
            failure = exc
        raise CheckFailed(str(failure), key=failure.key, keys=failure.keys, hint=failure.hint) from None
    return wrapper


# --- diagnosis and message -----------------------------------------------------

def diagnose(ev, mistakes=()):
    """The first catalog row that explains the evidence, or None if it is correct."""
    row = first_match(RETURN_MISTAKES, ev)
    if row is not None:
        return row
    ev.yours = np.asarray(ev.raw, dtype=np.float64)
    if ev.got != tuple(ev.want):
        return first_match(SHAPE_MISTAKES, ev)
    if ev.oracle.matches(ev.yours):
        return None
    if sharpen(ev) and ev.oracle.matches(ev.yours):
        return None
    return first_match(list(mistakes) + VALUE_MISTAKES, ev)


def _index_text(idx):
    if idx and idx[0] == "direction":
        return tr("along random direction {number}", number=idx[1])
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def explain(ev, row):
    """A few lines: the named mistake, then the worst entry and the error, then what was not compared."""
    try:
        lines = [row.sentence(ev)]
    except Exception:  # noqa: BLE001 (a row's details could not be computed: say what is sure)
        fallback = VALUE_MISTAKES[-1] if ev.yours is not None and ev.got == tuple(ev.want) else SHAPE_MISTAKES[-1]
        lines = [fallback.sentence(ev)]
    if ev.yours is not None and ev.got == tuple(ev.want) and ev.oracle is not None:
        idx, mine, truth = ev.oracle.worst(ev.yours)
        truth_label = getattr(ev.oracle, "label", "numeric")
        truth_label = translated(_LABELS[truth_label]) if truth_label in _LABELS else truth_label
        # enough digits to show the difference under a tight tolerance (1e-9: ten digits)
        digits = max(6, min(16, int(np.ceil(-np.log10(ev.oracle.rtol))) + 1)) if ev.oracle.rtol > 0 else 6
        if ev.yours.ndim == 0:
            lines.append("  " + tr("yours {mine:.{digits}g}, {label} {truth:.{digits}g}",
                                   mine=mine, digits=digits, label=truth_label, truth=truth))
        else:
            where = _index_text(idx)
            label = f"{ev.name}{where}" if where.startswith("[") else f"{ev.name} {where}"
            lines.append("  " + tr("worst entry {entry}: yours {mine:.{digits}g}, {label} {truth:.{digits}g}",
                                   entry=label, mine=mine, digits=digits, label=truth_label, truth=truth))
        lines.append("  " + tr("relative error {error:.1e} (tolerance {rtol:.0e})",
                               error=ev.oracle.error(ev.yours), rtol=ev.oracle.rtol))
    note = kink_note(ev.name, ev.oracle, ev.extra["kinks_of"]) if "kinks_of" in ev.extra else None
    if note:
        lines.append("  " + note)
    return "\n".join(lines)


# What an oracle's numbers are, as the worst-entry line names them.
_LABELS = {"numeric": N_("numeric"), "expected": N_("expected"), "2 x numeric": N_("2 x numeric")}


def judge(ev, mistakes=()):
    """None if correct, else the explanation; sets ``ev.extra['key']`` to the mistake's key."""
    row = diagnose(ev, mistakes)
    if row is None:
        return None
    ev.extra["key"] = row.key
    ev.extra["hint"] = row.hint
    return explain(ev, row)


# --- oracles from the learner's own forward function ------------------------------

def through(fn, make_args, post, name):
    """A forward pass for ``check_layer`` that calls the learner's ``fn`` once:
    ``post(fn(*args, **kwargs))`` with ``(args, kwargs) = make_args(*inputs)``.  Said this way
    (rather than as a function that hides the call), ``check_layer`` can send all the calls of a
    sweep of finite differences to the learner's process at once in trusted grading."""
    def forward(*inputs):
        args, kwargs = make_args(*inputs)
        return post(fn(*args, **kwargs))
    forward.__name__ = name
    forward.through = (fn, make_args, post)
    return forward


def _plain_args(*inputs):
    return inputs, {}


def _learner_call(forward):
    """``(fn, make_args, post)`` when ``forward`` is, or is ``through``, a call of a function of the
    learner's process (trusted grading); else None."""
    if hosts.elsewhere(forward):
        return forward, _plain_args, None
    spec = getattr(forward, "through", None)
    return spec if spec is not None and hosts.elsewhere(spec[0]) else None


BATCH_BYTES = 4 << 20      # inputs sent in one batch of finite differences (a frame holds 64 MB)


def _many(learner, xs, i, w):
    """``scalar_loss`` of ``check_layer`` at many values of input ``i``: the learner's calls sent
    in batches (``hosts.batch``) of at most BATCH_BYTES of inputs, in the order one by one would
    make them."""
    fn, make_args, post = learner

    def many(points):
        results, steps, pending, size = [], None, [], 0
        for z in points:
            if steps is None:
                steps, pending, size = hosts.batch(fn), [], 0
            args = [x.copy() for x in xs]
            args[i] = z
            a, k = make_args(*args)
            pending.append(steps.call(fn, *a, **k))
            size += sum(x.nbytes for x in args)
            if size >= BATCH_BYTES:
                results += steps.values(*pending)
                steps = None
        if steps is not None:
            results += steps.values(*pending)
        if post is not None:
            results = [post(r) for r in results]
        return [float(np.sum(np.asarray(r[0], dtype=np.float64) * w)) for r in results]
    return many


def oracle_for(f, x, rng):
    """The truth about the gradient of scalar f at x: entry by entry, or
    along random directions when x is large.

    Entries (or directions) whose finite-difference step straddles a kink of f
    are left out: the oracle's ``mask`` marks them (``dropped`` counts the
    directions given up).  ``fx`` is f(x), one extra call.
    """
    x = np.asarray(x, dtype=np.float64)
    fx = float(f(x.copy()))
    if x.size < DIRECTIONAL_MIN_SIZE:
        oracle = FullOracle.from_differences(numeric.EntryDifferences(f, x, fx))
    else:
        oracle = _directional_oracle(f, x, fx, rng)
    oracle.fx = fx
    return oracle


def _directional_oracle(f, x, fx, rng):
    """N_DIRECTIONS projections of the gradient.  A direction whose bend is large next to its
    slope runs into a kink: it is replaced by a new random one (KINK_RETRIES times); then any
    direction whose bend matters is settled with smaller steps (``numeric.settle``), or given up."""
    h = FD_STEP * max(1.0, float(np.max(np.abs(x), initial=0.0)))
    tried = [(u, numeric.along(f, x, fx, u, h)) for u in numeric.random_directions(x.shape, N_DIRECTIONS, rng)]
    scale = max(max(abs(p[0]) for _, p in tried), SCALE_FLOOR)
    directions, targets, dropped = [], [], 0
    for u, now in tried:
        for _ in range(KINK_RETRIES):
            if numeric.harmless(now, scale) or numeric.gentle(now):
                break
            u = numeric.random_directions(x.shape, 1, rng)[0]
            now = numeric.along(f, x, fx, u, h)
        if numeric.harmless(now, scale):
            target, trusted = float(now[0]), True
        else:
            target, trusted = numeric.settle(lambda step, u=u: numeric.along(f, x, fx, u, step), now, h, scale)
        if trusted:
            directions.append(u)
            targets.append(target)
        else:
            dropped += 1
    return DirectionalOracle(x.shape, directions, targets, dropped=dropped)


def _share_masks(oracle, partner):
    """A kink sits where it sits, whatever dout weighs it with: leave it out of both oracles."""
    if partner is None or oracle.source is None or partner.source is None:
        return
    union = oracle.source.kinked | partner.source.kinked
    oracle.mask = partner.mask = union if union.any() else None


def sharpen(ev):
    """Settle the entries the oracles trusted provisionally (before a failure is reported)."""
    changed = False
    for o in (ev.oracle, ev.oracle_again):
        if o is not None:
            changed = o.sharpen() or changed
    if changed:
        _share_masks(ev.oracle, ev.oracle_again)
        if _nothing_to_compare(ev.oracle) and "setup" in ev.extra:
            raise _setup_error(*ev.extra["setup"])
    return changed


def kink_note(name, oracle, where):
    """One sentence saying what was left out of the comparison because of kinks, or None."""
    return kinks_note([(name, oracle)], where)


def kinks_note(named_oracles, where):
    """The same for several gradients at once: one sentence, or None."""
    entries = [(n, name) for name, o in named_oracles for n in [getattr(o, "masked_count", 0)] if n]
    dropped = [(d, name) for name, o in named_oracles for d in [getattr(o, "dropped", 0)] if d]
    kink = tr("a kink of {where} (such as ReLU at 0 or a tie in a max)", where=where)
    sentences = []
    if entries:
        one = len(entries) == 1 and entries[0][0] == 1
        listed = tr(" and ").join(tr("{n} entry of {name}", n=n, name=name) if n == 1 else
                                  tr("{n} entries of {name}", n=n, name=name) for n, name in entries)
        sentences.append(tr("{listed} was not compared: its finite-difference step straddles {kink}",
                            listed=listed, kink=kink) if one else
                         tr("{listed} were not compared: their finite-difference step straddles {kink}",
                            listed=listed, kink=kink))
    if dropped:
        one = len(dropped) == 1 and dropped[0][0] == 1
        listed = tr(" and ").join(tr("{d} of {total} random directions for {name}", d=d, total=N_DIRECTIONS,
                                     name=name) for d, name in dropped)
        sentences.append(tr("{listed} was not used: every step tried along it straddled {kink}",
                            listed=listed, kink=kink) if one else
                         tr("{listed} were not used: every step tried along them straddled {kink}",
                            listed=listed, kink=kink))
    return tr("; ").join(sentences) or None


def _nothing_to_compare(oracle):
    if isinstance(oracle, DirectionalOracle):
        return not oracle.directions
    return oracle.mask is not None and bool(oracle.mask.all())


def _setup_error(check, name, of, where):
    return CheckSetupError(
        f"{check} cannot check {name}: the finite-difference step of every entry of {of} straddles "
        f"a kink of {where}, so nothing is left to compare. This is a problem of the check's inputs, "
        f"not of the code under test: move them at least {FD_STEP:g} (relative) away from kinks "
        f"(ReLU at 0, ties in a max, margins at 0).")


# --- check_grad ----------------------------------------------------------------------

@public
def check_grad(f, grad_f, x, *, name="gradient", mistakes=(), seed=0, quiet=False):
    """Check ``grad_f(x)`` against central differences of the scalar function ``f``.

    >>> check_grad(lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2, np.array([1.0, -2.0]))
    """
    with _autodiff_named(grad_f):
        _check_grad(f, grad_f, x, name=name, mistakes=mistakes, seed=seed, quiet=quiet)


def _check_grad(f, grad_f, x, *, name="gradient", mistakes=(), seed=0, quiet=False):
    x = np.array(x, dtype=np.float64)
    before = x.copy()
    what = getattr(grad_f, "__name__", "grad_f")
    raw = call(grad_f, x, what=what)
    if not np.array_equal(x, before):
        raise CheckFailed(tr("{what} changed its input x in place; work on a copy (x = x.copy()) or write new arrays "
                             "(y = x * 2, not x *= 2).",
                             what=what), key="mutated_input")
    fname = getattr(f, "__name__", "f")
    oracle = call(oracle_for, lambda z: float(f(z)), before, np.random.default_rng([seed, 0xBAC4]),
                  what=fname)
    if _nothing_to_compare(oracle):
        raise _setup_error("check_grad", name, "x", fname)
    ev = Evidence(name=name, of="x", raw=raw, want=before.shape, oracle=oracle, inputs=(before,))
    ev.extra.update(kinks_of=fname, setup=("check_grad", name, "x", fname))
    message = judge(ev, mistakes)
    if message:
        raise CheckFailed(f"{what}: {message}", key=ev.extra["key"], keys={name: ev.extra["key"]},
                          hint=ev.extra["hint"])
    note = kink_note(name, oracle, fname)
    if not quiet:
        print(tr("check_grad passed: {what} matches central differences (relative error {error:.1e})",
                 what=what, error=oracle.error(ev.yours)) + (f"; {note}." if note else "."))


# --- what forward does around the inputs: evidence for naming a mistake -------------------------

DIAGONAL_MAX_SIZE = 400     # entries of an input whose Jacobian diagonal may be measured (2 calls each)


class LayerProbe:
    """Questions about the learner's forward pass near the check's inputs, asked only when a
    gradient is wrong and a catalog row needs the answer (each answer is computed once).

    ``averages_batch()``: is the output unchanged when every sample appears twice (a mean over the
    batch)?  ``slope(at)``: the derivative of an entry-by-entry layer, estimated at ``at`` by
    central differences of forward; ``elementwise(oracle)``: does the true gradient equal
    slope(x) * dout (is the layer entry by entry in this input)?  ``diagonal()``: d out_k / d x_k
    for every entry k (small inputs only).  Forward runs through ``guard.call``: a probe that fails
    (an exception, a warning) answers None, and the row that asked does not apply.
    """

    def __init__(self, forward, xs, i, out, dout, what, batch):
        self.forward, self.xs, self.i, self.out, self.dout = forward, xs, i, out, dout
        self.what, self.batch = what, batch
        self._cache = {}

    def _out(self, z):
        args = [x.copy() for x in self.xs]
        args[self.i] = np.asarray(z, dtype=np.float64)
        result = call(self.forward, *args, what=self.what)
        return np.asarray(result[0], dtype=np.float64)

    def _once(self, key, compute):
        if key not in self._cache:
            try:
                self._cache[key] = compute()
            except Exception:  # noqa: BLE001 (learner code: no answer)
                self._cache[key] = None
        return self._cache[key]

    def averages_batch(self):
        def compute():
            n = self.batch
            if not n or n < 2:
                return None
            args = [np.concatenate([x, x]) if x.ndim and x.shape[0] == n else x.copy() for x in self.xs]
            twice = np.asarray(call(self.forward, *args, what=self.what)[0], dtype=np.float64)
            if twice.shape != self.out.shape:
                return False
            return relative_error(twice, self.out) <= 1e-9
        return self._once("averages", compute)

    def slope(self, at):
        x = self.xs[self.i]
        at = np.asarray(at, dtype=np.float64)
        if at.shape != x.shape or self.out.shape != x.shape:
            return None
        h = FD_STEP * np.maximum(1.0, np.abs(at))
        return (self._out(at + h) - self._out(at - h)) / (2 * h)

    def elementwise(self, oracle):
        def compute():
            slope = self.slope(self.xs[self.i])
            return slope is not None and bool(oracle.matches(slope * self.dout))
        return bool(self._once("elementwise", compute))

    def diagonal(self):
        def compute():
            x = self.xs[self.i]
            if self.out.shape != x.shape or x.size > DIAGONAL_MAX_SIZE:
                return None
            diag = np.zeros(x.shape)
            for k in np.ndindex(x.shape):
                h = FD_STEP * max(1.0, abs(float(x[k])))
                up, down = x.copy(), x.copy()
                up[k] += h
                down[k] -= h
                diag[k] = (self._out(up)[k] - self._out(down)[k]) / (2 * h)
            return diag
        return self._once("diagonal", compute)


# --- check_layer ---------------------------------------------------------------------

def input_names(forward, count):
    """Names of forward's parameters (x, W, b, ...), for messages."""
    try:
        params = [p.name for p in inspect.signature(forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) >= count:
        return params[:count]
    return [f"x{i}" for i in range(count)]


def _run_forward(forward, xs, names, what):
    """forward(*copies) -> (out, cache), checking the convention and mutation."""
    copies = [x.copy() for x in xs]
    result = call(forward, *copies, what=what)
    if not isinstance(result, tuple) or len(result) != 2:
        got = "None" if result is None else (tr("a tuple of {n}", n=len(result)) if isinstance(result, tuple)
                                             else type(result).__name__)
        raise CheckFailed(tr("{what} must return (out, cache), a tuple of 2; it returned {got}.",
                             what=what, got=got),
                          key="bad_return")
    for name, x, c in zip(names, xs, copies):
        if not np.array_equal(x, c):
            raise CheckFailed(tr("{what} changed its input {name} in place ({name} += ... or {name}[...] = ...); build a "
                                 "new array instead (out = {name} + ..., not {name} += ...).",
                                 what=what, name=name),
                              key="mutated_input")
    dtype = getattr(result[0], "dtype", None)
    if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
        raise CheckFailed(tr("{what} returned its output in {dtype}: compute in float64 (numpy's default). In {dtype} "
                             "the last digits are lost, and with them every finite difference the check compares "
                             "backward with.",
                             what=what, dtype=dtype), key="low_precision")
    try:
        out = np.asarray(result[0], dtype=np.float64)
    except (TypeError, ValueError):
        out = None
    if out is None or not np.all(np.isfinite(out)):
        raise CheckFailed(tr("{what} returned an output that is not a finite array of numbers.", what=what),
                          key="bad_output")
    return out, result[1]


def _gradients(backward, dout, cache, count, names, what):
    """backward(dout, cache) as a tuple of ``count`` gradients."""
    dcopy = dout.copy()
    grads = call(backward, dcopy, cache, what=what)
    if not np.array_equal(dcopy, dout):
        raise CheckFailed(tr("{what} changed dout in place; compute new arrays instead (dx = dout * mask, not dout *= "
                             "mask).",
                             what=what), key="mutated_input")
    expected = ", ".join("d" + n for n in names)
    if grads is None:
        raise CheckFailed(tr("{what} returned None: it must return ({expected}). Did you forget `return`?",
                             what=what, expected=expected),
                          key="returned_none")
    if count == 1 and not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if not isinstance(grads, (tuple, list)) or len(grads) != count:
        n = len(grads) if isinstance(grads, (tuple, list)) else 1
        raise CheckFailed(tr("{what} returned {n} value; it must return {count}: ({expected}), one gradient per "
                             "input, in order.", what=what, n=n, count=count, expected=expected) if n == 1 else
                          tr("{what} returned {n} values; it must return {count}: ({expected}), one gradient per "
                             "input, in order.", what=what, n=n, count=count, expected=expected),
                          key="wrong_count")
    return tuple(grads)


# --- a backward pass must leave its cache as forward built it ------------------------------

def _cache_items(obj, path="cache", depth=0):
    """(path, value) for every array inside obj's tuples, lists and dicts, and each list's length."""
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif depth < 8 and isinstance(obj, (tuple, list)):
        if isinstance(obj, list):
            yield path + " (its length)", len(obj)
        for k, item in enumerate(obj):
            yield from _cache_items(item, f"{path}[{k}]", depth + 1)
    elif depth < 8 and isinstance(obj, dict):
        for k, item in obj.items():
            yield from _cache_items(item, f"{path}[{k!r}]", depth + 1)


def _snapshot(cache):
    return {path: value.copy() if isinstance(value, np.ndarray) else value
            for path, value in _cache_items(cache)}


def _same(a, b):
    """Bit-for-bit the same value (nan equal to nan); undecidable values count as the same."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return a.dtype.hasobject or a.tobytes() == b.tobytes()
    try:
        return bool(a == b) or a is b
    except Exception:  # a learner's value may compare in any way
        return True


def _changed_entry(before, cache):
    """The first path of the cache whose value changed, with its old value, or None."""
    after = dict(_cache_items(cache))
    for path, value in before.items():
        if path not in after or not _same(value, after[path]):
            return path, value
    for path in after:
        if path not in before:
            return path, None
    return None


def _kept(grads):
    return tuple(g.copy() if isinstance(g, np.ndarray) else g for g in grads)


def _cache_name(path, old, xs, names, out):
    """'the cached x' when the changed array was one of forward's inputs, else where it sits."""
    if path.endswith("(its length)"):
        return path.replace(" (its length)", ""), "the list " + path.replace(" (its length)", "")
    if isinstance(old, np.ndarray):
        for name, x in zip(names, xs):
            if old.shape == x.shape and np.array_equal(old, x):
                return name, f"the cached {name}"
        if old.shape == out.shape and np.array_equal(old, out):
            return "out", "the cached output"
    return path, path


def _check_cache_kept(backward, dout, cache, grads, before, count, grad_names, what, xs, names, out,
                      fresh_cache=None):
    """Call backward a second time on the same cache and dout: it must give the same gradients,
    and the arrays in the cache must not have changed.  When the gradients differ but no array of
    the cache did, ``fresh_cache()`` (forward run again) tells the two causes apart: the same
    gradients from a new cache mean backward changed something in the cache that is not an array
    (an attribute); different ones mean backward is not deterministic (random numbers, or values
    kept from an earlier call)."""
    changed = _changed_entry(before, cache)
    differs = False
    try:
        again = _gradients(backward, dout, cache, count, grad_names, what)
        differs = not all(_same(a, b) for a, b in zip(grads, again))
        problem = tr("a second backward on the same cache gave different gradients") if differs else None
    except CheckFailed as exc:
        problem = tr("a second backward on the same cache failed ({error})", error=str(exc).splitlines()[0])
    if changed is None and problem is None:
        return
    if changed is None and differs and fresh_cache is not None:
        try:
            third = _gradients(backward, dout, fresh_cache(), count, grad_names, what)
            random = not all(_same(a, b) for a, b in zip(grads, third))
        except CheckFailed:
            random = False
        if random:
            raise CheckFailed(tr("{what} gave different gradients for the same dout and the same cache, which it left "
                                 "unchanged: a backward pass must compute them from dout and the cache alone (no random "
                                 "numbers: a mask forward drew belongs in the cache; no values kept or added up from an "
                                 "earlier call).",
                                 what=what), key="backward_not_deterministic")
    first = grad_names[0] if grad_names else "x"
    advice = tr("compute new arrays (d{first} = ...) instead of editing cached ones", first=first)
    problem = problem or tr("a backward pass must leave its cache as forward built it")
    if changed is None:
        advice += " " + tr("(*=, [...] =, .pop() or a changed attribute)")
        raise CheckFailed(tr("{what} changed its cache in place: {problem}; {advice}.",
                             what=what, problem=problem, advice=advice), key="mutated_cache")
    var, label = _cache_name(*changed, xs, names, out)
    if label.startswith("the list"):
        advice = tr("read a cached list without changing it ({var}[k] or reversed({var}), not {var}.pop())", var=var)
        label = tr("the list {path}", path=var)
    elif label.startswith("the cached ") and var != "out":
        advice += " " + tr("({var} *= ... or {var}[...] = ...)", var=var)
        label = tr("the cached {name}", name=var)
    else:
        advice += " " + tr("(*=, += or [...] = on a cached array)")
        label = tr("the cached output") if label == "the cached output" else label
    raise CheckFailed(tr("{what} changed its cache in place ({label}): {problem}; {advice}.",
                         what=what, label=label, problem=problem, advice=advice), key="mutated_cache")


def _wrong_order(grads, xs, wrt, oracles):
    """A permutation p, not the identity, such that grads[p[s]] is right for every slot s; or None."""
    count = len(wrt)
    if not 2 <= count <= 6:
        return None
    arrays = []
    for g in grads:
        try:
            arrays.append(np.asarray(g, dtype=np.float64))
        except (TypeError, ValueError):
            return None
    for p in itertools.permutations(range(count)):
        if p == tuple(range(count)):
            continue
        if all(arrays[p[s]].shape == xs[wrt[s]].shape for s in range(count)) and \
                all(oracles[s].matches(arrays[p[s]]) for s in range(count)):
            return p
    return None


def _check_nearby(forward, reference, xs, wrt, names, out, fwd_name, seed):
    """A forward that is right at the check's inputs must be right a little away from them too:
    finite differences judge backward against forward there, so a forward that recalls its output
    at the asked inputs (and is constant near them) would make any backward look right.  Compared
    only when forward matches ``reference`` at the inputs (the notebook's own check of the output
    names a forward that is wrong there)."""
    if reference is None:
        return
    at_inputs = relative_error(out, np.asarray(reference(*[x.copy() for x in xs]), dtype=np.float64))
    if not at_inputs <= GRAD_RTOL:
        return
    rng = np.random.default_rng([seed, 0x4E41])
    for step in NEARBY_STEPS:
        moved = [x + step * max(1.0, float(np.max(np.abs(x), initial=0.0))) * rng.standard_normal(x.shape)
                 if i in wrt else x.copy() for i, x in enumerate(xs)]
        mine, _ = _run_forward(forward, moved, names, fwd_name)
        theirs = np.asarray(reference(*[x.copy() for x in moved]), dtype=np.float64)
        error = relative_error(mine, theirs) if mine.shape == theirs.shape else np.inf
        if not error <= max(NEARBY_RTOL, 100 * at_inputs):
            raise CheckFailed(tr("{fwd_name} gives the right output at the check's inputs but not at inputs moved by "
                                 "{step:g} (relative error {error:.1e} there): a forward pass must compute its output "
                                 "from the inputs it is given, every time, not recall it.",
                                 fwd_name=fwd_name, step=step, error=error),
                              key="forward_only_at_inputs")


def _steps_everywhere(forward, xs, i, names, out, fwd_name, seed):
    """Every entry of input ``i`` seemed to sit at a kink: a correct layer never does that (the check
    would be badly set up), but a forward pass that is piecewise constant does (its output rounded,
    or made of integers).  Raise a CheckFailed when forward's output does not move at all when the
    input moves by 1e-3 (relative); else return, and the caller reports the setup error."""
    rng = np.random.default_rng([seed, 0x57E9])
    moved = [x.copy() for x in xs]
    moved[i] = xs[i] + 1e-3 * np.maximum(1.0, np.abs(xs[i])) * rng.standard_normal(xs[i].shape)
    there, _ = _run_forward(forward, moved, names, fwd_name)
    if there.shape == out.shape and np.array_equal(there, out):
        raise CheckFailed(tr("{fwd_name} gives exactly the same output when {input} moves a little: it is a step "
                             "function of {input} (rounded, or made of integers?), so it has no gradient to check "
                             "backward against; compute it in float64 without rounding.",
                             fwd_name=fwd_name, input=names[i]),
                          key="forward_steps")


# --- a backward pass that is not backpropagation ------------------------------------------

def _learner_function(fn):
    """The learner's own function behind ``fn`` (a wrapper of the checks names it in ``through``)."""
    spec = getattr(fn, "through", None)
    if spec is not None:
        return spec[0]
    return getattr(fn, "__wrapped__", fn)


class _CallCounter:
    """``with _CallCounter(fn) as c: ...``: ``c.calls`` is how many times ``fn``'s code ran in the
    body (a profile hook of this thread, put back after)."""

    def __init__(self, fn):
        self.code = getattr(getattr(fn, "__func__", fn), "__code__", None)
        self.calls = 0

    def _profile(self, frame, event, arg):
        if event == "call" and frame.f_code is self.code:
            self.calls += 1

    def __enter__(self):
        if self.code is not None:
            self.previous = sys.getprofile()
            sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        if self.code is not None:
            sys.setprofile(self.previous)
        return False


def forward_calls(forward):
    """A context manager whose ``.calls`` counts the calls of the learner's forward pass made in
    its body, in one process and (through the learner's process) in trusted grading."""
    target = _learner_function(forward)
    if hosts.elsewhere(target):
        return hosts.counting(target)
    return _CallCounter(target)


def _finite_differences_backward(calls, xs, wrt, fwd_name, bwd_name):
    """A backward pass that calls its forward pass about once per input entry (or twice: central
    differences) computes the gradient numerically, not by the chain rule."""
    entries = sum(int(xs[i].size) for i in wrt)
    if calls >= 2 and calls >= entries:
        raise CheckFailed(tr("{bwd_name} called {fwd_name} {calls} times for one backward pass ({entries} input "
                             "entries): that is finite differences (two forward calls per entry), not "
                             "backpropagation. A backward pass computes the gradients from dout and the cache with "
                             "the chain rule, and calls no forward pass.",
                             bwd_name=bwd_name, fwd_name=fwd_name, calls=calls, entries=entries),
                          key="finite_differences_backward")


@contextlib.contextmanager
def _autodiff_named(*fns):
    """A failure of a learner whose functions reach a library that differentiates for them (or
    whose notebook imports one) is named ``uses_autodiff``, as trusted grading names it (its
    learner process refuses the import)."""
    learner = [_learner_function(f) for f in fns]
    if any(hosts.elsewhere(f) for f in learner):
        yield       # trusted grading: the learner's process refuses the import and reports it
        return
    lib = autodiff_libs.in_reach(*learner)
    if lib:
        raise CheckFailed(tr("{name} uses {lib}, which computes derivatives for you: graded answers cannot use it; "
                             "write the derivative yourself.",
                             name=getattr(learner[-1], '__name__', None) or tr("your function"), lib=lib),
                          key="uses_autodiff")
    try:
        yield
    except CheckFailed as exc:
        libs = [] if exc.key == "not_implemented" else [
            lib for fn in learner for lib in autodiff_libs.notebook_imports(fn)]
        if not libs:
            raise
        raise CheckFailed(tr("your notebook imports {libs}, which computes derivatives for you: graded answers "
                             "cannot use it; write the derivative yourself.\n{exc}",
                             libs=', '.join(dict.fromkeys(libs)), exc=exc),
                          key="uses_autodiff") from None


@public
def check_layer(forward, backward, *inputs, **options):
    """Check a layer's backward pass against central differences of its forward pass: see
    ``_check_layer``.  A backward pass that is finite differences of the forward pass, or that
    comes from a library that differentiates, is named (``finite_differences_backward``,
    ``uses_autodiff``)."""
    with _autodiff_named(forward, backward):
        _check_layer(forward, backward, *inputs, **options)


def _check_layer(forward, backward, *inputs, wrt=None, mistakes=(), seed=0, batch=None,
                 names=None, quiet=False, reference=None):
    """Check a layer's backward pass against central differences of its forward pass.

    ``forward(*inputs)`` returns ``(out, cache)``; ``backward(dout, cache)``
    returns one gradient per input in ``wrt`` (default: every input), in order.
    The upstream gradient ``dout`` is random (seeded); a second, different one
    finds a backward pass that ignores it.  Backward runs twice on the same cache
    (it must not edit it); gradients returned in another order are named; input
    entries whose finite-difference step straddles a kink of forward are left
    out of the comparison, and the messages say how many.

    ``reference(*inputs) -> out``: the course's own forward pass, when there is one; forward must
    then agree with it at inputs moved a little away from the check's inputs too.
    """
    xs = [np.array(x, dtype=np.float64) for x in inputs]
    wrt = list(range(len(xs))) if wrt is None else list(wrt)
    names = list(names) if names else input_names(forward, len(xs))
    fwd_name = getattr(forward, "__name__", "forward")
    bwd_name = getattr(backward, "__name__", "backward")
    # Salted, so dout is never the same draw as inputs made with the same seed.
    rng = np.random.default_rng([seed, 0xBAC4])
    if batch is None and xs and xs[0].ndim >= 2:
        batch = xs[0].shape[0]

    out, cache = _run_forward(forward, xs, names, fwd_name)
    out = out.copy()   # backward may edit a cached out; keep the value forward returned
    _check_nearby(forward, reference, xs, wrt, names, out, fwd_name, seed)
    dout = rng.standard_normal(out.shape)
    dout_again = rng.standard_normal(out.shape)
    loss_at_x = float(np.sum(out * dout))
    grad_names = [names[i] for i in wrt]
    before = _snapshot(cache)
    with forward_calls(forward) as counted:
        grads = _kept(_gradients(backward, dout, cache, len(wrt), grad_names, bwd_name))
    _finite_differences_backward(counted.calls, xs, wrt, fwd_name, bwd_name)
    _check_cache_kept(backward, dout, cache, grads, before, len(wrt), grad_names, bwd_name, xs, names, out,
                      fresh_cache=lambda: _run_forward(forward, xs, names, fwd_name)[1])
    _, cache_again = _run_forward(forward, xs, names, fwd_name)
    grads_again = _gradients(backward, dout_again, cache_again, len(wrt), grad_names, bwd_name)

    evidence = []
    for slot, i in enumerate(wrt):
        def scalar_loss(z, i=i, w=dout):
            args = [x.copy() for x in xs]
            args[i] = z
            return float(np.sum(np.asarray(forward(*args)[0], dtype=np.float64) * w))

        def scalar_loss_again(z, i=i):
            return scalar_loss(z, i, dout_again)

        learner = _learner_call(forward)
        if learner is not None:
            # trusted grading: each sweep of finite differences is one message to the learner's process
            scalar_loss.many = _many(learner, xs, i, dout)
            scalar_loss_again.many = _many(learner, xs, i, dout_again)

        oracle = call(oracle_for, scalar_loss, xs[i], rng, what=fwd_name)
        if abs(oracle.fx - loss_at_x) > 1e-9 * max(1.0, abs(loss_at_x)):
            raise CheckFailed(tr("{fwd_name} gave a different output for the same inputs when called again: a forward "
                                 "pass must depend on its inputs only (no random numbers, no values kept from an earlier "
                                 "call).",
                                 fwd_name=fwd_name), key="not_deterministic")
        oracle_again = call(oracle_for, scalar_loss_again, xs[i], rng, what=fwd_name)
        _share_masks(oracle, oracle_again)
        if _nothing_to_compare(oracle) or _nothing_to_compare(oracle_again):
            _steps_everywhere(forward, xs, i, names, out, fwd_name, seed)
            raise _setup_error("check_layer", "d" + names[i], names[i], fwd_name)
        again = grads_again[slot]
        try:
            again = np.asarray(again, dtype=np.float64) if np.shape(again) == xs[i].shape else None
        except (TypeError, ValueError):
            again = None
        ev = Evidence(name="d" + names[i], of=names[i], raw=grads[slot], want=xs[i].shape,
                      oracle=oracle, batch=batch, yours_again=again, oracle_again=oracle_again,
                      inputs=tuple(x.copy() for x in xs), dout=dout.copy())
        ev.extra.update(kinks_of=fwd_name, setup=("check_layer", ev.name, names[i], fwd_name), names=names,
                        probe=LayerProbe(forward, xs, i, out, dout, fwd_name, batch), others=evidence)
        evidence.append(ev)

    failures, keys, hints, errors = [], {}, [], []
    for ev in evidence:
        message = judge(ev, mistakes)
        if message:
            failures.append(message)
            keys[ev.name] = ev.extra["key"]
            hints.append(ev.extra["hint"])
        else:
            errors.append(f"{ev.name} {ev.oracle.error(ev.yours):.1e}")
    own_keys = {m.key for m in mistakes}
    if failures and not own_keys & set(keys.values()):
        for ev in evidence:
            sharpen(ev)
        order = _wrong_order(grads, xs, wrt, [ev.oracle for ev in evidence])
        if order is not None:
            expected = ", ".join(ev.name for ev in evidence)
            looks = ", ".join(evidence[order.index(j)].name for j in range(len(order)))
            raise CheckFailed(tr("{bwd_name} returned its gradients in the wrong order: return ({expected}), one per "
                                 "input, in the order of forward's inputs (yours look like ({looks})).",
                                 bwd_name=bwd_name, expected=expected, looks=looks),
                              key="wrong_order",
                              keys={ev.name: "wrong_order" for s, ev in enumerate(evidence) if order[s] != s})
    if failures:
        raise CheckFailed(f"{bwd_name}: " + "\n".join(failures), key=next(iter(keys.values())), keys=keys,
                          hint=next((h for h in hints if h is not None), None))
    note = kinks_note([(ev.name, ev.oracle) for ev in evidence], fwd_name)
    if not quiet:
        print(tr("check_layer passed: {bwd_name} matches central differences (relative errors: {errors}; "
                 "tolerance {rtol:.0e})", bwd_name=bwd_name, errors=', '.join(errors), rtol=GRAD_RTOL)
              + (f"; {note}." if note else "."))


# --- answers that are values, not gradients of the learner's own forward -----------------

def check_answer(what, raw, expected, *, name=None, of=None, rtol=GRAD_RTOL, mistakes=(),
                 inputs=(), context=""):
    """Compare a learner's returned value with a known right answer and raise a
    CheckFailed naming the mistake (same catalog, same message format).

    ``expected`` is computed by the check from an independent formula;
    ``context`` says for which input (", for f = sin at x = 0.7"); ``of`` names
    what the answer must have the shape of, when there is such a thing ("x").
    """
    expected = np.asarray(expected, dtype=np.float64)
    oracle = FullOracle(expected, rtol=rtol)
    oracle.label = "expected"
    ev = Evidence(name=name or what, of=of, raw=raw, want=expected.shape,
                  oracle=oracle, inputs=tuple(inputs))
    message = judge(ev, mistakes)
    if message:
        first, *rest = message.split("\n")
        raise CheckFailed("\n".join([f"{what}{context}: {first}"] + rest),
                          key=ev.extra["key"], keys={ev.name: ev.extra["key"]}, hint=ev.extra["hint"])
    return ev.yours
