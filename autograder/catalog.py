"""Stage 3 of the pipeline: the catalog of named mistakes.

Each mistake is a row: a key, the sentence a learner reads, and a test on
the evidence.  Diagnosis walks the rows in order and names the first that
fits, so teaching the checker a new mistake means adding a row here (or
passing one to a check as ``mistakes=[...]``), never a new branch.

Sentences are ``str.format`` templates; the fields come from ``Evidence``
(``{name}``, ``{of}``, ``{N}``, ``{got}``, ``{want}``) plus a row's own
``details``.
"""
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .compare import relative_error
from .i18n import N_, tr, translated

# Two arrays this close are "the same answer" when we match a wrong-answer
# candidate; 1e-6 is the gradient tolerance, the same yardstick.
SAME = 1e-6


@dataclass
class Evidence:
    """Everything the diagnosis may look at for one returned gradient."""

    name: str                      # "dW"
    of: Optional[str]              # "W": the input this is the gradient of (None: a value answer)
    raw: object                    # exactly what the learner returned
    want: tuple                    # the shape it must have
    oracle: object = None          # FullOracle / DirectionalOracle
    yours: Optional[np.ndarray] = None   # float64 view of raw, once it is an array
    batch: Optional[int] = None    # N, the number of rows of the batch input
    yours_again: Optional[np.ndarray] = None  # your answer for a second upstream gradient
    oracle_again: object = None    # the truth for that second upstream gradient
    inputs: tuple = ()             # float64 copies of the inputs
    dout: Optional[np.ndarray] = None
    extra: dict = field(default_factory=dict)

    @property
    def got(self):
        return tuple(np.shape(self.raw))

    def fields(self):
        return {"name": self.name, "of": self.of, "N": self.batch,
                "got": self.got, "want": tuple(self.want)}

    @property
    def masked(self):
        """Entries left out of every comparison (their finite differences straddle a kink), or None."""
        mask = getattr(self.oracle, "mask", None)
        return mask if mask is not None and mask.any() else None

    def compared(self, array):
        """``array`` without the masked entries (all of it when nothing is masked)."""
        array = np.asarray(array, dtype=np.float64)
        mask = self.masked
        if mask is None or array.shape != mask.shape:
            return array
        return array[~mask]


@dataclass(frozen=True)
class Mistake:
    key: str
    says: str
    test: Callable[[Evidence], bool]
    grads: Optional[tuple] = None          # names this row applies to (None: all)
    details: Optional[Callable[[Evidence], dict]] = None
    hint: Optional[int] = None             # the exercise's hint that addresses this mistake

    def applies(self, ev):
        return self.grads is None or ev.name in self.grads

    def sentence(self, ev):
        fields = ev.fields()
        if self.details is not None:
            fields.update(self.details(ev))
        return translated(self.says).format(**fields)


def like(key, says, wrong_answer, grads=None, hint=None):
    """A named alternative: the mistake is present when yours equals
    ``wrong_answer(evidence)`` (an array computed from a reference).  ``hint``: the number of
    the exercise's hint (in the notebook) that addresses it."""
    if isinstance(grads, str):
        grads = (grads,)

    def test(ev):
        alt = np.asarray(wrong_answer(ev), dtype=np.float64)
        return alt.shape == ev.yours.shape and relative_error(ev.compared(ev.yours), ev.compared(alt)) <= SAME

    return Mistake(key, says, test, grads=grads, hint=hint)


def _is_int(ev):
    return np.issubdtype(np.asarray(ev.raw).dtype, np.integer) or np.asarray(ev.raw).dtype == bool


def _not_numeric(ev):
    try:
        arr = np.asarray(ev.raw)
    except Exception:
        return True
    return not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool)


# --- what came back, before its shape or values are looked at -------------
RETURN_MISTAKES = [
    Mistake("returned_none",
            "{name} is None: did you forget a `return` statement?",
            lambda ev: ev.raw is None),
    Mistake("not_numeric",
            "{name} is not an array of numbers (got {kind}).",
            _not_numeric,
            details=lambda ev: {"kind": type(ev.raw).__name__}),
    Mistake("integer_dtype",
            "{name} has integer dtype {dtype}: gradients are real numbers. "
            "Did you start from np.zeros_like(...) of an integer array, or use // ?",
            _is_int,
            details=lambda ev: {"dtype": np.asarray(ev.raw).dtype}),
    Mistake("non_finite",
            "{name} contains {what}: look for a division by zero or an overflowing exp.",
            lambda ev: not np.all(np.isfinite(np.asarray(ev.raw, dtype=np.float64))),
            details=lambda ev: {"what": "nan" if np.any(np.isnan(np.asarray(ev.raw, dtype=np.float64))) else "inf"}),
]


def _squeeze(shape):
    return tuple(d for d in shape if d != 1)


def _of(with_of, without_of=""):
    """Details that say what the shape is the shape of, only when the check knows it."""
    return lambda ev: {"of_text": tr(with_of, of=ev.of) if ev.of else tr(without_of, want=tuple(ev.want))}


def _lost_axis_text(ev):
    if ev.batch == 1 and len(ev.want) >= 2 and ev.want[0] == 1 and ev.got == tuple(ev.want[1:]):
        return {"axis_text": tr("the batch axis of length N=1 went missing (x[0] or squeeze() drops it; "
                                "keep it with x[0:1], reshape(1, -1) or keepdims=True)")}
    return {"axis_text": tr("an axis of length 1 went missing (use keepdims=True or reshape)")}


def _summed_wrong_axis(ev):
    dout = ev.dout
    return (dout is not None and np.ndim(dout) == 2 and dout.shape[0] != dout.shape[1]
            and tuple(ev.want) == (dout.shape[1],) and ev.got == (dout.shape[0],))


def _upstream_shape(ev):
    return (ev.dout is not None and np.ndim(ev.dout) >= 1 and ev.got == tuple(np.shape(ev.dout))
            and ev.got != tuple(ev.want) and int(np.prod(ev.got)) != int(np.prod(ev.want)))


def _not_reshaped(ev):
    return len(ev.got) >= 1 and int(np.prod(ev.got)) == int(np.prod(ev.want)) and ev.got != tuple(ev.want)


# --- the shape is wrong: which way? -------------------------------------------
SHAPE_MISTAKES = [
    Mistake("shape_transposed",
            "{name} has shape {got}, the transpose of the expected {want}: "
            "{of_text}swap the operands of the product or transpose it.",
            lambda ev: len(ev.want) == 2 and ev.got == tuple(reversed(ev.want)),
            details=lambda ev: {"of_text": tr("{name} must have the shape of {of}; ", name=ev.name, of=ev.of)
                                if ev.of else ""}),
    Mistake("batch_not_summed",
            "{name} has shape {got} but {of} has shape {want}: the batch axis (N={N}) is still there. "
            "A parameter is shared by all N samples, so sum the per-sample gradients over axis 0.",
            lambda ev: ev.batch is not None and ev.got == (ev.batch,) + tuple(ev.want)),
    Mistake("flattened",
            "{name} is flat, shape {got}, but {want} was expected: {of_text}.",
            lambda ev: (len(ev.got) == 1 and len(ev.want) > 1 and ev.got[0] == int(np.prod(ev.want))
                        and _squeeze(ev.got) != _squeeze(ev.want)),
            details=_of(N_("return an array with the shape of {of} (start from np.zeros_like({of}) "
                           "and fill it entry by entry)"), N_("return an array of shape {want} (reshape it)"))),
    Mistake("kept_axis",
            "{name} has shape {got} but {want} was expected: there is an extra axis of length 1 "
            "(keepdims=True, or a column where a flat vector is needed).",
            lambda ev: len(ev.got) > len(ev.want) and _squeeze(ev.got) == _squeeze(ev.want)),
    Mistake("lost_axis",
            "{name} has shape {got} but {want} was expected: {axis_text}.",
            lambda ev: len(ev.got) < len(ev.want) and _squeeze(ev.got) == _squeeze(ev.want),
            details=_lost_axis_text),
    Mistake("scalar_instead",
            "{name} is a single number but {want} was expected{of_text}.",
            lambda ev: ev.got == () and ev.want != (),
            details=_of(N_(": the gradient of {of} has one entry per entry of {of}"))),
    Mistake("scalar_expected",
            "{name} must be a single number (shape ()), but yours has shape {got}: did you forget to sum?",
            lambda ev: ev.want == () and ev.got != ()),
    Mistake("summed_wrong_axis",
            "{name} has shape {got}, one entry per sample, but {want} was expected{of_text}: it was summed "
            "over axis 1; sum over axis 0, the batch.",
            _summed_wrong_axis,
            details=_of(N_(" (the shape of {of})"))),
    Mistake("not_reshaped",
            "{name} has shape {got}: the right number of entries, but {want} was expected{of_text}: "
            "reshape it back ({name}.reshape({shape_of})).",
            _not_reshaped,
            details=lambda ev: {"of_text": tr(" (the shape of {of})", of=ev.of) if ev.of else "",
                                "shape_of": f"{ev.of}.shape" if ev.of else str(tuple(ev.want))}),
    Mistake("upstream_shape",
            "{name} has the shape of dout, {got}, but {want} was expected{of_text}: the backward pass must "
            "map dout back onto that shape (a sum over an axis gives every summed entry the same dout: "
            "broadcast it back along that axis).",
            _upstream_shape,
            details=_of(N_(" (the shape of {of})"))),
    Mistake("wrong_shape",
            "{name} has shape {got} but {want} was expected{of_text}.",
            lambda ev: True,
            details=_of(N_(" (the shape of {of})"))),
]


def _ignores_upstream(ev):
    if ev.yours_again is None or ev.oracle_again is None:
        return False
    same_yours = relative_error(ev.compared(ev.yours), ev.compared(ev.yours_again)) <= SAME
    truth_moves = not ev.oracle_again.matches(ev.yours)
    return same_yours and truth_moves


def _scaled(k_of):
    def test(ev):
        k = k_of(ev)
        return k not in (None, 0, 1) and ev.oracle.matches(ev.yours / k)
    return test


def _transposed_values(ev):
    y = ev.yours
    return y.ndim == 2 and y.shape[0] == y.shape[1] and y.shape[0] > 1 and ev.oracle.matches(y.T)


def _other_constant(ev):
    # one number is always "a constant factor" times another: that names nothing
    if ev.compared(ev.yours).size < 2:
        return False
    k = ev.oracle.best_scale(ev.yours)
    if k is None or abs(k) < 1e-12 or abs(k - 1) < 1e-9:
        return False
    ev.extra["k"] = k
    return ev.oracle.matches(ev.yours / k)


def _diagonal_summary(wrong, compared):
    """'on the diagonal only' / 'off the diagonal only' for a square 2-D answer, else None."""
    if wrong.ndim != 2 or wrong.shape[0] != wrong.shape[1] or wrong.shape[0] < 2:
        return None
    diagonal = np.eye(wrong.shape[0], dtype=bool)
    if np.array_equal(wrong[compared], diagonal[compared]):
        return tr("wrong on the diagonal only (the off-diagonal entries are right)")
    if np.array_equal(wrong[compared], ~diagonal[compared]):
        return tr("right on the diagonal, wrong off it")
    return None


def _partial(ev):
    wrong = ev.oracle.wrong_mask(ev.yours)
    if wrong is None or wrong.ndim == 0:
        return False
    masked = getattr(ev.oracle, "mask", None)
    compared = ~masked if masked is not None else np.ones(wrong.shape, dtype=bool)
    bad, total = int(wrong.sum()), int(compared.sum())
    if not 0 < bad < total:
        return False
    summary = _diagonal_summary(wrong, compared)
    if summary is None:
        rows = sorted({int(i) for i in np.nonzero(wrong)[0]})
        axis0 = "samples" if ev.batch is not None and wrong.shape[0] == ev.batch else "rows"
        shown = ", ".join(map(str, rows[:8])) + (", ..." if len(rows) > 8 else "")
        one = len(rows) == 1
        if axis0 == "samples":
            where = tr("sample {shown}", shown=shown) if one else tr("samples {shown}", shown=shown)
        elif wrong.ndim > 1:
            where = tr("row {shown}", shown=shown) if one else tr("rows {shown}", shown=shown)
        else:
            where = tr("entry {shown}", shown=shown) if one else tr("entries {shown}", shown=shown)
        summary = tr("wrong on {bad} of {total} entries ({percent}%): {where}",
                     bad=bad, total=total, percent=round(100 * bad / total), where=where)
    ev.extra.update(summary=summary)
    return True


def _probe(ev):
    """The layer probe of ``check_layer`` (forward's behaviour around the inputs), or None."""
    return ev.extra.get("probe")


def _averages(ev):
    probe = _probe(ev)
    return None if probe is None else probe.averages_batch()


def _mean_twice(ev):
    return bool(ev.batch and ev.batch > 1 and _averages(ev) and ev.oracle.matches(ev.yours * ev.batch))


def _too_large_N(ev):
    averages = _averages(ev)
    if averages is False:
        return {"why": tr("there is a factor N (the batch size) too many: each sample's gradient counts "
                          "once (a sum over the batch where the mean is needed, or a multiplication by N?)")}
    return {"why": tr("the loss averages over the batch, so divide by N (you summed where the mean is needed)")}


def _same_as(ev, candidate):
    candidate = np.asarray(candidate, dtype=np.float64)
    return candidate.shape == ev.yours.shape and relative_error(ev.compared(ev.yours), ev.compared(candidate)) <= SAME


def _dout_as_input(ev):
    """dout brought to the answer's shape (itself, or broadcast along trailing axes), or None."""
    if ev.dout is None:
        return None
    dout = np.asarray(ev.dout, dtype=np.float64)
    while dout.ndim < len(ev.want):
        dout = dout[..., None]
    try:
        return np.broadcast_to(dout, tuple(ev.want))
    except ValueError:
        return None


def _local_missing(ev):
    dout = _dout_as_input(ev)
    return dout is not None and np.any(dout) and _same_as(ev, dout)


def _at_output(ev):
    probe = _probe(ev)
    if probe is None or not probe.elementwise(ev.oracle):
        return False
    return _same_as(ev, probe.slope(at=probe.out) * ev.dout)


def _diagonal_only(ev):
    probe = _probe(ev)
    if probe is None or probe.elementwise(ev.oracle):
        return False
    diagonal = probe.diagonal()
    return diagonal is not None and _same_as(ev, diagonal * ev.dout)


def _other_input(ev):
    for other in ev.extra.get("others", ()):
        if other is not ev and other.oracle is not None and tuple(other.oracle.shape) == ev.yours.shape \
                and np.any(ev.yours) and other.oracle.matches(ev.yours):
            ev.extra["other"] = other.of or other.name
            return True
    return False


def _shifted(ev):
    expected = getattr(ev.oracle, "expected", None)
    if expected is None or ev.masked is not None or ev.yours.ndim == 0:
        return False
    for axis in range(ev.yours.ndim):
        n = ev.yours.shape[axis]
        for s in (1, -1, 2, -2):
            if n <= 2 * abs(s):
                continue
            mine = np.take(ev.yours, range(max(0, -s), n - max(0, s)), axis=axis)
            truth = np.take(expected, range(max(0, s), n - max(0, -s)), axis=axis)
            unshifted = np.take(expected, range(max(0, -s), n - max(0, s)), axis=axis)
            if np.any(truth) and relative_error(mine, truth) <= ev.oracle.rtol \
                    and relative_error(mine, unshifted) > ev.oracle.rtol:   # (not rows that are all alike)
                ev.extra.update(shift=abs(s), axis=axis, direction=tr("late") if s > 0 else tr("early"))
                return True
    return False


def _one_per_row(ev):
    expected = getattr(ev.oracle, "expected", None)
    if expected is None or ev.yours.ndim != 2 or ev.yours.shape[1] < 2 or ev.masked is not None:
        return False
    wrong = ev.oracle.wrong_mask(ev.yours)
    if wrong is None or not np.all(wrong.sum(axis=1) == 1):
        return False
    deltas = (ev.yours - expected)[wrong]
    if np.max(np.abs(deltas - deltas[0])) > 1e-6 * max(abs(deltas[0]), 1e-12):
        return False
    ev.extra["delta"] = float(deltas[0])
    return True


def _by_axis(ev):
    k = ev.oracle.best_scale(ev.yours)
    if k is None or abs(k) < 1e-12 or not ev.oracle.matches(ev.yours / k):
        return False
    names = ev.extra.get("names") or [tr("input {i}", i=i) for i in range(len(ev.inputs))]
    for label, array in list(zip(names, ev.inputs)) + ([("dout", ev.dout)] if ev.dout is not None else []):
        shape = np.shape(array)
        lengths = [(d, tr("the length of axis {a} of {label}", a=a, label=label)) for a, d in enumerate(shape)]
        if len(shape) > 1:
            lengths.append((int(np.prod(shape)), tr("the number of entries of {label}", label=label)))
        for d, what in lengths:
            if d < 2 or d == ev.batch:
                continue
            for factor, size in ((d, "large"), (1.0 / d, "small")):
                if abs(k - factor) <= 1e-6 * factor:
                    ev.extra.update(d=d, what=what, size=tr("large") if size == "large" else tr("small"),
                                    advice=tr("a division by it is missing (the mean over that axis?)")
                                    if size == "large" else tr("it divides by that once too often (a mean "
                                    "over that axis where the loss sums or averages over fewer entries?)"))
                    return True
    return False


# --- the shape is right but the values are not: what went wrong? ------------
VALUE_MISTAKES = [
    Mistake("all_zeros",
            "{name} is all zeros: nothing was written into it (did you return the np.zeros_like you started from?).",
            lambda ev: not np.any(ev.yours)),
    Mistake("forward_ignores_input",
            "{name} is not 0, but finite differences of the forward pass say it is: the output does not "
            "change when {of_text} moves a little. Does forward use {of_text} (and not round its output)?",
            lambda ev: getattr(ev.oracle, "label", "") == "numeric" and ev.oracle.matches(np.zeros_like(ev.yours)),
            details=lambda ev: {"of_text": ev.of or tr("the input")}),
    Mistake("ignores_upstream",
            "{name} does not change when the upstream gradient dout changes: "
            "multiply your local gradient by dout (chain rule: downstream = upstream x local).",
            _ignores_upstream),
    Mistake("transposed",
            "{name} is transposed: your {name}.T is the right answer.",
            _transposed_values),
    Mistake("sign_flipped",
            "{name} has the wrong sign: -{name} would be right. Check the sign of each local derivative.",
            _scaled(lambda ev: -1.0)),
    Mistake("scaled_2",
            "{name} is 2 times too large: is a factor 2 counted twice (for example the 2 of d(x^2)/dx)?",
            _scaled(lambda ev: 2.0)),
    Mistake("scaled_half",
            "{name} is half the right value: a factor 2 is missing (for example the 2 of d(x^2)/dx).",
            _scaled(lambda ev: 0.5)),
    Mistake("scaled_N",
            "{name} is N={N} times too large: {why}.",
            _scaled(lambda ev: ev.batch if ev.batch and ev.batch > 1 else None),
            details=_too_large_N),
    Mistake("mean_twice",
            "{name} is N={N} times too small: the batch mean is taken twice. The forward pass already "
            "averages over the N samples, so its gradient has one 1/N; dividing by N again in backward "
            "makes it 1/N^2.",
            _mean_twice),
    Mistake("scaled_1_over_N",
            "{name} is N={N} times too small: {name} is the sum over the batch, not the mean "
            "(each of the N samples contributes its full gradient).",
            _scaled(lambda ev: 1.0 / ev.batch if ev.batch and ev.batch > 1 else None)),
    Mistake("local_derivative_missing",
            "{name} is dout itself: the local derivative is missing (chain rule: {name} = dout times the "
            "derivative of the layer's output with respect to {of_text}).",
            _local_missing,
            details=lambda ev: {"of_text": ev.of or tr("its input")}),
    Mistake("derivative_at_output",
            "{name} is dout times the derivative taken at the layer's output instead of its input: "
            "f'(out) where f'(x) is needed. Evaluate the derivative at the cached input, or write it "
            "in terms of the output (sigmoid: out * (1 - out); tanh: 1 - out**2).",
            _at_output),
    Mistake("diagonal_only",
            "{name} keeps only each output's derivative with respect to its own input (the diagonal of "
            "the Jacobian), as if the layer worked entry by entry; but each output depends on other "
            "entries too (a softmax or a normalisation does): add their contributions, a sum over "
            "the row of dout weighted by the Jacobian.",
            _diagonal_only),
    Mistake("gradient_of_other_input",
            "{name} is what the gradient of {other} should be: the local derivative for {other} went "
            "into {name} (for out = x * y: dx = dout * y, dy = dout * x).",
            _other_input,
            details=lambda ev: {"other": ev.extra.get("other") or tr("another input")}),
    Mistake("shifted",
            "{name} is the right answer shifted by {shift} along axis {axis} (it starts {shift} "
            "{direction}): an index or a slice bound is off by {shift}.",
            _shifted,
            details=lambda ev: {k: ev.extra[k] for k in ("shift", "axis", "direction") if k in ev.extra}),
    Mistake("one_entry_per_row",
            "{name} is wrong in exactly one entry of each row, each off by {delta:.4g}: a term that only "
            "one entry per sample gets is missing or extra (for softmax cross-entropy, the -1 at the "
            "label: (p - onehot) / N).",
            _one_per_row,
            details=lambda ev: {"delta": ev.extra.get("delta", float("nan"))}),
    Mistake("scaled_by_axis",
            "{name} is {d} times too {size}: {d} is {what}; {advice}",
            _by_axis,
            details=lambda ev: {k: ev.extra[k] for k in ("d", "what", "size", "advice") if k in ev.extra}),
    Mistake("scaled_other",
            "{name} is off by a constant factor: it is {k:.4g} times the right value.",
            _other_constant,
            details=lambda ev: {"k": ev.extra.get("k", float("nan"))}),
    Mistake("partly_wrong",
            "{name} is {summary}.",
            _partial,
            details=lambda ev: dict(ev.extra)),
    Mistake("wrong_values",
            "{name} has the right shape but wrong values.",
            lambda ev: True),
]


def fits(row, ev):
    """Does ``row`` apply to and fit the evidence?  A row that cannot be computed for these inputs
    (its wrong answer raises, or has another shape) does not apply: it never ends a check, and
    what it computes prints no warning (nbgrader scores stderr as 0)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(row.applies(ev) and row.test(ev))
    except Exception as exc:  # noqa: BLE001 (a row is data; whatever it raises, it does not fit)
        ev.extra.setdefault("row_errors", []).append((row.key, f"{type(exc).__name__}: {exc}"))
        return False


def first_match(rows, ev):
    """The first row of ``rows`` that applies to and fits the evidence."""
    for row in rows:
        if fits(row, ev):
            return row
    return None
