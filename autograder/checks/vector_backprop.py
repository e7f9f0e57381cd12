"""Checks for 04_vector_backprop: layers, batches and a network
(long: one notebook's checks and the catalog of its mistakes, read together, one exercise after
another; split by exercise they would scatter what a notebook's author edits at once).

One check per graded cell.  Gradients are judged against central differences of
the learner's own forward pass (``check_layer``, with the course's forward as
``reference``); loss values, parameter vectors and byte counts against closed
forms written here, never the learner's code.  A named mistake points to the hint
of its exercise that addresses it, where one does (``hint=N``: "see hint N of
Exercise M"; tests/checks/test_checks_vector_backprop.py keeps every cited hint existing).

Inputs are not kind (issue 18): every check of arrays runs at least two cases whose
dimensions all differ (and whose batch sizes N differ), every branch of an exercise
(each activation, each loss), integer inputs where a learner could start from
one, the inputs and caches compared before and after each call, and the extreme
inputs the text promises stability for (sigmoid and tanh at +-800, softmax at
scores of 1000).  The hidden half is a second sample of the same rules.

Every input is away from a kink: ReLU inputs and hinge margins are at least 0.05
from 0, so a central difference never straddles one.

A catalog row that cannot be computed for some inputs (a product whose shapes do
not fit) does not apply there: ``like`` below turns its exception into "no match".

Besides each exercise's own rows, a few diagnoses work across exercises (issue 18, a blind
catalog's mistakes named by class, not one by one): a sum over the samples that counts some of
them 0 or 2 times (a loop's bounds off by one, ``=`` for ``+=``: ``sample_rows``), a backward whose
dz is not proportional to dout (``dout * a - b``: ``_dout_probe``), a gradient of integer dtype
from an integer input, numpy's broadcast error for one number per row that is not a column
(``_not_a_column``), and the usual wrong variants of a derivative or a forward pass (the other
activation's derivative, the derivative at the wrong point, the cached input read as the output).
"""
import contextlib
import functools
import re
import sys
import warnings

import numpy as np

from . import Exercises
from .. import check_layer, like as _like
from ..catalog import Mistake as _Row
from ..check import check_answer, through
from ..guard import CheckFailed, call
from ..i18n import N_, tr
from .reference import sigmoid as _sigmoid, sigmoid_derivative as _dsigmoid

EXERCISES = Exercises("04_vector_backprop", [
    ("layer_questions", "Where the sums, the transposes and the 1/N come from", 1),
    ("affine", "Affine layer: x @ W + b for a batch, any input shape", 3),
    ("sigmoid", "Sigmoid layer", 1),
    ("tanh", "Tanh layer", 1),
    ("relu", "ReLU layer", 2),
    ("mse_loss", "Mean squared error: value and dy", 2),
    ("softmax_cross_entropy", "Softmax cross-entropy: value and dscores, stable", 2),
    ("collapse_linear", "Two linear layers are one (seed 004)", 1),
    ("two_layer_net", "Two-layer network from the layers: loss and gradients", 3),
    ("flatten", "Parameter vector theta = [W1.ravel(); b1; ...] and back (seed 000)", 2),
    ("layer_theta_grad", "dL/dtheta of one layer: an outer product and a sum", 1),
    ("hinge_loss", "CS231n's multiclass hinge loss with L2 regularisation", 3),
    ("cache_bytes", "What the forward pass keeps: bytes of a cache", 1),
], functions={"flatten": ("flatten", "unflatten")})
progress = EXERCISES.progress

# check_layer takes a 2-D first input's rows as a batch; for inputs that are not a batch
# (a weight matrix, a parameter vector) no "N times" diagnosis applies.
NO_BATCH = 0
KINK_MARGIN = 0.05   # ReLU inputs and hinge margins stay this far from 0

# a wrong answer that cannot be computed for these inputs: a shape no answer has
_NOT_APPLICABLE = np.empty((0,) * 7)


def like(key, says, wrong_answer, grads=None, hint=None):
    """``autograder.like`` whose wrong answer never raises: a row that cannot be computed for the
    check's inputs (a product whose shapes do not fit, an index out of range) simply does not match."""
    def safe(ev):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return np.asarray(wrong_answer(ev), dtype=np.float64)
        except Exception:  # a row that does not apply to these inputs
            return _NOT_APPLICABLE
    return _like(key, says, safe, grads=grads, hint=hint)


# --- references (closed forms) -----------------------------------------------------------------

def _relu(z):
    return np.maximum(z, 0.0)


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax_rows(s):
    shifted = s - s.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _ce(scores, labels):
    n = scores.shape[0]
    return float(-np.mean(_log_softmax_rows(scores)[np.arange(n), labels]))


def _ce_grad(scores, labels):
    n = scores.shape[0]
    g = _softmax_rows(scores)
    g[np.arange(n), labels] -= 1.0
    return g / n


def _mse(y, t):
    return float(0.5 * np.sum((y - t) ** 2) / y.shape[0])


ACTIVATIONS = {
    "relu": (_relu, lambda z: (z > 0).astype(np.float64)),
    "sigmoid": (_sigmoid, _dsigmoid),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
}


def _net(x, W1, b1, W2, b2, t, hidden, loss, variant=None):
    """Loss and gradients of scores = a(x @ W1 + b1) @ W2 + b2, for the mistake rows too."""
    n = x.shape[0]
    act, dact = ACTIVATIONS[hidden]
    z1 = x @ W1 + b1
    h1 = z1 if variant == "no_activation" else act(z1)
    s = h1 @ W2 + b2
    if variant == "act_on_scores":
        s = act(s)
    if loss == "softmax":
        value, ds = _ce(s, t), _ce_grad(s, t)
    else:
        value, ds = _mse(s, t), (s - t) / n
    local = dact(z1)
    if variant == "no_derivative":
        local = np.ones_like(z1)
    elif variant == "at_output":
        local = dact(h1)
    dz1 = (ds @ W2.T) * local
    grads = {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": h1.T @ ds, "b2": ds.sum(axis=0)}
    return value, grads


def _hinge(W, x, labels, reg, variant=None):
    """CS231n's multiclass SVM loss and dW; ``variant`` builds the named wrong answers."""
    n = x.shape[0]
    rows = np.arange(n)
    s = x @ W
    margins = s - s[rows, labels][:, None] + 1.0
    margins[rows, labels] = 0.0
    data = np.maximum(margins, 0.0).sum() / n
    value = data + reg * np.sum(W * W)
    mask = (margins > 0).astype(np.float64)
    if variant != "not_subtracted":
        mask[rows, labels] = -mask.sum(axis=1) - (1.0 if variant == "own_in_mask" else 0.0)
    dW = x.T @ mask / n
    reg_grad = {"reg_grad_missing": 0.0, "reg_grad_no_2": reg * W, "reg_over_n": 2 * reg * W / n}.get(
        variant, 2 * reg * W)
    return value, dW + reg_grad


def _hinge_parts(W, x, labels):
    """Each sample's part of the data term of dW (shape (N, D, C)): outer(x[s], mask[s]) / N."""
    n = x.shape[0]
    rows = np.arange(n)
    s = x @ W
    margins = s - s[rows, labels][:, None] + 1.0
    margins[rows, labels] = 0.0
    mask = (margins > 0).astype(np.float64)
    mask[rows, labels] = -mask.sum(axis=1)
    return np.einsum("si,sj->sij", x, mask) / n


# --- helpers -----------------------------------------------------------------------------------

def _rng(hidden, base):
    return np.random.default_rng(base + (1 if hidden else 0))


def _name(fn, default):
    return getattr(fn, "__name__", default)


def _away_from_zero(rng, shape, low=0.1, high=2.0):
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _pair(what, result, first, second):
    """A function that must return a pair: say so by name when it does not."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        got = "None" if result is None else (tr("a tuple of {n}", n=len(result)) if isinstance(result, (tuple, list))
                                             else type(result).__name__)
        raise CheckFailed(tr("{what} must return ({first}, {second}), a tuple of 2; it returned {got}.",
                             what=what, first=first, second=second, got=got),
                          key="bad_return")
    return result


def _answer(what, raw, expected, *, name, context="", mistakes=()):
    """check_answer, with a clear sentence for a value that is not an array of numbers at all
    (a list of arrays of different lengths, say), which numpy cannot even give a shape."""
    if raw is not None:
        try:
            np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(tr("{what}{context}: {name} is not an array of numbers (got {kind}); "
                                 "return one numpy array (np.concatenate joins a list of arrays).",
                                 what=what, context=context, name=name, kind=type(raw).__name__),
                              key="not_numeric") from None
        if np.ndim(expected) == 0 and np.ndim(raw) > 0:
            kind = tr("the mean over the batch") if name == "loss" else tr("a number")
            raise CheckFailed(tr("{what}{context}: {name} must be one number ({kind}); yours has shape "
                                 "{shape}.",
                                 what=what, context=context, name=name, kind=kind, shape=np.shape(raw)),
                              key="not_a_number")
    try:
        return check_answer(what, raw, expected, name=name, of=name, context=context, mistakes=mistakes)
    except CheckFailed as exc:
        if exc.key == "scaled_other" and np.ndim(expected) == 0:
            # any two numbers differ by "a constant factor": say only that the number is wrong
            yours = _number(raw)
            raise CheckFailed(tr("{what}{context}: {name} is {yours:.6g}, {expected:.6g} was expected (not "
                                 "a slip the check recognises: compare your formula with the text's, term by "
                                 "term).",
                                 what=what, context=context, name=name, yours=yours,
                                 expected=float(expected)),
                              key="wrong_values", keys={name: "wrong_values"}) from None
        raise


def _forward_value(forward, inputs, expected, what, name="out", mistakes=(), context="", names=None, hint=None):
    """forward(*inputs) returns (out, cache) with out equal to ``expected``; returns the cache."""
    given = [np.array(v) for v in inputs]
    result = _pair(what, call(forward, *given, what=what), name, "cache")
    _unchanged(what, inputs, given, names=names, hint=hint)
    _answer(what, result[0], expected, name=name, mistakes=mistakes, context=context)
    return result[1]


def _unchanged(what, originals, given, names=None, hint=None):
    """The arrays a learner's function was given must be as they were (the caller still needs them)."""
    for k, (before, after) in enumerate(zip(originals, given)):
        if not isinstance(before, np.ndarray):
            continue
        try:
            same = np.array_equal(np.asarray(after), before)
        except Exception:  # a value that cannot be compared is not ours to judge here
            same = True
        if not same:
            label = names[k] if names else tr("its input number {k}", k=k + 1)
            raise CheckFailed(tr("{what} changed {label} in place: the caller's array is now wrong for everything "
                                 "that still uses it. Build a new array instead ({label}[...] = ..., {label} -= "
                                 "... and {label} *= ... write into the caller's array).",
                                 what=what, label=label),
                              key="mutated_input", hint=hint)


@contextlib.contextmanager
def _hints(**by_key):
    """A failure whose key is one of ``by_key`` (and that names no hint yet) points to that hint."""
    try:
        yield
    except CheckFailed as exc:
        if exc.hint is None and exc.key in by_key:
            raise CheckFailed(str(exc), key=exc.key, keys=exc.keys, hint=by_key[exc.key]) from None
        raise


def _with_name(fn, name):
    fn.__name__ = name
    return fn


def _overflowed(what, exc, key, sentence, hint=None):
    """Re-raise a warning or exception about overflow / log(0) as a named mistake."""
    text = str(exc)
    if exc.key in ("warning", "exception") and any(w in text for w in ("overflow", "divide by zero",
                                                                       "invalid value")):
        raise CheckFailed(f"{what}: {sentence}\n  ({text.splitlines()[0]})", key=key, hint=hint) from None
    raise exc


def _broadcast_shapes(text):
    """The operand shapes of numpy's 'could not be broadcast together with shapes (a,b) (c,)' message."""
    found = re.findall(r"\(([\d, ]*)\)", text.split("shapes", 1)[-1]) if "broadcast" in text else []
    return [tuple(int(v) for v in f.replace(" ", "").split(",") if v) for f in found[:2]]


def _number(value):
    """A plain number from what a learner returned, or None."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    try:
        if np.ndim(value) != 0:
            return None
        return float(value)
    except (TypeError, ValueError):
        return None


# --- diagnoses shared by several exercises ---------------------------------------------------------

# keys that only say "wrong": a check that ends with one of them may look for a named cause first
SYMPTOMS = frozenset({"wrong_values", "partly_wrong", "scaled_other"})


def _sample_weights(ev, parts_fn, offset=None):
    """Integer weights w with yours = offset + sum_s w[s] * part_s exactly, part_s = parts_fn(ev)[s] the
    right contribution of sample s and ``offset(ev)`` what does not depend on the samples (a regulariser's
    gradient); None unless the samples are counted 0, 1 or 2 times and not all alike (all alike is a
    constant factor, which other rows name)."""
    cache = ev.extra.setdefault("sample_weights", {})
    if id(parts_fn) in cache:
        return cache[id(parts_fn)]
    cache[id(parts_fn)] = None
    parts = np.asarray(parts_fn(ev), dtype=np.float64)
    n = parts.shape[0]
    G = parts.reshape(n, -1).T
    y = np.asarray(ev.yours, dtype=np.float64)
    if offset is not None:
        y = y - np.asarray(offset(ev), dtype=np.float64)
    y = y.ravel()
    # a sample that adds nothing here (no positive margin, say) cannot be told counted or not: count it once
    adds = np.max(np.abs(G), axis=0) > 1e-12 * max(float(np.max(np.abs(G))), 1e-300)
    used = G[:, adds]
    if n < 2 or G.shape[0] != y.size or adds.sum() < 2 or np.linalg.matrix_rank(used) < adds.sum():
        return None
    w = np.ones(n)
    w[adds] = np.linalg.lstsq(used, y, rcond=None)[0]
    rounded = np.round(w)
    scale = max(float(np.max(np.abs(y))), 1e-12)
    if (np.max(np.abs(w - rounded)) > 1e-6 or np.max(np.abs(G @ rounded - y)) > 1e-7 * scale
            or not set(rounded.tolist()) <= {0.0, 1.0, 2.0} or np.all(rounded[adds] == rounded[adds][0])):
        return None
    cache[id(parts_fn)] = rounded.astype(int)
    return cache[id(parts_fn)]


def _sample_pattern(w):
    """(key, sentence) for the way a loop over the samples counted them (weights ``w``)."""
    n = len(w)
    left_out = [s for s in range(n) if w[s] == 0]
    twice = [s for s in range(n) if w[s] == 2]
    if not twice and left_out == [n - 1]:
        return "loop_off_by_one", tr("leaves out the last sample (s = N-1 = {last}): a loop over range(N - 1) "
                                     "stops one short; range(N) visits all N={n} samples.", last=n - 1, n=n)
    if not twice and left_out == [0]:
        return "loop_off_by_one", tr("leaves out the first sample (s = 0): a loop from 1 starts one late; "
                                     "range(N) starts at 0.")
    if not twice and left_out == list(range(n - 1)):
        return "overwritten_not_added", tr("holds the last sample's part only: inside the loop over the samples, "
                                           "`=` replaces what the earlier samples put there; add each sample's "
                                           "part with `+=` (starting from zeros).")
    if not twice and left_out == list(range(1, n)):
        return "one_sample_only", tr("holds the first sample's part only: every one of the N samples adds its "
                                     "part (a `return` inside the loop over the samples?).")
    left = ", ".join(map(str, left_out))
    again = ", ".join(map(str, twice))
    s_left = "s" if len(left_out) > 1 else ""
    s_twice = "s" if len(twice) > 1 else ""
    if left_out and twice:
        said = tr("leaves out sample{s_left} {left} and counts sample{s_twice} {twice} twice: each of the N={n} "
                  "samples adds its part exactly once (check the loop's bounds and what it adds).",
                  s_left=s_left, left=left, s_twice=s_twice, twice=again, n=n)
    elif left_out:
        said = tr("leaves out sample{s_left} {left}: each of the N={n} samples adds its part exactly once (check "
                  "the loop's bounds and what it adds).", s_left=s_left, left=left, n=n)
    else:
        said = tr("counts sample{s_twice} {twice} twice: each of the N={n} samples adds its part exactly once "
                  "(check the loop's bounds and what it adds).", s_twice=s_twice, twice=again, n=n)
    return "samples_miscounted", said


def sample_rows(parts_fn, hint=None, grads=None, offset=None):
    """Rows that name a sum over the samples that counts some of them 0 or 2 times (a loop's bounds
    off by one, `=` for `+=`): ``parts_fn(ev)`` gives each sample's right contribution, shape
    (N,) + the answer's shape; ``offset(ev)``, the part of the answer that no sample gives."""
    def row(key):
        def test(ev):
            w = _sample_weights(ev, parts_fn, offset)
            return w is not None and _sample_pattern(w)[0] == key
        return _Row(key, N_("{name} {pattern}"), test, grads=(grads,) if isinstance(grads, str) else grads,
                    details=lambda ev: {"pattern": _sample_pattern(_sample_weights(ev, parts_fn, offset))[1]},
                    hint=hint)
    return [row(k) for k in ("loop_off_by_one", "overwritten_not_added", "one_sample_only", "samples_miscounted")]


def sample_value_rows(per_sample, total, hint=None):
    """The same for a loss value, the mean of ``per_sample`` (N numbers): a loop's bounds off by one,
    or `=` for `+=` (``total`` adds what does not depend on the samples, a regulariser)."""
    n = len(per_sample)
    return [
        like("loop_off_by_one", tr("the loss leaves out the last sample: a loop over range(N - 1) stops one "
                                   "short; range(N) visits all N={n} samples.",
                                   n=n), lambda ev: np.sum(per_sample[:-1]) / n + total, hint=hint),
        like("loop_off_by_one", tr("the loss leaves out the last sample: a loop over range(N - 1) stops one "
                                   "short; range(N) visits all N={n} samples.",
                                   n=n), lambda ev: np.mean(per_sample[:-1]) + total, hint=hint),
        like("loop_off_by_one", "the loss leaves out the first sample (s = 0): a loop from 1 starts one late; "
             "range(N) starts at 0.", lambda ev: np.sum(per_sample[1:]) / n + total, hint=hint),
        like("overwritten_not_added", "the loss is the last sample's alone: inside the loop over the samples, "
             "`=` replaces what the earlier samples added; use `+=`.", lambda ev: per_sample[-1] / n + total,
             hint=hint),
    ]


def _not_a_column(what, exc, shape, per_row, hint):
    """numpy's 'could not be broadcast together with shapes (N,C) (N,)': one number per row used
    against an (N, C) array without being made a column: name it (else re-raise)."""
    if exc.key == "exception" and len(shape) == 2 and shape[0] != shape[1] and \
            set(_broadcast_shapes(str(exc))) == {tuple(shape), (shape[0],)}:
        n, c = shape
        raise CheckFailed(tr("{what}: {per_row} has one number per sample, shape ({n},); an array of shape ({n}, "
                             "{c}) meets it along its LAST axis, the {c} classes, so numpy cannot pair them (and "
                             "with N = C it would silently pair the wrong ones). Make it a column of shape ({n}, "
                             "1): keepdims=True in the sum or max, or [:, None].\n  ({error})",
                             what=what, per_row=per_row, n=n, c=c, error=str(exc).splitlines()[0]),
                          key="not_a_column", hint=hint) from None
    raise exc


def _dout_probe(what_b, backward, cache, shape, example, hint):
    """A backward pass whose result is not proportional to dout: with dout = 0 it returns something
    other than zeros, so a term of dz is not multiplied by dout (``dout * a - b``).  Raise that, named;
    else return quietly."""
    try:
        dz = np.asarray(call(backward, np.zeros(shape), cache, what=what_b), dtype=np.float64)
    except (CheckFailed, TypeError, ValueError):   # the probe found nothing to add: the failure stands
        return
    if dz.shape == shape and np.all(np.isfinite(dz)) and np.max(np.abs(dz)) > 1e-12:
        raise CheckFailed(tr("{what_b}: with dout = 0 it returns nonzero numbers (up to {largest:.3g}), so "
                             "part of dz is not multiplied by dout. The chain rule multiplies the WHOLE local "
                             "derivative by dout: {example} (operator precedence: dout * a - b is (dout * a) - b).",
                             what_b=what_b, largest=np.max(np.abs(dz)), example=example),
                          key="dout_not_distributed", hint=hint)


# --- 1. where the sums come from -----------------------------------------------------------------

QUESTIONS = ("db_axis", "dW_terms", "dh_terms", "delta_per_dz")


def _right_answers(n, d, m):
    return {"db_axis": 0, "dW_terms": n, "dh_terms": m, "delta_per_dz": n}


def _question_sentence(key, value, n, d, m):
    """(mistake key, sentence, hint) for a wrong answer to one question."""
    size = {n: "N", d: "D", m: "M"}
    if key == "db_axis":
        return ("db_axis", tr("db_axis is {value:g}: b[j] is added to z[s, j] of every sample s, so db[j] = "
                              "sum over s of dz[s, j], a sum over the samples, which run along axis 0 of dz (axis 1 "
                              "runs over the outputs j).", value=value), 2)
    if key == "dW_terms":
        wrong = size.get(value)
        why = (tr(" ({wrong} counts the inputs i, but i and j are fixed in one entry dW[i, j])", wrong=wrong)
               if wrong == "D" else
               tr(" ({wrong} counts the outputs j, but i and j are fixed in one entry dW[i, j])", wrong=wrong)
               if wrong == "M" else "")
        return ("dW_terms", tr("dW_terms is {value:g}, N={n} was expected: W[i, j] is one number shared by the "
                               "samples; it enters z[s, j] once for each sample s, so dW[i, j] sums N terms h[s, i] "
                               "dz[s, j]{why}. That sum over the batch is where the transpose in dW comes from.",
                               value=value, n=n, why=why), 2)
    if key == "dh_terms":
        wrong = size.get(value)
        why = (tr(" (s and i are fixed in one entry dh[s, i])") if wrong in ("N", "D") else "")
        return ("dh_terms", tr("dh_terms is {value:g}, M={m} was expected: h[s, i] enters z[s, j] of its own "
                               "sample for every output j, so dh[s, i] sums M terms dz[s, j] W[i, j]{why}.",
                               value=value, m=m, why=why), 2)
    if np.isclose(value, 1.0 / n):
        why = tr("you inverted it: dz[s] is the smaller one, 1/N of the seed's delta")
    elif np.isclose(value, 1.0):
        why = tr("they agree only at N = 1")
    else:
        why = tr("the factor is the batch size")
    return ("delta_factor", tr("delta_per_dz is {value:g}, N={n} was expected: the seed's delta for sample s is "
                               "the gradient of that sample's own loss, d l_s / dz[s]; L = (1/N) sum_s l_s gives "
                               "dz[s] = (1/N) d l_s / dz[s], so delta = N * dz[s] ({why}).",
                               value=value, n=n, why=why), 3)


@EXERCISES.check("layer_questions")
def layer_questions(fn, *, hidden=False):
    what = _name(fn, "layer_questions")
    cases = [(3, 6, 2), (7, 4, 5)] if hidden else [(5, 3, 4), (2, 7, 6)]
    answers = []
    for n, d, m in cases:
        raw = call(fn, n, d, m, what=what)
        if not isinstance(raw, dict):
            raise CheckFailed(tr("{what}(N={n}, D={d}, M={m}) must return a dict with the keys {keys}; "
                                 "it returned {kind}.",
                                 what=what, n=n, d=d, m=m, keys=', '.join(QUESTIONS),
                                 kind=type(raw).__name__), key="bad_return")
        missing = [k for k in QUESTIONS if k not in raw]
        if missing:
            raise CheckFailed(tr("{what}: the dict has no {missing}; it needs one answer for each of {keys}.",
                                 what=what, missing=', '.join(repr(k) for k in missing),
                                 keys=', '.join(QUESTIONS)), key="missing_key")
        answers.append(raw)
    for k, ((n, d, m), raw) in enumerate(zip(cases, answers)):
        right = _right_answers(n, d, m)
        for key in QUESTIONS:
            value = _number(raw[key])
            if isinstance(raw[key], str):
                raise CheckFailed(tr("{what}(N={n}, D={d}, M={m}): {key} is the string {answer!r}: return the "
                                     "number itself, an expression of the parameters N, D and M without quotes, "
                                     "so that the answer follows the sizes the check passes.",
                                     what=what, n=n, d=d, m=m, key=key, answer=raw[key]), key="string_answer")
            if value is None:
                raise CheckFailed(tr("{what}(N={n}, D={d}, M={m}): {key} must be a number; got "
                                     "{kind}.",
                                     what=what, n=n, d=d, m=m, key=key, kind=type(raw[key]).__name__),
                                  key="not_numeric")
            if np.isclose(value, right[key], rtol=1e-12, atol=1e-12):
                continue
            others = [_right_answers(*c)[key] for j, c in enumerate(cases) if j != k]
            if any(np.isclose(value, o) for o in others):
                raise CheckFailed(tr("{what}(N={n}, D={d}, M={m}): {key} is {value:g}, which was the answer for "
                                     "other sizes: return an expression of N, D and M (the check asks for several "
                                     "sizes), not a number worked out for one of them.",
                                     what=what, n=n, d=d, m=m, key=key, value=value),
                                  key="hard_coded", hint=1)
            mistake, sentence, hint = _question_sentence(key, value, n, d, m)
            raise CheckFailed(f"{what}(N={n}, D={d}, M={m}): {sentence}", key=mistake, hint=hint)


# --- 2. affine ---------------------------------------------------------------------------------

def _flat(x):
    return x.reshape(x.shape[0], -1)


def _affine_rows():
    def square_transposed(ev):
        x, W, _ = ev.inputs
        return (_flat(x).T @ ev.dout).T

    return [
        like("dW_transposed", "dW = x.T @ dout has the shape of W, (fan_in, fan_out); yours is its "
                              "transpose dout.T @ x. With a square W the shapes cannot tell you: "
                              "dW[i, j] = sum_s x[s, i] dout[s, j].", square_transposed, grads="dW", hint=2),
        like("dx_used_W", "dx = dout @ W.T: each input x[s, i] reached every output j through "
                          "W[i, j], a sum over j, the second axis of W; you multiplied by W instead of W.T.",
             lambda ev: (ev.dout @ ev.inputs[1]).reshape(ev.inputs[0].shape), grads="dx", hint=2),
        like("mean_in_layer", "{name} is N={N} times too small: a layer does not average. The 1/N "
                              "of the batch mean is already inside dout (the loss put it there), "
                              "so sum over the batch.",
             lambda ev: (_flat(ev.inputs[0]).T @ ev.dout) / ev.inputs[0].shape[0], grads="dW", hint=3),
        like("mean_in_layer", "{name} is N={N} times too small: a layer does not average. The 1/N "
                              "of the batch mean is already inside dout (the loss put it there), "
                              "so sum over the batch.",
             lambda ev: ev.dout.mean(axis=0), grads="db", hint=3),
        like("mean_in_layer", "{name} is N={N} times too small: a layer does not average (the 1/N is "
                              "already inside dout); dx has no 1/N at all.",
             lambda ev: (ev.dout @ ev.inputs[1].T).reshape(ev.inputs[0].shape) / ev.inputs[0].shape[0],
             grads="dx", hint=3),
        like("reshape_for_transpose", "x2.reshape(D, N) (or x.reshape(-1, N)) is not x2.T: a reshape keeps "
                                      "numpy's row-by-row order and only cuts it into other rows, which mixes "
                                      "samples and features. Transpose: dW = x2.T @ dout.",
             lambda ev: _flat(ev.inputs[0]).reshape(-1, ev.inputs[0].shape[0]) @ ev.dout, grads="dW", hint=2),
        _Row("features_reordered", N_("{name} holds the right rows in another order: each sample's numbers are "
                                   "not read in the order of forward's x.reshape(N, -1). x.T of a batch with "
                                   "3 or more axes reverses EVERY axis, so x.T.reshape(-1, N) is not "
                                   "x.reshape(N, -1).T: flatten first, then transpose."),
             lambda ev: _rows_permuted(ev.yours, _flat(ev.inputs[0]).T @ ev.dout), grads=("dW",), hint=2),
        like("dx_column_convention", "W @ dout.T is the transpose of dx (the seeds' column convention), and "
                                     "reshaping it to x's shape mixes the samples: dx = (dout @ W.T).reshape("
                                     "x.shape).", lambda ev: (ev.inputs[1] @ ev.dout.T).reshape(ev.inputs[0].shape),
             grads="dx", hint=2),
    ] + sample_rows(lambda ev: np.einsum("si,sj->sij", _flat(ev.inputs[0]), ev.dout), hint=3, grads="dW") \
      + sample_rows(lambda ev: ev.dout, hint=3, grads="db") \
      + sample_rows(lambda ev: np.einsum("sj,ij,sr->sri", ev.dout, ev.inputs[1], np.eye(ev.dout.shape[0])).reshape(
          (ev.dout.shape[0],) + ev.inputs[0].shape), hint=3, grads="dx")


def _rows_permuted(yours, truth):
    """Are ``yours``'s rows those of ``truth`` in another order (a permutation, not the identity)?"""
    yours = np.asarray(yours, dtype=np.float64)
    if yours.ndim != 2 or yours.shape != truth.shape or yours.shape[0] < 3:
        return False
    scale = max(float(np.max(np.abs(truth))), 1e-12)
    mine, right = (np.round(a / scale, 9) + 0.0 for a in (yours, truth))
    if np.array_equal(mine, right):
        return False
    return np.array_equal(mine[np.lexsort(mine.T[::-1])], right[np.lexsort(right.T[::-1])])


def _affine_shapes(bwd, grads, x, W):
    """Name the wrong shapes the generic catalog would only call 'wrong shape'."""
    n, (d, m) = x.shape[0], W.shape
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        return
    dx, dW, db = (np.shape(g) for g in grads)
    if x.ndim > 2 and dx == (n, d):
        raise CheckFailed(tr("{bwd}: dx has shape {dx}, the flattened rows; x had shape {x_shape}. Reshape it back: "
                             "dx.reshape(x.shape) (keep x itself in the cache, not its flattened copy).",
                             bwd=bwd, dx=dx, x_shape=x.shape), key="dx_not_reshaped", hint=3)
    if x.ndim > 2 and dW in (x.shape[1:] + (m,), x.shape[1:][::-1] + (m,)):
        raise CheckFailed(tr("{bwd}: dW has shape {dW}, W has shape {W_shape}: x.T of a batch of shape {x_shape} "
                             "reverses every axis. Flatten each sample to a row first, x2 = x.reshape(N, -1) of "
                             "shape ({n}, {d}), then x2.T @ dout.",
                             bwd=bwd, dW=dW, W_shape=W.shape, x_shape=x.shape, n=n, d=d),
                          key="dW_not_flattened", hint=2)
    if dW == (m, d) and m != d:
        raise CheckFailed(tr("{bwd}: dW has shape {dW}, the transpose of W's {W_shape}: dW[i, j] = sum_s x[s, i] "
                             "dout[s, j] has W's layout, x.T @ dout; yours is dout.T @ x.",
                             bwd=bwd, dW=dW, W_shape=W.shape),
                          key="dW_transposed", hint=2)
    if db == ():
        raise CheckFailed(tr("{bwd}: db is one number, b has shape {m}: np.sum(dout) adds every entry. db[j] sums "
                             "dout[:, j] over the samples only: axis 0.",
                             bwd=bwd, m=(m,)), key="db_summed_all", hint=2)
    if db == (n,) and n != m:
        raise CheckFailed(tr("{bwd}: db has shape {db}, one number per sample; b has shape {m}. db[j] sums "
                             "dout[:, j] over the samples, axis 0; yours summed over the outputs (axis 1).",
                             bwd=bwd, db=db, m=(m,)),
                          key="db_axis", hint=2)


def _affine_case(forward, backward, x, W, b, seed, x_given=None):
    fwd, bwd = _name(forward, "affine_forward"), _name(backward, "affine_backward")
    n = x.shape[0]
    x_given = x if x_given is None else x_given
    context = (tr(" for x of shape {x_shape} (integers), W of shape {W_shape}", x_shape=x.shape, W_shape=W.shape)
               if x_given.dtype.kind in "iu" else
               tr(" for x of shape {x_shape}, W of shape {W_shape}", x_shape=x.shape, W_shape=W.shape))
    try:
        cache = _forward_value(forward, (x_given, W, b), _flat(x_given) @ W + b, fwd, context=context,
                               names=["x", "W", "b"], mistakes=[
            like("forgot_bias", "out = x @ W + b: the bias b is missing.", lambda ev: _flat(x_given) @ W),
        ])
    except CheckFailed as exc:
        if x.ndim > 2 and exc.key == "exception":
            raise CheckFailed(tr("{fwd}: x has shape {x_shape}: flatten each sample to one row first, "
                                 "x.reshape(x.shape[0], -1) of shape ({n}, {fan_in}), then x @ W + b.\n  "
                                 "({error})",
                                 fwd=fwd, x_shape=x.shape, n=n, fan_in=W.shape[0],
                                 error=str(exc).splitlines()[0]), key="x_not_flattened") from None
        raise
    try:
        dout = np.random.default_rng(seed).standard_normal((n, W.shape[1]))
        grads = call(backward, dout.copy(), cache, what=bwd)
        _affine_shapes(bwd, grads, x, W)
        check_layer(forward, backward, x, W, b, names=["x", "W", "b"], mistakes=_affine_rows(),
                    seed=seed, quiet=True, reference=lambda x_, W_, b_: _flat(x_) @ W_ + b_)
    except CheckFailed as exc:
        text = str(exc)
        if exc.key == "exception" and text.startswith(bwd) and ("mismatch" in text or "not aligned" in text):
            raise CheckFailed(tr("{bwd}: a matrix product's sizes do not fit. With dout ({n}, {fan_out}), x2 = "
                                 "x.reshape(N, -1) ({n}, {fan_in}) and W {W_shape}: which axis does each "
                                 "gradient sum over?\n  ({error})",
                                 bwd=bwd, n=n, fan_out=W.shape[1], fan_in=W.shape[0], W_shape=W.shape,
                                 error=text.splitlines()[0]), key="backward_shapes",
                              hint=2) from None
        raise
    if x_given.dtype.kind in "iu":
        # right for float inputs; now the gradients it gave for the integer batch itself
        for name, grad, right in zip(("dx", "dW", "db"), grads, ((dout @ W.T).reshape(x.shape), _flat(x).T @ dout,
                                                                dout.sum(axis=0))):
            if isinstance(grad, np.ndarray) and grad.dtype.kind in "iub":
                raise CheckFailed(tr("{bwd}{context}: {name} has integer dtype {grad_dtype}, so every number "
                                     "written into it was cut to an integer: np.zeros_like(x) of an integer x is "
                                     "an integer array. Compute {name} from dout, a float array ((dout @ "
                                     "W.T).reshape(x.shape) is one), or start from np.zeros(x.shape).",
                                     bwd=bwd, context=context, name=name, grad_dtype=grad.dtype),
                                  key="integer_dtype", hint=3)
            _answer(bwd, grad, right, name=name, context=context)


@EXERCISES.check("affine")
def affine(forward, backward, *, hidden=False):
    rng = _rng(hidden, 400)
    # shapes that differ on every axis, N differing between cases, a square W (a transposed dW
    # keeps its shape), and a batch of 3-D inputs (images) flattened to rows, given as integers
    shapes = [((5, 3, 6), None), ((6, 4, 4), None), ((3, 8, 7), (2, 4))] if hidden else \
        [((4, 5, 3), None), ((3, 4, 4), None), ((2, 12, 5), (3, 4))]
    for k, ((n, d, m), sample) in enumerate(shapes):
        if sample:
            x_given = rng.integers(-3, 4, size=(n,) + sample)
            x = x_given.astype(np.float64)
        else:
            x = x_given = rng.standard_normal((n, d))
        W, b = rng.standard_normal((d, m)), rng.standard_normal(m)
        _affine_case(forward, backward, x, W, b, seed=(41 if hidden else 40) + 10 * k, x_given=x_given)


# --- 3-5. activations --------------------------------------------------------------------------

def _elementwise_layer(forward, backward, z, *, what_f, what_b, seed, rows, reference, precedence):
    """check_layer on an elementwise layer; a failure it only calls wrong first meets the dout probe
    (``precedence``: the right formula to quote, and its hint)."""
    try:
        check_layer(forward, backward, z, names=["z"], seed=seed, quiet=True, mistakes=rows, reference=reference)
    except CheckFailed as exc:
        if exc.key in SYMPTOMS:
            try:
                cache = _pair(what_f, call(forward, z.copy(), what=what_f), "out", "cache")[1]
            except CheckFailed:
                raise exc from None
            _dout_probe(what_b, backward, cache, z.shape, *precedence)
        raise


def _activation(forward, backward, *, what_f, what_b, fn, derivative, cases, big, seeds, rows,
                overflow_forward, overflow_backward, precedence, mistakes_forward=()):
    """An elementwise layer: its output at extreme inputs (no overflow), then check_layer on every
    case, then its backward pass at the extreme inputs (finite, warning-free, right)."""
    try:
        _forward_value(forward, (big,), fn(big), what_f, context=tr(" for z of shape {shape} with entries up to "
                                                                     "{size:g} in size", shape=big.shape,
                                                                     size=np.max(np.abs(big))),
                       mistakes=mistakes_forward, names=["z"])
    except CheckFailed as exc:
        _overflowed(what_f, exc, "overflow", overflow_forward)
    for z, seed in zip(cases, seeds):
        _elementwise_layer(forward, backward, z, what_f=what_f, what_b=what_b, seed=seed, rows=rows, reference=fn,
                           precedence=precedence)
    dout = np.random.default_rng(seeds[0]).standard_normal(big.shape)
    result = _pair(what_f, call(forward, big.copy(), what=what_f), "out", "cache")
    try:
        dz = call(backward, dout.copy(), result[1], what=what_b)
    except CheckFailed as exc:
        _overflowed(what_b, exc, "backward_overflow", overflow_backward[0], hint=overflow_backward[1])
    _answer(what_b, dz, dout * derivative(big), name="dz",
            context=tr(" for z with entries up to {size:g} in size", size=np.max(np.abs(big))))


@EXERCISES.check("sigmoid")
def sigmoid(forward, backward, *, hidden=False):
    rng = _rng(hidden, 410)
    big = np.array([[800.0, -800.0, 3.0], [-40.0, 0.5, 40.0]])
    if hidden:
        big = np.array([[-750.0, 2.0], [0.25, 760.0], [-30.0, 35.0]])
    shapes = [(5, 3), (3, 4)] if hidden else [(4, 3), (2, 5)]
    _activation(
        forward, backward, what_f=_name(forward, "sigmoid_forward"), what_b=_name(backward, "sigmoid_backward"),
        fn=_sigmoid, derivative=_dsigmoid, big=big, cases=[rng.uniform(-3.0, 3.0, size=s) for s in shapes],
        seeds=[43, 63] if hidden else [42, 62],
        overflow_forward=tr("exp overflowed for z = -800: use a stable sigmoid (the `sigmoid` of the setup "
                            "cell) so exp only ever sees numbers <= 0."),
        overflow_backward=(tr("the backward pass overflowed at z = -800: it recomputes the sigmoid with a plain "
                              "exp. Cache what forward computed (out = sigmoid(z)) and build sigma'(z) from "
                              "it, or call the setup cell's stable sigmoid."), 2),
        precedence=(tr("dz = dout * out * (1 - out), not dout * out - out**2"), 1),
        rows=[
            like("missing_activation_derivative", "you forgot the sigmoid's derivative: dz is dout times "
                 "the local derivative sigma'(z), entry by entry.", lambda ev: ev.dout, hint=1),
            like("derivative_at_output", "sigma' is taken at the layer's input z, not at its output: with "
                 "out = sigma(z) cached, sigma(z) IS out; yours computes sigma(out) * (1 - sigma(out)).",
                 lambda ev: ev.dout * _dsigmoid(_sigmoid(ev.inputs[0])), hint=2),
            like("not_derivative", "you multiplied dout by sigma(z); its derivative is sigma(z) * (1 - sigma(z)).",
                 lambda ev: ev.dout * _sigmoid(ev.inputs[0]), hint=2),
            like("derivative_without_dout", "dz = dout * sigma'(z): you returned sigma'(z) alone; the "
                 "chain rule multiplies it by the upstream gradient.",
                 lambda ev: _dsigmoid(ev.inputs[0]), hint=1),
            like("cache_is_input", "your backward reads its cache as out = sigma(z), but your forward cached z "
                 "itself: z * (1 - z) is not sigma'(z). Cache the output (return out, out), or apply sigmoid "
                 "to the cached z.", lambda ev: ev.dout * ev.inputs[0] * (1 - ev.inputs[0]), hint=2),
            like("other_activation_derivative", "1 - out**2 is tanh's derivative; the sigmoid's is "
                 "out * (1 - out).", lambda ev: ev.dout * (1 - _sigmoid(ev.inputs[0]) ** 2), hint=2),
            like("derivative_factor_missing", "sigma'(z) = out * (1 - out): yours is dout * (1 - out), the "
                 "factor out is missing (exp(-z) / (1 + exp(-z)) is 1 - sigma(z), not its derivative).",
                 lambda ev: ev.dout * (1 - _sigmoid(ev.inputs[0])), hint=2),
        ])


@EXERCISES.check("tanh")
def tanh(forward, backward, *, hidden=False):
    rng = _rng(hidden, 420)
    big = np.array([[800.0, -800.0, 1.5], [-3.0, 0.25, 30.0]])
    if hidden:
        big = np.array([[-900.0, 0.75], [2.0, 850.0], [-25.0, 0.1]])
    shapes = [(3, 5), (6, 2)] if hidden else [(4, 3), (2, 5)]
    t = lambda ev: np.tanh(ev.inputs[0])  # noqa: E731
    _activation(
        forward, backward, what_f=_name(forward, "tanh_forward"), what_b=_name(backward, "tanh_backward"),
        fn=np.tanh, derivative=lambda z: 1.0 - np.tanh(z) ** 2, big=big,
        cases=[rng.uniform(-2.0, 2.0, size=s) for s in shapes], seeds=[45, 65] if hidden else [44, 64],
        overflow_forward=tr("exp overflowed for large |z|: np.tanh is stable, use it."),
        overflow_backward=(tr("the backward pass overflowed for large |z|: it recomputes tanh with exp. Use "
                              "the cached out = tanh(z), or np.tanh."), 2),
        precedence=(tr("dz = dout * (1 - out**2), not dout * 1 - out**2"), 1),
        rows=[
            like("missing_activation_derivative", "you forgot tanh's derivative: dz is dout times the "
                 "local derivative tanh'(z), entry by entry.", lambda ev: ev.dout, hint=1),
            like("derivative_at_output", "tanh' is taken at the layer's input z, not at its output: with "
                 "out = tanh(z) cached, tanh(z) IS out; yours computes 1 - tanh(out)**2.",
                 lambda ev: ev.dout * (1 - np.tanh(t(ev)) ** 2), hint=2),
            like("forgot_square", "tanh'(z) = 1 - tanh(z)**2: the square is missing.",
                 lambda ev: ev.dout * (1 - t(ev)), hint=2),
            like("derivative_without_dout", "dz = dout * tanh'(z): you returned tanh'(z) alone; the chain "
                 "rule multiplies it by the upstream gradient.", lambda ev: 1 - t(ev) ** 2, hint=1),
            like("square_outside", "tanh'(z) = 1 - tanh(z)**2 squares tanh(z) alone: yours squares the whole "
                 "(1 - tanh(z)).", lambda ev: ev.dout * (1 - t(ev)) ** 2, hint=1),
            like("cache_is_input", "your backward reads its cache as out = tanh(z), but your forward cached z "
                 "itself: 1 - z**2 is not tanh'(z). Cache the output (return out, out), or apply np.tanh to "
                 "the cached z.", lambda ev: ev.dout * (1 - ev.inputs[0] ** 2), hint=2),
            like("other_activation_derivative", "out * (1 - out) is the sigmoid's derivative; tanh's is "
                 "1 - out**2.", lambda ev: ev.dout * t(ev) * (1 - t(ev)), hint=1),
            like("other_activation_derivative", "1 + out**2 is the derivative of tan, not of tanh: tanh'(z) = "
                 "1 - tanh(z)**2.", lambda ev: ev.dout * (1 + t(ev) ** 2), hint=1),
        ])


@EXERCISES.check("relu")
def relu(forward, backward, *, hidden=False):
    fwd, bwd = _name(forward, "relu_forward"), _name(backward, "relu_backward")
    rng = _rng(hidden, 430)
    # integers, as a learner might start from: relu's output keeps them (no kink is crossed here)
    z_int = rng.integers(-4, 5, size=(3, 7) if hidden else (3, 4))
    forward_rows = lambda z: [  # noqa: E731
        like("relu_inverted", "relu(z) = max(0, z) keeps the positive entries and zeroes the negative "
             "ones; yours does the opposite.", lambda ev: np.minimum(z, 0.0), hint=2),
        like("relu_scalar_max", "use np.maximum(z, 0) (entry by entry); np.max(z) is the largest entry.",
             lambda ev: np.full(z.shape, max(z.max(), 0.0)), hint=2),
        like("relu_abs", "relu(z) = max(0, z) is 0 for z < 0; yours gives |z| there.",
             lambda ev: np.abs(z), hint=2),
    ]
    given = z_int.copy()
    result = _pair(fwd, call(forward, given, what=fwd), "out", "cache")
    _unchanged(fwd, (z_int,), (given,), names=["z"], hint=3)
    if np.shape(result[0]) in (z_int.shape[1:], z_int.shape[:1]):
        raise CheckFailed(tr("{fwd}: out has shape {out_shape}, z has shape {z_shape}: np.max(z, 0) "
                             "takes the largest entry along axis 0 (the 0 is an axis). np.maximum(z, 0) compares "
                             "each entry with 0.",
                             fwd=fwd, out_shape=np.shape(result[0]), z_shape=z_int.shape),
                          key="relu_max_axis", hint=2)
    try:
        out = np.asarray(result[0], dtype=np.float64)   # integers in, integers out is right
    except (TypeError, ValueError):
        out = result[0]
    _answer(fwd, out, _relu(z_int), name="out", context=tr(" for integer z of shape {shape}", shape=z_int.shape),
            mistakes=forward_rows(z_int))
    mask = lambda ev: ev.inputs[0] > 0  # noqa: E731
    rows = [
        like("missing_relu_mask", "you passed dout through unchanged: ReLU's local derivative is 1 "
             "where z > 0 and 0 elsewhere, so dz must be 0 wherever the unit is off.", lambda ev: ev.dout, hint=1),
        like("mask_from_dout", "the mask must come from the layer's input z (or its output), never from "
             "dout: yours, dout * (dout > 0), keeps the positive upstream gradients.",
             lambda ev: ev.dout * (ev.dout > 0), hint=2),
        like("mask_inverted", "the mask is inverted: the gradient flows where z > 0 and stops where z < 0.",
             lambda ev: ev.dout * (ev.inputs[0] < 0), hint=2),
        like("mask_without_dout", "dz = dout * (z > 0): you returned the mask alone, without dout.",
             lambda ev: mask(ev).astype(np.float64), hint=3),
        like("mask_times_z", "the local derivative is the mask (z > 0), 1 or 0; yours multiplies dout by "
             "relu(z) itself.", lambda ev: ev.dout * _relu(ev.inputs[0]), hint=1),
        like("sign_not_step", "np.sign(z) is -1 where z < 0, but ReLU's derivative is 0 there (the unit is "
             "off): the local derivative is the step (z > 0), 1 or 0.",
             lambda ev: ev.dout * np.sign(ev.inputs[0]), hint=1),
    ]
    shapes = [(5, 4), (3, 7)] if hidden else [(4, 3), (2, 5)]
    for k, shape in enumerate(shapes):
        z = _away_from_zero(rng, shape)
        _forward_value(forward, (z,), _relu(z), fwd, context=tr(" for z of shape {shape}", shape=z.shape),
                       mistakes=forward_rows(z), names=["z"], hint=3)
        with _hints(mutated_input=3, mutated_cache=3, ignores_upstream=1):
            _elementwise_layer(forward, backward, z, what_f=fwd, what_b=bwd, seed=(47 if hidden else 46) + 20 * k,
                               rows=rows, reference=_relu, precedence=("dz = dout * (z > 0)", 3))
    # the integer z again, through the backward pass: dz is made of real numbers (dout's)
    dout = np.random.default_rng(48 if hidden else 49).standard_normal(z_int.shape)
    cache = _pair(fwd, call(forward, z_int.copy(), what=fwd), "out", "cache")[1]
    dz = call(backward, dout.copy(), cache, what=bwd)
    context = tr(" for integer z of shape {shape}", shape=z_int.shape)
    if isinstance(dz, np.ndarray) and dz.dtype.kind in "iu":
        raise CheckFailed(tr("{bwd}{context}: dz has integer dtype {dz_dtype}, so every dout written into it was cut "
                             "to an integer: np.zeros_like(z) of an integer z is an integer array. Build dz from "
                             "dout, a float array: dout * (z > 0).",
                             bwd=bwd, context=context, dz_dtype=dz.dtype), key="integer_dtype", hint=3)
    right = dout * (z_int > 0)
    if np.shape(dz) == z_int.shape:     # at z = 0 (a kink) either 0 or dout is fine
        try:
            dz = np.where(z_int == 0, right, np.asarray(dz, dtype=np.float64))
        except (TypeError, ValueError):
            pass
    _answer(bwd, dz, right, name="dz", context=context)


# --- 6-7. losses -------------------------------------------------------------------------------

def _loss_layer(fn, what, grad_name, *fixed):
    """The learner's loss fn(y, *fixed) -> (loss, dy) as a layer for check_layer: its forward
    is the learner's own loss value, its backward dout * dy."""
    forward = through(fn, lambda y: ((y,) + tuple(f.copy() for f in fixed), {}),
                      lambda out: _pair(what, out, "loss", grad_name), what)

    def backward(dout, dy):
        try:
            arr = np.asarray(dy, dtype=np.float64)
        except (TypeError, ValueError):
            return dy
        return dout * arr

    return forward, _with_name(backward, what)


def _mean_rows(n, grad, hint):
    """Wrong answers of a batch-mean loss's gradient: the mean never or twice."""
    return [
        like("mean_never", "{name} is N={N} times too large: the loss is the MEAN over the batch, "
             "so its gradient carries a 1/N: divide by N.", lambda ev: ev.dout * n * grad(ev), hint=hint),
        like("mean_twice", "{name} is N={N} times too small: the 1/N of the batch mean is there twice "
             "(once is enough: loss = sum / N, so d loss = (...) / N).", lambda ev: ev.dout * grad(ev) / n,
             hint=hint),
    ]


def _call_loss(fn, what, first, second, names, grad_name, hint):
    """fn(first, second) on copies; the copies must come back unchanged and the gradient real."""
    given = [first.copy(), second.copy()]
    result = _pair(what, call(fn, *given, what=what), "loss", grad_name)
    _unchanged(what, (first, second), given, names=names, hint=hint)
    grad = result[1]
    if isinstance(grad, np.ndarray) and grad.dtype.kind in "iub":
        raise CheckFailed(tr("{what}: {grad_name} has integer dtype {grad_dtype} (the targets here are integers): a "
                             "gradient is made of real numbers; compute it from the float arrays (y - t is one) "
                             "instead of filling np.zeros_like of an integer array.",
                             what=what, grad_name=grad_name, grad_dtype=grad.dtype), key="integer_dtype")
    return result


@EXERCISES.check("mse_loss")
def mse_loss(fn, *, hidden=False):
    what = _name(fn, "mse_loss")
    rng = _rng(hidden, 440)
    # two batches of different N whose dimensions all differ; the second has integer targets
    cases = [(5, 3), (3, 6)] if hidden else [(4, 3), (2, 5)]
    for k, (n, m) in enumerate(cases):
        y = rng.standard_normal((n, m))
        t = rng.integers(-2, 3, size=(n, m)) if k == 1 else rng.standard_normal((n, m))
        _mse_case(fn, what, y, t, seed=(49 if hidden else 48) + 10 * k)


def _mse_case(fn, what, y, t, seed):
    n, m = y.shape
    result = _call_loss(fn, what, y, t, ["y", "t"], "dy", hint=None)
    sq = float(np.sum((y - t) ** 2))
    context = (tr(" for y, t of shape {shape} (integer targets t)", shape=y.shape) if t.dtype.kind in "iu"
               else tr(" for y, t of shape {shape}", shape=y.shape))
    four = [] if n == 4 else [
        like("hard_coded_batch", tr("the loss divides by 4 for a batch of N={n}: take N from the batch, y.shape[0].",
                                    n=n), lambda ev: 0.5 * sq / 4, hint=2)]
    _answer(what, result[0], _mse(y, t), name="loss", context=context, mistakes=four + [
        like("mean_never", "the loss is the MEAN over the batch: divide the sum over the batch by N. Yours "
             "is the sum (N times too large).", lambda ev: 0.5 * sq, hint=3),
        like("mean_twice", "the loss divides by N once; yours divides twice.", lambda ev: 0.5 * sq / n ** 2,
             hint=3),
        like("missing_half", "the loss is HALF the squared error summed over the outputs, averaged over the "
             "batch (seed 003's E = 1/2 sum (y - t)^2): yours is twice that.", lambda ev: sq / n, hint=1),
        like("n_from_wrong_axis", tr("the loss divides by y.shape[1] = {m}, the number of outputs; N is the "
                                     "number of rows, y.shape[0] = {n}.",
                                     m=m, n=n), lambda ev: 0.5 * sq / m, hint=2),
        like("mean_over_outputs", "average over the batch only: sum the squared errors over the outputs "
             "of each sample. np.mean (or y.size) averages over the outputs too.",
             lambda ev: 0.5 * sq / (n * m), hint=2),
        like("mean_over_outputs", "average over the batch only: np.mean((y - t)**2) averages over the "
             "outputs too, and drops the 1/2.", lambda ev: sq / (n * m), hint=2),
        like("square_of_sum", "the loss squares each difference, then sums: np.sum((y - t)**2). Yours squares "
             "the sum, np.sum(y - t)**2 (** applies to what stands right before it).",
             lambda ev: 0.5 * float(np.sum(y - t)) ** 2 / n, hint=3),
    ] + sample_value_rows(0.5 * np.sum((y - t) ** 2, axis=1), 0.0, hint=3))
    forward, backward = _loss_layer(fn, what, "dy", t)
    grad = lambda ev: (ev.inputs[0] - t) / n  # noqa: E731
    rows = _mean_rows(n, grad, hint=3) + [
        like("dy_sign", "dy = dL/dy: you have it with the sign flipped, (t - y) instead of (y - t).",
             lambda ev: -ev.dout * grad(ev), hint=1),
        like("n_from_wrong_axis", tr("dy divides by y.shape[1] = {m}, the number of outputs; N is the number of "
                                     "rows, y.shape[0] = {n}.",
                                     m=m, n=n), lambda ev: ev.dout * (ev.inputs[0] - t) / m, hint=2),
        like("mean_over_outputs", "dy divides by N * M (y.size): the loss averages over the batch only, so "
             "dy has a 1/N and no 1/M.", lambda ev: ev.dout * grad(ev) / m, hint=2),
        like("missing_half", "dy is twice the gradient of the loss: the 1/2 of the loss cancels the 2 of "
             "the square.", lambda ev: 2 * ev.dout * grad(ev), hint=1),
        like("division_precedence", "y - t / n divides t alone (/ binds before -): dy = (y - t) / N.",
             lambda ev: ev.dout * (ev.inputs[0] - t / n), hint=3),
        like("division_precedence", "y / n - t divides y alone: dy = (y - t) / N.",
             lambda ev: ev.dout * (ev.inputs[0] / n - t), hint=3),
    ] + sample_rows(lambda ev: ev.dout * np.eye(n)[:, :, None] * grad(ev)[None], hint=3) + ([] if n == 4 else [
        like("hard_coded_batch", tr("dy divides by 4 for a batch of N={n}: take N from the batch, y.shape[0].",
                                    n=n),
             lambda ev: ev.dout * (ev.inputs[0] - t) / 4, hint=2)])
    with _hints(ignores_upstream=1):
        check_layer(forward, backward, y, names=["y"], seed=seed, quiet=True, batch=n, mistakes=rows,
                    reference=lambda y_: _mse(y_, t))


SOFTMAX_OVERFLOW = N_("exp overflowed for scores around 1000: subtract each row's max first (softmax "
                    "does not change, and exp then only sees numbers <= 0).")
LOG_OF_ZERO = N_("log(p) met p = 0: a probability of exp(-2000) underflows to 0 and log(0) = -inf. "
               "Compute log p without p: log softmax = (s - max) - log(sum(exp(s - max))).")
GLOBAL_MAX = N_("a row whose scores all lie 800 below the batch's largest score got exp = 0 in every entry "
              "(then 0/0 or log 0): subtract each row's OWN max, scores.max(axis=1, keepdims=True), not "
              "the max of the whole batch.")


ROW_NUMBER = N_("each row's max (or its sum of exp)")


def _ce_exception(what, exc, shape):
    """Name what a raw numpy exception of softmax_cross_entropy most likely comes from."""
    text = str(exc)
    if exc.key == "exception" and "IndexError" in text and "axis 0" in text:
        raise CheckFailed(tr("{what}: labels index the classes, axis 1 of scores ({shape_1} of them), one per row: "
                             "pick with [np.arange(N), labels]. An index [labels] alone picks ROWS, and a label can "
                             "be larger than the last row's number.\n  ({error})",
                             what=what, shape_1=shape[1], error=text.splitlines()[0]),
                          key="labels_as_rows", hint=3) from None
    _not_a_column(what, exc, shape, tr(ROW_NUMBER), hint=3)


def _call_ce(fn, scores, labels, what):
    try:
        return _call_loss(fn, what, scores, labels, ["scores", "labels"], "dscores", hint=3)
    except CheckFailed as exc:
        if "log" in str(exc) and "divide by zero" in str(exc):
            raise CheckFailed(f"{what}: {tr(LOG_OF_ZERO)}", key="log_of_zero", hint=3) from None
        try:
            _overflowed(what, exc, "softmax_overflow", tr(SOFTMAX_OVERFLOW), hint=3)
        except CheckFailed as other:
            if other is not exc:
                raise
        _ce_exception(what, exc, scores.shape)


def _ce_case(fn, what, scores, labels, seed):
    n, c = scores.shape
    ref = _ce(scores, labels)
    result = _call_ce(fn, scores, labels, what)
    log_p = _log_softmax_rows(scores)
    picked = log_p[np.arange(n), labels]
    shifted = scores - scores.max(axis=1, keepdims=True)
    over_batch = shifted - np.log(np.exp(shifted).sum())
    over_samples = [shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True)),    # each row shifted first
                    _log_softmax_rows(scores.T).T]                                   # or not: columns alone
    _answer(what, result[0], ref, name="loss", context=tr(" for scores of shape {shape}", shape=scores.shape),
            mistakes=[
        like("mean_never", "the loss is the MEAN over the batch of -log p[label]; yours is the sum "
             "(N times too large).", lambda ev: -np.sum(picked), hint=2),
        like("sign_flipped", "the loss is -log p[label] (positive); yours is +log p[label].",
             lambda ev: np.mean(picked), hint=1),
        like("mean_over_classes", "average over the batch only: -log p[label] is one number per sample; "
             "you divided by the number of classes too.", lambda ev: ref / c, hint=3),
        like("labels_not_used", "pick each sample's own label: -log p[s, labels[s]]; yours averages over "
             "every class.", lambda ev: float(-np.mean(log_p)), hint=3),
        like("labels_as_columns", "log_p[:, labels] takes whole columns (an N x N table: every sample at "
             "every sample's label); pick one entry per row, log_p[np.arange(N), labels].",
             lambda ev: float(-np.mean(log_p[:, labels])), hint=3),
        like("normalised_over_batch", "softmax normalises each ROW: sum exp over the classes of one sample "
             "(axis=1, keepdims=True); yours sums over the whole batch.",
             lambda ev: float(-np.mean(over_batch[np.arange(n), labels])), hint=3),
    ] + [
        like("normalised_over_batch", "softmax normalises each ROW: sum exp over the classes of one sample "
             "(axis=1); yours sums over the samples (axis=0), one column at a time.",
             lambda ev, log_q=log_q: float(-np.mean(log_q[np.arange(n), labels])), hint=3)
        for log_q in over_samples
    ] + [
        like("labels_as_rows", "log_p[labels] picks whole ROWS (the rows numbered by the labels); pick one entry "
             "per row, the label's column: log_p[np.arange(N), labels].",
             lambda ev: float(-np.mean(log_p[labels])), hint=3),
    ] + sample_value_rows(-picked, 0.0, hint=3))
    forward, backward = _loss_layer(fn, what, "dscores", labels)
    grad = lambda ev: _ce_grad(ev.inputs[0], labels)  # noqa: E731
    p = lambda ev: _softmax_rows(ev.inputs[0])  # noqa: E731
    rows = _mean_rows(n, grad, hint=2) + [
        like("onehot_not_subtracted", "dscores = (p - onehot) / N: the one-hot of the labels is not "
             "subtracted.", lambda ev: ev.dout * p(ev) / n, hint=2),
        like("dscores_sign", "dscores has the sign flipped: (onehot - p) / N instead of (p - onehot) / N.",
             lambda ev: -ev.dout * grad(ev), hint=2),
        like("division_precedence", "p - onehot / N divides the one-hot alone (/ binds before -): dscores = "
             "(p - onehot) / N.", lambda ev: ev.dout * (p(ev) - np.eye(c)[labels] / n), hint=2),
        like("onehot_everywhere", "the 1 is subtracted from every entry; the one-hot row has its 1 at the "
             "label only: dscores[np.arange(N), labels] -= 1.", lambda ev: ev.dout * (p(ev) - 1) / n, hint=3),
        like("labels_as_rows", "p[labels] -= 1 subtracts 1 from whole ROWS (the rows numbered by the labels); "
             "subtract it at one entry per row, the label's column: p[np.arange(N), labels] -= 1.",
             lambda ev: ev.dout * _rows_minus_one(p(ev), labels) / n, hint=3),
    ] + sample_rows(lambda ev: ev.dout * np.eye(n)[:, :, None] * grad(ev)[None], hint=3)
    with _hints(ignores_upstream=1):
        check_layer(forward, backward, scores, names=["scores"], seed=seed, quiet=True, batch=n, mistakes=rows,
                    reference=lambda s_: _ce(s_, labels))


def _rows_minus_one(p, labels):
    wrong = p.copy()
    wrong[labels] -= 1.0
    return wrong


@EXERCISES.check("softmax_cross_entropy")
def softmax_cross_entropy(fn, *, hidden=False):
    what = _name(fn, "softmax_cross_entropy")
    rng = _rng(hidden, 450)
    cases = [(3, 5), (6, 4)] if hidden else [(5, 3), (2, 4)]
    for k, (n, c) in enumerate(cases):
        scores = rng.uniform(-2.0, 2.0, size=(n, c))
        labels = rng.permutation(np.arange(n) % c)
        _ce_case(fn, what, scores, labels, seed=(51 if hidden else 50) + 10 * k)
    # rows 800 apart: no exp overflows unshifted, but a shift by the batch's max empties a row
    spread = np.array([[700.0, 699.0, 698.0], [-100.0, -101.0, -99.0]])
    spread_labels = np.array([1, 2])
    if hidden:
        spread, spread_labels = spread[::-1] + 3.0, spread_labels[::-1].copy()
    try:
        result = _call_loss(fn, what, spread, spread_labels, ["scores", "labels"], "dscores", hint=3)
    except CheckFailed as exc:
        try:
            _overflowed(what, exc, "global_max", tr(GLOBAL_MAX), hint=3)
        except CheckFailed as other:
            if other is not exc:
                raise
        _ce_exception(what, exc, spread.shape)
    context = tr(" for scores 800 apart between rows")
    _answer(what, result[0], _ce(spread, spread_labels), name="loss", context=context)
    _answer(what, result[1], _ce_grad(spread, spread_labels), name="dscores", context=context)
    # scores of size 1000: finite and warning-free, with a label whose probability is exp(-2000)
    big = np.array([[1000.0, 999.0, -1000.0], [-1000.0, 1000.0, 0.0], [500.0, -500.0, 998.0],
                    [3.0, 1.0, 2.0]])
    big_labels = np.array([0, 0, 2, 1])
    if hidden:
        big, big_labels = big[[2, 0, 3, 1]] * 0.999, big_labels[[2, 0, 3, 1]]
    result = _call_ce(fn, big, big_labels, what)
    context = tr(" for scores around 1000")
    for label, value in zip(("loss", "dscores"), result):
        try:
            finite = np.all(np.isfinite(np.asarray(value, dtype=np.float64)))
        except (TypeError, ValueError):
            finite = True       # not numbers: check_answer names that below
        if not finite:
            raise CheckFailed(tr("{what}{context}: {label} is not finite. {LOG_OF_ZERO}",
                                 what=what, context=context, label=label, LOG_OF_ZERO=tr(LOG_OF_ZERO)),
                              key="log_of_zero", hint=3)
    exact = _ce(big, big_labels)
    yours = _number(result[0])
    if yours is not None and abs(yours - exact) > 1e-6 * exact:
        raise CheckFailed(tr("{what}{context}: the loss is {yours:.6g}, the exact value {exact:.6g}: where p "
                             "underflows to 0, log(p + eps) or np.clip(p, eps, 1) is far off. Compute log p "
                             "without p.",
                             what=what, context=context, yours=yours, exact=exact), key="log_clipped", hint=3)
    _answer(what, result[0], exact, name="loss", context=context)
    _answer(what, result[1], _ce_grad(big, big_labels), name="dscores", context=context)


# --- 8. two linear layers collapse ---------------------------------------------------------------

ORDER = N_("x @ W1 @ W2 = x @ (W1 @ W2): the first layer's matrix stands on the LEFT in the course's "
         "row convention (seed 004 writes W2 W1 x for columns, the same map transposed).")


def _collapse_exception(what, exc, W1, W2):
    """Name the mistakes whose shapes make numpy raise: W2 @ W1, W1 * W2, b1 + b2."""
    text = str(exc)
    first = text.splitlines()[0]
    if exc.key != "exception":
        raise exc
    if "mismatch" in text or "not aligned" in text:
        raise CheckFailed(f"{what}: {tr(ORDER)}\n  ({first})", key="composition_order", hint=2) from None
    shapes = _broadcast_shapes(text)
    (d, h), m = W1.shape, W2.shape[1]
    if set(shapes) == {(d, h), (h, m)}:
        raise CheckFailed(tr("{what}: W1 * W2 multiplies entry by entry (shapes {W1_shape} and {W2_shape} do not "
                             "even match); two layers compose with a matrix product.\n  ({first})",
                             what=what, W1_shape=W1.shape, W2_shape=W2.shape, first=first),
                          key="elementwise_product", hint=1) from None
    if set(shapes) == {(h,), (m,)}:
        raise CheckFailed(tr("{what}: b1 has {h} entries and b2 has {m}: b1 + b2 cannot be the new bias. b1 is added "
                             "before the second layer, so it goes through W2 too.\n  ({first})",
                             what=what, h=h, m=m, first=first),
                          key="bias_not_carried", hint=1) from None
    raise exc


@EXERCISES.check("collapse_linear")
def collapse_linear(fn, *, hidden=False):
    what = _name(fn, "collapse_linear")
    rng = _rng(hidden, 460)
    sizes = [(2, 4, 3), (5, 3, 7)] if hidden else [(3, 5, 2), (4, 2, 6)]
    for d, h, m in sizes:
        W1, b1 = rng.standard_normal((d, h)), rng.standard_normal(h)
        W2, b2 = rng.standard_normal((h, m)), rng.standard_normal(m)
        given = [W1.copy(), b1.copy(), W2.copy(), b2.copy()]
        try:
            result = _pair(what, call(fn, *given, what=what), "W", "b")
        except CheckFailed as exc:
            _collapse_exception(what, exc, W1, W2)
        _unchanged(what, (W1, b1, W2, b2), given, names=["W1", "b1", "W2", "b2"])
        context = tr(" for W1 {W1_shape}, W2 {W2_shape}", W1_shape=W1.shape, W2_shape=W2.shape)
        _answer(what, result[0], W1 @ W2, name="W", context=context, mistakes=[
            like("composition_order", ORDER, lambda ev: W2 @ W1, hint=2),
        ])
        _answer(what, result[1], b1 @ W2 + b2, name="b", context=context, mistakes=[
            like("bias_not_carried", "b1 goes through the second layer too: the new bias is what the two "
                 "layers give for x = 0, and b1 alone is not that.", lambda ev: b2, hint=1),
            like("second_bias_missing", "b2 is added after the second layer: it belongs to the new bias too.",
                 lambda ev: b1 @ W2, hint=1),
        ])


# --- 9. the two-layer network --------------------------------------------------------------------

PARAMS = ("W1", "b1", "W2", "b2")


def _net_case(rng, n, d, h, c, loss):
    """Inputs whose hidden pre-activations are at least KINK_MARGIN from 0 (ReLU's kink)."""
    while True:
        x = rng.standard_normal((n, d))
        W1, b1 = rng.standard_normal((d, h)) * 0.6, rng.standard_normal(h) * 0.3
        if np.min(np.abs(x @ W1 + b1)) > KINK_MARGIN:
            break
    W2, b2 = rng.standard_normal((h, c)) * 0.6, rng.standard_normal(c) * 0.3
    t = rng.permutation(np.arange(n) % c) if loss == "softmax" else rng.standard_normal((n, c))
    return x, W1, b1, W2, b2, t


def _net_rows(t, hidden, loss):
    def variant(name, **kw):
        def wrong(ev):
            return ev.dout * _net(*ev.inputs, t, hidden, loss, **kw)[1][ev.name[1:]]
        return wrong

    def scaled(k):
        def wrong(ev):
            return k(ev.inputs[0].shape[0]) * ev.dout * _net(*ev.inputs, t, hidden, loss)[1][ev.name[1:]]
        return wrong

    derivative = tr({"relu": N_("ReLU's mask (z1 > 0)"), "sigmoid": N_("the sigmoid's derivative"),
                     "tanh": N_("tanh's derivative")}[hidden])
    return [
        like("missing_activation_derivative", tr("{{name}}: the backward pass skipped {derivative}: the "
                                                 "activation's backward comes between the two affine backwards.",
                                                 derivative=derivative), variant("x", variant="no_derivative"),
             grads=("dW1", "db1"), hint=2),
        like("derivative_at_output", "{name}: a'(z1) is taken at the hidden layer's input z1, not at its "
             "output h1 = a(z1).", variant("x", variant="at_output"), grads=("dW1", "db1"), hint=2),
        like("mean_twice", "{name} is N={N} times too small: the loss's gradient already carries the 1/N "
             "of the batch mean; the layers must not divide again.", scaled(lambda n: 1.0 / n), hint=2),
        like("mean_never", "{name} is N={N} times too large: the loss is the mean over the batch, so "
             "dscores carries a 1/N (your loss's gradient must divide by N).", scaled(lambda n: n), hint=2),
    ]


def _net_exception(what, exc, loss, n, c):
    """Name an exception of the learner's network: a backward fed the wrong gradient or cache, or
    the other loss's function."""
    text = str(exc)
    first = text.splitlines()[0]
    if exc.key != "exception":
        raise exc
    if loss == "mse" and "IndexError" in text:
        raise CheckFailed(tr("{what}: with loss='mse' the targets t are real numbers of the scores' shape; your "
                             "network indexed with them as labels: use the loss named by the argument `loss` "
                             "(loss_fn picks it).\n  ({first})",
                             what=what, first=first), key="ignored_loss_argument") from None
    if loss == "softmax" and {(n, c), (n,)} <= set(_broadcast_shapes(text)):
        raise CheckFailed(tr("{what}: with loss='softmax' t holds one integer label per sample; your network "
                             "subtracted it from the scores as if it were targets: use the loss named by the "
                             "argument `loss` (loss_fn picks it).\n  ({first})",
                             what=what, first=first),
                          key="ignored_loss_argument") from None
    if any(w in text for w in ("broadcast", "mismatch", "not aligned", "unpack", "shapes")):
        raise CheckFailed(tr("{what}: a backward call got arrays that do not fit together. Each layer's backward "
                             "takes the gradient of THAT layer's output and the cache THAT layer's forward returned, "
                             "in the reverse order of the forward pass.\n  ({first})",
                             what=what, first=first),
                          key="backward_wiring", hint=2) from None
    raise exc


def _mislabelled(what, grads, ref, params):
    """A grads dict whose entries belong to other parameters (paired by position, say)."""
    for k in PARAMS:
        try:
            mine = np.asarray(grads[k], dtype=np.float64)
        except (TypeError, ValueError):
            return
        if mine.shape == params[k].shape and np.allclose(mine, ref[k], rtol=1e-6, atol=1e-9):
            continue
        for other in PARAMS:
            if other != k and mine.shape == ref[other].shape and np.allclose(mine, ref[other], rtol=1e-6,
                                                                             atol=1e-9):
                raise CheckFailed(tr("{what}: grads[{k!r}] holds the gradient of {other}. Build the dict with "
                                     "explicit keys, {{'W1': dW1, 'b1': db1, ...}}: pairing gradients with params "
                                     "by position (zip(params, ...)) depends on the order the caller's dict "
                                     "happens to have.",
                                     what=what, k=k, other=other), key="grads_mislabelled", hint=3)


def _check_net(fn, what, x, W1, b1, W2, b2, t, hidden, loss, seed, order):
    kwargs = dict(hidden=hidden, loss=loss)
    n, c = x.shape[0], W2.shape[1]
    context = tr(" (hidden={hidden!r}, loss={loss!r}, x of shape {shape})", hidden=hidden, loss=loss, shape=x.shape)
    params = dict(zip(PARAMS, (W1, b1, W2, b2)))
    given = {k: params[k].copy() for k in order}
    x_given = x.copy()
    try:
        result = _pair(what, call(functools.partial(fn, **kwargs), x_given, np.array(t), given, what=what),
                       "loss", "grads")
    except CheckFailed as exc:
        _net_exception(what, exc, loss, n, c)
    _unchanged(what, [x] + [params[k] for k in PARAMS], [x_given] + [given[k] for k in PARAMS],
               names=["x"] + [f"params[{k!r}]" for k in PARAMS])
    value, grads = result
    if not isinstance(grads, dict) or any(k not in grads for k in PARAMS):
        have = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise CheckFailed(tr("{what}: grads must be a dict with the keys 'W1', 'b1', 'W2', 'b2' (one gradient per "
                             "parameter); got {have}.",
                             what=what, have=have), key="bad_grads", hint=3)
    ref_value, ref_grads = _net(x, W1, b1, W2, b2, t, hidden, loss)
    _mislabelled(what, grads, ref_grads, params)
    _answer(what, value, ref_value, name="loss", context=context, mistakes=[
        like("ignored_hidden_argument", tr("the loss is the one of a network with hidden={other!r}: use the "
                                           "activation named by the argument `hidden` ({hidden!r} here).",
                                           other=other, hidden=hidden),
             lambda ev, other=other: _net(x, W1, b1, W2, b2, t, other, loss)[0])
        for other in ACTIVATIONS if other != hidden] + [
        like("activation_on_scores", "the loss is the one of scores = a(a(x @ W1 + b1) @ W2 + b2): the "
             "activation belongs to the hidden layer only; the scores go to the loss as the second affine "
             "layer gives them.", lambda ev: _net(x, W1, b1, W2, b2, t, hidden, loss, variant="act_on_scores")[0],
             hint=1),
        like("activation_skipped", "the loss is the one of scores = (x @ W1 + b1) @ W2 + b2, with no "
             "activation: the second affine layer takes h1 = a(z1), the activation's output, not z1.",
             lambda ev: _net(x, W1, b1, W2, b2, t, hidden, loss, variant="no_activation")[0], hint=1),
    ])

    forward = through(fn, lambda x_, W1_, b1_, W2_, b2_: ((x_, np.array(t), {"W1": W1_, "b1": b1_, "W2": W2_,
                                                                           "b2": b2_}), kwargs),
                      lambda out: (out[0], out[1]), what)

    def backward(dout, grads_):
        out = []
        for k in PARAMS:
            try:
                out.append(dout * np.asarray(grads_[k], dtype=np.float64))
            except (TypeError, ValueError):
                out.append(grads_[k])
        return tuple(out)

    with _hints(ignores_upstream=2, batch_not_summed=3, shape_transposed=3):
        check_layer(forward, _with_name(backward, what), x, W1, b1, W2, b2,
                    names=["x", "W1", "b1", "W2", "b2"], wrt=[1, 2, 3, 4], seed=seed, quiet=True,
                    mistakes=_net_rows(t, hidden, loss),
                    reference=lambda x_, W1_, b1_, W2_, b2_: _net(x_, W1_, b1_, W2_, b2_, t, hidden, loss)[0])


@EXERCISES.check("two_layer_net", uses=("affine", "sigmoid", "tanh", "relu", "mse_loss", "softmax_cross_entropy"))
def two_layer_net(fn, *, hidden=False):
    what = _name(fn, "two_layer_net")
    rng = _rng(hidden, 470)
    # every activation and every loss, N differing between cases, params in varied orders
    cases = [((5, 3, 4, 2), "relu", "mse", ("b2", "W1", "W2", "b1")),
             ((2, 4, 3, 5), "sigmoid", "softmax", PARAMS),
             ((6, 2, 5, 3), "tanh", "mse", ("W2", "b2", "W1", "b1"))] if hidden else \
        [((4, 3, 5, 2), "relu", "softmax", PARAMS),
         ((3, 2, 4, 5), "sigmoid", "mse", ("b2", "W2", "b1", "W1")),
         ((5, 4, 3, 2), "tanh", "softmax", ("W2", "b1", "b2", "W1"))]
    for k, ((n, d, h, c), act, loss, order) in enumerate(cases):
        x, W1, b1, W2, b2, t = _net_case(rng, n, d, h, c, loss)
        _check_net(fn, what, x, W1, b1, W2, b2, t, act, loss, seed=(53 if hidden else 52) + 10 * k, order=order)


# --- 10. the parameter vector ---------------------------------------------------------------------

def _layers(rng, sizes):
    return [(rng.standard_normal((a, b)), rng.standard_normal(b)) for a, b in zip(sizes[:-1], sizes[1:])]


def _theta(layers, order="C"):
    return np.concatenate([np.concatenate([W.ravel(order=order), b]) for W, b in layers])


def _unflatten_variant(theta, shapes, variant):
    """A wrong unflatten, for the rows: the learner's slips with the offset and the order."""
    out, k = [], 0
    for wshape, bshape in shapes:
        w, nb = int(np.prod(wshape)), int(np.prod(bshape))
        if variant == "bias_first":
            b, W = theta[k:k + nb], theta[k + nb:k + nb + w]
            k += w + nb
        elif variant == "offset_skips_bias":       # k += W.size only: the next W starts inside b
            W, b = theta[k:k + w], theta[k + w:k + w + nb]
            k += w
        elif variant == "bias_at_weights":         # b read before k moved past W
            W, b = theta[k:k + w], theta[k:k + nb]
            k += w + nb
        else:
            raise ValueError(variant)
        if W.size != w or b.size != nb:
            return None
        out.append((W.reshape(wshape), b.reshape(bshape)))
    return out


@EXERCISES.check("flatten")
def flatten(flatten_fn, unflatten_fn, *, hidden=False):
    rng = _rng(hidden, 480)
    for sizes in ([[3, 5, 2, 4], [6, 2, 3]] if hidden else [[4, 5, 3], [2, 6, 7, 3]]):
        _flatten_case(flatten_fn, unflatten_fn, _layers(rng, sizes), rng)


def _flatten_case(flatten_fn, unflatten_fn, layers, rng):
    fwhat, uwhat = _name(flatten_fn, "flatten"), _name(unflatten_fn, "unflatten")
    given = [(W.copy(), b.copy()) for W, b in layers]
    raw = call(flatten_fn, given, what=fwhat)
    if any(not (np.array_equal(W, W0) and np.array_equal(b, b0)) for (W, b), (W0, b0) in zip(given, layers)):
        raise CheckFailed(tr("{fwhat} changed the arrays it was given; build a new vector (np.concatenate makes "
                             "one).",
                             fwhat=fwhat), key="mutated_input")
    context = tr(" for layers of shapes {shapes}", shapes=[(W.shape, b.shape) for W, b in layers])
    weights = sum(W.size for W, _ in layers)
    if isinstance(raw, np.ndarray) and raw.ndim == 1 and raw.size == weights:
        raise CheckFailed(tr("{fwhat}{context}: theta has {weights} entries, the weights only; theta_n = "
                             "[vec(W_n.T); b_n] holds each layer's bias too: {total} entries.",
                             fwhat=fwhat, context=context, weights=weights, total=_theta(layers).size),
                          key="bias_missing", hint=2)
    _answer(fwhat, raw, _theta(layers), name="theta", context=context, mistakes=[
        like("bias_first", "theta_n = [vec(W_n.T); b_n]: the weights of each layer come first, then its bias.",
             lambda ev: np.concatenate([np.concatenate([b, W.ravel()]) for W, b in layers]), hint=2),
        like("column_major", "vec stacks columns, and the seed's W_n is our W.T: the columns of W.T are the "
             "rows of W, so vec(W_n) is W.ravel() (row by row). Yours stacks W's columns.",
             lambda ev: _theta(layers, order="F"), hint=1),
        like("weights_then_biases", "keep each layer together: [W1.ravel(); b1; W2.ravel(); b2; ...], not "
             "all weights first and then all biases.",
             lambda ev: np.concatenate([W.ravel() for W, _ in layers] + [b for _, b in layers]), hint=2),
    ])
    # unflatten: a different theta, shapes taken from `like` (whose values must not leak through)
    theta = rng.standard_normal(_theta(layers).size)
    like_layers = [(rng.standard_normal(W.shape), rng.standard_normal(b.shape)) for W, b in layers]
    like_before = [(W.copy(), b.copy()) for W, b in like_layers]
    before = theta.copy()
    out = call(unflatten_fn, theta, like_layers, what=uwhat)
    if not np.array_equal(theta, before):
        raise CheckFailed(tr("{uwhat} changed theta in place.", uwhat=uwhat), key="mutated_input")
    if any(not (np.array_equal(W, W0) and np.array_equal(b, b0)) for (W, b), (W0, b0) in zip(like_layers, like_before)):
        raise CheckFailed(tr("{uwhat} wrote theta's numbers into the arrays of `like`: like only lends its shapes, "
                             "and a caller's like is often the network's own parameters (section 7 passes `layers`, "
                             "which holds params' arrays), which your unflatten overwrites. Make new arrays: "
                             "theta[k:k + W.size].reshape(W.shape), and leave like as it was.",
                             uwhat=uwhat),
                          key="wrote_into_like", hint=3)
    if not isinstance(out, (list, tuple)) or len(out) != len(layers):
        if isinstance(out, (list, tuple)):
            said = tr("{uwhat} must return a list of {count} (W, b) pairs, one per layer; it returned "
                      "{kind} of length {length}.", uwhat=uwhat, count=len(layers), kind=type(out).__name__,
                      length=len(out))
        else:
            said = tr("{uwhat} must return a list of {count} (W, b) pairs, one per layer; it returned {kind}.",
                      uwhat=uwhat, count=len(layers), kind=type(out).__name__)
        raise CheckFailed(said, key="bad_return")
    shapes = [(W.shape, b.shape) for W, b in layers]
    variants = {v: _unflatten_variant(before, shapes, v) for v in ("bias_first", "offset_skips_bias",
                                                                   "bias_at_weights")}
    offset_rows = lambda k, part: [  # noqa: E731
        like("returned_like", "these are like's own numbers: like only lends the shapes; the numbers come from "
             "theta, theta[k:k + W.size].reshape(W.shape) and so on.", lambda ev: like_before[k][part], hint=3),
        like("offset_skips_bias", "the offset into theta must move past each layer's b too: after "
             "reading W (k += W.size) and b (k += b.size). Yours starts the next W inside the bias.",
             lambda ev: variants["offset_skips_bias"][k][part], hint=3),
        like("bias_at_weights", "read b after W: move the offset past W (k += W.size) before slicing b. "
             "Yours slices b where W starts.", lambda ev: variants["bias_at_weights"][k][part], hint=3),
        like("bias_first", "each layer is [W.ravel(); b] in theta: read W first, then b.",
             lambda ev: variants["bias_first"][k][part], hint=3),
    ]
    offset = 0
    for k, ((W, b), pair) in enumerate(zip(layers, out)):
        got = _pair(tr("{uwhat} (layer {k})", uwhat=uwhat, k=k + 1), pair, "W", "b")
        w_flat = before[offset:offset + W.size]
        b_flat = before[offset + W.size:offset + W.size + b.size]
        ctx = tr(", layer {k} of {count}", k=k + 1, count=len(layers))
        _answer(uwhat, got[0], w_flat.reshape(W.shape), name=f"W{k + 1}", context=ctx, mistakes=[
            like("column_major", "read W row by row: theta[...].reshape(W.shape) (the default, row-major "
                 "order), the inverse of W.ravel().", lambda ev: w_flat.reshape(W.shape, order="F"), hint=1),
        ] + offset_rows(k, 0))
        _answer(uwhat, got[1], b_flat, name=f"b{k + 1}", context=ctx, mistakes=offset_rows(k, 1))
        offset += W.size + b.size
    back = call(unflatten_fn, call(flatten_fn, layers, what=fwhat), layers, what=uwhat)
    for (W, b), (W2, b2) in zip(layers, back):
        if not (np.array_equal(W, W2) and np.array_equal(b, b2)):
            raise CheckFailed(tr("{uwhat}({fwhat}(layers), layers) does not give the layers back.",
                                 uwhat=uwhat, fwhat=fwhat),
                              key="not_inverse")


@EXERCISES.check("layer_theta_grad")
def layer_theta_grad(fn, *, hidden=False):
    what = _name(fn, "layer_theta_grad")
    rng = _rng(hidden, 490)
    for k, (n, d, m) in enumerate([(5, 3, 4), (3, 6, 2)] if hidden else [(4, 5, 3), (2, 3, 6)]):
        h = rng.standard_normal((n, d))
        theta = rng.standard_normal(d * m + m)

        def forward(theta_, h=h, d=d, m=m):
            W, b = theta_[:d * m].reshape(d, m), theta_[d * m:]
            return h @ W + b, h

        def backward(dout, h_):
            return fn(h_.copy(), dout)

        dz = rng.standard_normal((n, m))
        given = [h.copy(), dz.copy()]
        try:
            grads = call(fn, *given, what=what)
        except CheckFailed as exc:
            text = str(exc)
            if exc.key == "exception" and ("mismatch" in text or "not aligned" in text):
                raise CheckFailed(tr("{what}: a matrix product's sizes do not fit. h is ({n}, {d}) and dz ({n}, "
                                     "{m}); dW[i, j] sums h[s, i] dz[s, j] over the samples s, axis 0 of both: "
                                     "h.T @ dz, ({d}, {m}).\n  ({error})",
                                     what=what, n=n, d=d, m=m, error=text.splitlines()[0]),
                                  key="backward_shapes", hint=3) from None
            raise
        _unchanged(what, (h, dz), given, names=["h", "dz"])
        size = np.size(grads) if grads is not None else 0
        if np.ndim(grads) == 1 and size == d * m:
            raise CheckFailed(tr("{what}: dtheta has {size} entries, only the weights' part; theta = [W.ravel(); "
                                 "b] has {total}: the bias's gradient goes after it.",
                                 what=what, size=size, total=d * m + m), key="bias_missing", hint=1)
        if np.ndim(grads) == 1 and size == d * m + n * m:
            raise CheckFailed(tr("{what}: dtheta has {size} entries: db still has the batch axis. A bias is "
                                 "shared by all N={n} samples: its gradient sums dz over them, {m} numbers.",
                                 what=what, size=size, n=n, m=m),
                              key="batch_not_summed", hint=2)
        if np.ndim(grads) == 1 and size == n * d * n * m + m:
            raise CheckFailed(tr("{what}: dtheta has {size} entries: np.outer(h, dz) flattens both arrays first "
                                 "and multiplies every entry of h with every entry of dz, across samples. dW is "
                                 "the sum over the samples of np.outer(h[s], dz[s]), which is h.T @ dz.",
                                 what=what, size=size),
                              key="outer_of_batches", hint=2)
        if np.ndim(grads) == 2 and np.shape(grads) == (d, m):
            raise CheckFailed(tr("{what}: dtheta has shape {shape}, dW alone and not flattened: return "
                                 "the 1-D [dW.ravel(); db] of {total} entries.",
                                 what=what, shape=np.shape(grads), total=d * m + m),
                              key="not_flattened", hint=1)
        with _hints(ignores_upstream=2, all_zeros=2):
            check_layer(_with_name(forward, "h @ W + b"), _with_name(backward, what), theta, names=["theta"],
                        seed=(55 if hidden else 54) + 10 * k, quiet=True, batch=NO_BATCH, mistakes=[
                like("outer_transposed", "dW = h.T @ dz has W's layout (fan_in, fan_out), and theta holds it "
                     "as dW.ravel(); yours ravels its transpose (dz.T @ h, or a column-by-column ravel).",
                     lambda ev: np.concatenate([(ev.dout.T @ h).ravel(), ev.dout.sum(axis=0)]), hint=2),
                like("mean_in_layer", "dtheta is N times too small: sum over the batch; the 1/N of the loss is "
                     "already in dz.", lambda ev: np.concatenate([(h.T @ ev.dout).ravel(), ev.dout.sum(axis=0)]) / n,
                     hint=2),
                like("mean_in_layer", "the bias part of dtheta is N times too small: db sums dz over the "
                     "samples; the 1/N of the loss is already in dz.",
                     lambda ev: np.concatenate([(h.T @ ev.dout).ravel(), ev.dout.mean(axis=0)]), hint=2),
                like("outer_of_sums", "dW is the SUM of the outer products of each sample, sum_s "
                     "outer(h[s], dz[s]) = h.T @ dz; yours is the outer product of the sums, "
                     "outer(h.sum(0), dz.sum(0)), which mixes the samples.",
                     lambda ev: np.concatenate([np.outer(h.sum(axis=0), ev.dout.sum(axis=0)).ravel(),
                                         ev.dout.sum(axis=0)]), hint=2),
                like("one_sample_only", "dW sums the outer products of ALL N samples; yours has the first "
                     "sample's only.", lambda ev: np.concatenate([np.outer(h[0], ev.dout[0]).ravel(),
                                                          ev.dout.sum(axis=0)]), hint=2),
            ] + sample_rows(lambda ev, h=h: np.concatenate([np.einsum("si,sj->sij", h, ev.dout).reshape(len(h), -1),
                                                            ev.dout], axis=1), hint=3))


# --- 12. the hinge loss ----------------------------------------------------------------------------

def _hinge_case(rng, n, d, c):
    """Data whose margins s_j - s_y + 1 (j != y) are all at least KINK_MARGIN from 0, some positive
    and some negative, so the max matters and no central difference straddles its kink."""
    while True:
        x = rng.standard_normal((n, d))
        W = rng.standard_normal((d, c)) * 0.5
        labels = rng.permutation(np.arange(n) % c)
        s = x @ W
        margins = s - s[np.arange(n), labels][:, None] + 1.0
        off = np.delete(margins.ravel(), np.arange(n) * c + labels)
        if np.min(np.abs(off)) > KINK_MARGIN and np.sum(off > 0) >= 2 and np.sum(off < 0) >= 2:
            return x, W, labels


HINGE_CASES = {False: [((5, 4, 3), 0.1), ((3, 2, 6), 0.05)], True: [((6, 3, 4), 0.15), ((4, 5, 2), 0.08)]}


@EXERCISES.check("hinge_loss")
def hinge_loss(fn, *, hidden=False):
    rng = _rng(hidden, 500)
    for k, ((n, d, c), reg) in enumerate(HINGE_CASES[hidden]):
        x, W, labels = _hinge_case(rng, n, d, c)
        _hinge_check(fn, x, W, labels, reg, seed=(57 if hidden else 56) + 10 * k)


def _hinge_check(fn, x, W, labels, reg, seed):
    what = _name(fn, "hinge_loss")
    n, c = x.shape[0], W.shape[1]
    given = [W.copy(), x.copy(), labels.copy()]
    try:
        result = _pair(what, call(fn, *given, reg, what=what), "loss", "dW")
    except CheckFailed as exc:
        _hinge_exception(what, exc, n, c, x.shape[1])
    _unchanged(what, (W, x, labels), given, names=["W", "x", "labels"])
    ref = _hinge(W, x, labels, reg)[0]
    penalty = reg * np.sum(W * W)
    data = ref - penalty
    s = x @ W
    unclamped = np.delete((s - s[np.arange(n), labels][:, None] + 1).ravel(), np.arange(n) * c + labels)
    table = s - s[np.arange(n), labels][:, None] + 1
    table[np.arange(n), labels] = 0.0
    per_sample = np.maximum(table, 0.0).sum(axis=1)
    context = tr(" for x of shape {x_shape}, W of shape {W_shape}, reg = {reg}", x_shape=x.shape, W_shape=W.shape,
                 reg=reg)
    _answer(what, result[0], ref, name="loss", context=context, mistakes=[
        like("own_margin_counted", "the loss is exactly 1 too large: L_s sums over the wrong classes "
             "j != labels[s] only. The correct class's own margin is always 1; leave it out. Its gradient "
             "cancels, so only the loss shows it.", lambda ev: ref + 1.0),
        like("reg_missing", "L = data loss + R: the regularisation term R = reg * sum(W**2) is missing.",
             lambda ev: data),
        like("mean_never", "the data loss is the mean over the N samples; yours is the sum.",
             lambda ev: data * n + penalty),
        like("mean_over_classes", "the data loss is the mean over the N samples of a sum over the classes; "
             "yours also divides by the number of classes (np.mean over the whole margin table).",
             lambda ev: data / c + penalty),
        like("no_max", "L_s = sum_j max(0, margin_j): margins below 0 count as 0 (the hinge); you summed "
             "them unclamped.", lambda ev: float(np.sum(unclamped)) / n + penalty),
        like("reg_half", "R = reg * sum(W**2) here (some texts put a 1/2 in front; this notebook does "
             "not): yours has half of it.", lambda ev: data + 0.5 * penalty),
        like("reg_not_squared", "R = reg * sum(W**2), the sum of the SQUARED weights; yours sums W itself.",
             lambda ev: data + reg * np.sum(W)),
        like("reg_square_of_sum", "R = reg * sum(W**2) squares each weight, then sums; yours squares the sum "
             "(np.sum(W)**2).", lambda ev: data + reg * np.sum(W) ** 2, hint=1),
        like("reg_over_n", "R = reg * sum(W**2) is added once, after the mean: only the data loss is divided "
             "by N; yours divides R by N too.", lambda ev: data + penalty / n, hint=1),
    ] + sample_value_rows(per_sample, penalty, hint=3))

    forward = through(fn, lambda W_: ((W_, x.copy(), labels.copy(), reg), {}),
                      lambda out: _pair(what, out, "loss", "dW"), what)

    def backward(dout, dW):
        try:
            return (dout * np.asarray(dW, dtype=np.float64),)
        except (TypeError, ValueError):
            return (dW,)

    variant = lambda v: lambda ev: ev.dout * _hinge(ev.inputs[0], x, labels, reg, variant=v)[1]  # noqa: E731
    with _hints(ignores_upstream=2, shape_transposed=2):
        check_layer(forward, _with_name(backward, what), W, names=["W"], batch=NO_BATCH, seed=seed, quiet=True,
                    reference=lambda W_: _hinge(W_, x, labels, reg)[0], mistakes=[
            like("reg_grad_missing", "dW is missing the regulariser's branch: W feeds R too, and "
                 "d(reg * sum W**2)/dW = 2 * reg * W is added to the data part.", variant("reg_grad_missing"),
                 hint=1),
            like("reg_grad_no_2", "the regulariser's gradient is 2 * reg * W (the derivative of W**2 is "
                 "2W); yours has reg * W.", variant("reg_grad_no_2"), hint=1),
            like("correct_class_not_subtracted", "the correct class's column is missing its part: each "
                 "positive margin has -s_labels[s] in it, so besides adding x[s] to column j it subtracts "
                 "x[s] from column labels[s] (once per positive margin).", variant("not_subtracted"), hint=2),
            like("mean_never", "dW is N times too large in its data part: the data loss is the mean over the "
                 "samples, so that part has a 1/N.",
                 lambda ev: ev.dout * (n * (_hinge(ev.inputs[0], x, labels, 0.0)[1]) + 2 * reg * ev.inputs[0]),
                 hint=2),
            like("subtracted_once", "the correct class's column gets -x[s] once for EACH positive margin of "
                 "sample s (the count), not once per sample.",
                 lambda ev: ev.dout * _hinge_subtracted_once(ev.inputs[0], x, labels, reg), hint=2),
            like("own_margin_counted", "the correct class's column gets one -x[s] too many per sample: your mask "
                 "counts the correct class's own margin (0 once set to 0, but margins >= 0 counts it; 1 if the "
                 "mask is taken before it is set to 0). Count the classes j != labels[s] whose margin is > 0.",
                 variant("own_in_mask"), hint=2),
            like("reg_over_n", "the regulariser's branch 2 * reg * W is added after the mean: only the data part "
                 "has the 1/N; yours divides 2 * reg * W by N too.", variant("reg_over_n"), hint=1),
        ] + sample_rows(lambda ev: ev.dout * _hinge_parts(ev.inputs[0], x, labels), hint=3,
                        offset=lambda ev: ev.dout * 2 * reg * ev.inputs[0]))


def _hinge_exception(what, exc, n, c, d):
    """Name what a raw numpy exception of hinge_loss most likely comes from."""
    text = str(exc)
    first = text.splitlines()[0]
    if exc.key == "exception" and f"indexing result of shape ({n},)" in text and f"shape ({c},)" in text:
        raise CheckFailed(tr("{what}: mask[rows, labels] takes one number per sample ({n}), the count of that "
                             "sample's positive margins: sum the mask over the classes, mask.sum(axis=1); axis 0 "
                             "runs over the samples and gives {c} numbers, one per class.\n  ({first})",
                             what=what, n=n, c=c, first=first),
                          key="count_wrong_axis", hint=3) from None
    if exc.key == "exception" and ("mismatch" in text or "not aligned" in text):
        raise CheckFailed(tr("{what}: a matrix product's sizes do not fit. x is ({n}, {d}) and the mask (d "
                             "scores) is ({n}, {c}); dW[i, j] sums over the samples, axis 0 of both: x.T @ mask, "
                             "of W's shape ({d}, {c}).\n  ({first})",
                             what=what, n=n, d=d, c=c, first=first), key="backward_shapes", hint=1) from None
    _not_a_column(what, exc, (n, c), tr("the correct class's score, scores[rows, labels],"), hint=3)


def _hinge_subtracted_once(W, x, labels, reg):
    n = x.shape[0]
    rows = np.arange(n)
    s = x @ W
    margins = s - s[rows, labels][:, None] + 1.0
    margins[rows, labels] = 0.0
    mask = (margins > 0).astype(np.float64)
    mask[rows, labels] = -(mask.sum(axis=1) > 0).astype(np.float64)
    return x.T @ mask / n + 2 * reg * W


# --- 13. memory ----------------------------------------------------------------------------------

def _arrays(cache, into=("list", "tuple", "dict"), dict_values=True):
    """Every array a nested cache refers to, once per occurrence; ``into`` and ``dict_values`` give the
    wrong walks (a container kind skipped, a dict walked by its keys)."""
    if isinstance(cache, np.ndarray):
        return [cache]
    if isinstance(cache, dict):
        if "dict" not in into:
            return []
        cache = list(cache.values()) if dict_values else list(cache)
    elif isinstance(cache, (list, tuple)):
        if type(cache).__name__ not in into:
            return []
    else:
        return []
    return [a for item in cache for a in _arrays(item, into, dict_values)]


def _distinct(arrays):
    return list({id(a): a for a in arrays}.values())


def _cache_answers(cache):
    """The right byte count and the counts of the named mistakes, with the hint for each."""
    every = _arrays(cache)
    once = _distinct(every)
    top = cache if isinstance(cache, (list, tuple)) else list(cache.values()) if isinstance(cache, dict) else [cache]
    return sum(a.nbytes for a in once), [
        ("counted_twice", tr("an array that the cache holds twice is one array in memory: count each array "
         "once (remember the id() of each array you counted)."), sum(a.nbytes for a in every), 2),
        ("counted_entries", tr("count bytes, not entries: a.nbytes (a.size * a.itemsize), not a.size."),
         sum(a.size for a in once), None),
        ("assumed_8_bytes", tr("not every array has 8 bytes per entry (float32 has 4, bool 1): use a.nbytes."),
         sum(8 * a.size for a in once), None),
        ("getsizeof", tr("sys.getsizeof(a) adds the array object's own header to its data; count the data: "
         "a.nbytes."), sum(sys.getsizeof(a) for a in once), None),
        ("not_recursive", tr("look inside every list, tuple and dict of the cache, however deeply nested "
         "(a recursive function does it)."), sum(a.nbytes for a in top if isinstance(a, np.ndarray)), 1),
        ("dict_keys", tr("a dict is walked by its VALUES (cache.values()): iterating over a dict gives its "
         "keys, which hold no arrays."), sum(a.nbytes for a in _distinct(_arrays(cache, dict_values=False))), 1),
        ("tuples_skipped", tr("a tuple is a container too (a layer's cache is often (x, W)): look inside "
         "tuples as well as lists and dicts."),
         sum(a.nbytes for a in _distinct(_arrays(cache, into=("list", "dict"))))
         if isinstance(cache, (list, dict)) else 0, 1),
    ]


def _shared_default(fn, what):
    """A mutable default (seen=set()) that an earlier call has filled: later calls share it."""
    try:
        defaults = getattr(fn, "__defaults__", None) or ()
        filled = [d for d in defaults if type(d).__name__ in ("set", "list", "dict") and len(d) > 0]
    except Exception:  # a learner's object may answer in any way
        return
    if filled:
        raise CheckFailed(tr("{what}: its default argument (seen={kind}()) was made once, when the "
                             "def ran, and every call shares it: it still holds the ids an earlier call counted, "
                             "so a later call counts those arrays as 0 bytes. Use seen=None and make a new set "
                             "inside when seen is None.",
                             what=what, kind=type(filled[0]).__name__), key="shared_default", hint=2)


@EXERCISES.check("cache_bytes")
def cache_bytes(fn, *, hidden=False):
    what = _name(fn, "cache_bytes")
    rng = _rng(hidden, 510)
    x, W = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    out = rng.standard_normal((4, 3))
    small = rng.standard_normal((6, 2)).astype(np.float32)
    mask = rng.standard_normal((4, 3)) > 0
    counts = rng.integers(0, 9, size=7).astype(np.int16)
    cases = [
        ((x, W), "(x, W)"),
        ([(x, W), (out,), {"out": out, "mask": mask, "n": 4, "name": "relu"}, None, 2.5, [small]],
         tr("nested lists, tuples and dicts holding one array twice, a bool mask and a float32 array")),
    ]
    if hidden:
        cases.append(({"layers": [(x, W), (x, out)], "count": counts, "x": x}, tr("a dict whose layers share x")))
    else:
        cases.append(({"relu": (out, mask), "affine": [x, W], "sizes": counts}, tr("a dict of a tuple, a list "
                      "and an int16 array")))
    for cache, label in cases:
        expected, named = _cache_answers(cache)
        raw = call(fn, cache, what=what)
        _shared_default(fn, what)
        try:
            if np.ndim(raw) != 0 or isinstance(raw, (bool, np.bool_)):
                raise TypeError
            yours = float(raw)
        except (TypeError, ValueError):
            raise CheckFailed(tr("{what} for {label}: return one number, the total bytes; got {kind}.",
                                 what=what, label=label, kind=type(raw).__name__),
                              key="not_numeric") from None
        if yours == expected:
            continue
        for key, sentence, value, hint in named:
            if value != expected and yours == value:
                raise CheckFailed(tr("{what} for {label}: {sentence}\n  yours {yours:g} bytes, expected "
                                     "{expected:g}",
                                     what=what, label=label, sentence=sentence, yours=yours, expected=expected),
                                  key=key, hint=hint)
        raise CheckFailed(tr("{what} for {label}: yours {yours:g} bytes, expected {expected:g}.",
                             what=what, label=label, yours=yours, expected=expected),
                          key="wrong_values")
