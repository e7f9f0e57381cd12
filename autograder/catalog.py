"""Stage 3 of the pipeline: the catalog of named mistakes.

Each mistake is a row: a key, the sentence a learner reads, and a test on
the evidence.  Diagnosis walks the rows in order and names the first that
fits, so teaching the checker a new mistake means adding a row here (or
passing one to a check as ``mistakes=[...]``), never a new branch.

Sentences are ``str.format`` templates; the fields come from ``Evidence``
(``{name}``, ``{of}``, ``{N}``, ``{got}``, ``{want}``) plus a row's own
``details``.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from .compare import relative_error

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
        return self.says.format(**fields)


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
    return lambda ev: {"of_text": with_of.format(of=ev.of) if ev.of else without_of.format(want=tuple(ev.want))}


# --- the shape is wrong: which way? -------------------------------------------
SHAPE_MISTAKES = [
    Mistake("shape_transposed",
            "{name} has shape {got}, the transpose of the expected {want}: "
            "{of_text}swap the operands of the product or transpose it.",
            lambda ev: len(ev.want) == 2 and ev.got == tuple(reversed(ev.want)),
            details=lambda ev: {"of_text": f"{ev.name} must have the shape of {ev.of}; " if ev.of else ""}),
    Mistake("batch_not_summed",
            "{name} has shape {got} but {of} has shape {want}: the batch axis (N={N}) is still there. "
            "A parameter is shared by all N samples, so sum the per-sample gradients over axis 0.",
            lambda ev: ev.batch is not None and ev.got == (ev.batch,) + tuple(ev.want)),
    Mistake("flattened",
            "{name} is flat, shape {got}, but {want} was expected: {of_text}.",
            lambda ev: len(ev.got) == 1 and len(ev.want) > 1 and ev.got[0] == int(np.prod(ev.want)),
            details=_of("return an array with the shape of {of} (start from np.zeros_like({of}) "
                        "and fill it entry by entry)", "return an array of shape {want} (reshape it)")),
    Mistake("kept_axis",
            "{name} has shape {got} but {want} was expected: there is an extra axis of length 1 "
            "(keepdims=True, or a column where a flat vector is needed).",
            lambda ev: len(ev.got) > len(ev.want) and _squeeze(ev.got) == _squeeze(ev.want)),
    Mistake("lost_axis",
            "{name} has shape {got} but {want} was expected: an axis of length 1 went missing "
            "(use keepdims=True or reshape).",
            lambda ev: len(ev.got) < len(ev.want) and _squeeze(ev.got) == _squeeze(ev.want)),
    Mistake("scalar_instead",
            "{name} is a single number but {want} was expected{of_text}.",
            lambda ev: ev.got == () and ev.want != (),
            details=_of(": the gradient of {of} has one entry per entry of {of}")),
    Mistake("scalar_expected",
            "{name} must be a single number (shape ()), but yours has shape {got}: did you forget to sum?",
            lambda ev: ev.want == () and ev.got != ()),
    Mistake("wrong_shape",
            "{name} has shape {got} but {want} was expected{of_text}.",
            lambda ev: True,
            details=_of(" (the shape of {of})")),
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
        return "wrong on the diagonal only (the off-diagonal entries are right)"
    if np.array_equal(wrong[compared], ~diagonal[compared]):
        return "right on the diagonal, wrong off it"
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
        if axis0 == "samples" or wrong.ndim > 1:
            where = f"{axis0[:-1] if len(rows) == 1 else axis0} {shown}"
        else:
            where = f"{'entry' if len(rows) == 1 else 'entries'} {shown}"
        summary = f"wrong on {bad} of {total} entries ({round(100 * bad / total)}%): {where}"
    ev.extra.update(summary=summary)
    return True


# --- the shape is right but the values are not: what went wrong? ------------
VALUE_MISTAKES = [
    Mistake("all_zeros",
            "{name} is all zeros: nothing was written into it (did you return the np.zeros_like you started from?).",
            lambda ev: not np.any(ev.yours)),
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
            "{name} is N={N} times too large: the loss averages over the batch, so divide by N "
            "(you summed where the mean is needed).",
            _scaled(lambda ev: ev.batch if ev.batch and ev.batch > 1 else None)),
    Mistake("scaled_1_over_N",
            "{name} is N={N} times too small: {name} is the sum over the batch, not the mean "
            "(each of the N samples contributes its full gradient).",
            _scaled(lambda ev: 1.0 / ev.batch if ev.batch and ev.batch > 1 else None)),
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


def first_match(rows, ev):
    """The first row of ``rows`` that applies to and fits the evidence."""
    for row in rows:
        if row.applies(ev) and row.test(ev):
            return row
    return None
