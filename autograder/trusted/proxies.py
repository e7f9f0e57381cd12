"""Proxies and mirror classes of trusted grading: a learner's object as the grader sees it, and back.

In G a proxy of a learner's object is an instance of a *mirror class* built from the remote class
(same name, the remote's bases, the special methods the remote class has), so
``type(p).__name__``, ``isinstance(p, Value)``, ``type(p)(data, parents, op)``, ``callable(p)``,
``a * b``, ``x ** 3``, ``len``, iteration and indexing behave as in one process; every operation
is forwarded to L.  In L a proxy of a grader's object can only be called (G serves calls and a few
name attributes, nothing else).  **Calls are re-entrant**: while G waits for L, L may call back a
function of G (a check passes its own ``f`` to the learner's ``numerical_gradient``), and that
function may use proxies of L's objects.

Batches (``Batch``, ``Accumulate``) send many steps in one round trip; ``LEARNER`` is the host
that ``autograder.trusted`` registers with the pipeline (``autograder.hosts``), so that the checks
reach a proxy's process through it without naming the wire.  How proxies and mirror classes are
made from what crosses the wire is ``mirrors``.
"""

from .wire import FORWARDED_DUNDERS, GRADER_ATTRIBUTES, MAX_BATCH

# --- G's proxies of L's objects -----------------------------------------------------------------------

class RemoteObject:
    """A learner's object seen from the grader: every operation is forwarded to L."""

    __slots__ = ("_rpc_ep", "_rpc_id", "_rpc_epoch")
    _cls_pg = _cls_ps = False        # attribute reads from snapshots / deferred writes allowed
    _cls_dd = frozenset()            # names of the remote class's data descriptors

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            if name == "__signature__":
                return _ep(self).signature(self)
            if name not in FORWARDED_DUNDERS:
                raise AttributeError(name)
        return _ep(self).getattr(self, name)

    def __setattr__(self, name, value):
        _ep(self).setattr(self, name, value)

    def __delattr__(self, name):
        _ep(self).delattr(self, name)


def _ep(proxy):
    ep = object.__getattribute__(proxy, "_rpc_ep") if not isinstance(proxy, type) else proxy._cls_ep
    return ep


class RemoteMeta(type):
    """The metaclass of mirror classes: calling a mirror class constructs in L."""

    def __call__(cls, *args, **kwargs):
        return cls._cls_ep.call(cls, args, kwargs)

    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            if name not in FORWARDED_DUNDERS or name in ("__name__", "__qualname__", "__module__", "__doc__"):
                raise AttributeError(name)
        ep = type.__getattribute__(cls, "__dict__").get("_cls_ep")
        if ep is None:
            raise AttributeError(name)
        return ep.getattr(cls, name)


def _forwarder(name):
    if name == "__call__":
        def method(self, *args, **kwargs):
            return _ep(self).call(self, args, kwargs)
    else:
        def method(self, *args):
            return _ep(self).special(self, name, args)
    method.__name__ = method.__qualname__ = name
    return method


class _RemoteDefault:
    def __repr__(self):
        return "<default>"


_DEFAULT = _RemoteDefault()


# --- L's proxies of G's objects ---------------------------------------------------------------------------

class GraderObject:
    """A grader's object seen from the learner's process: it can be called, nothing else."""

    __slots__ = ("_rpc_ep", "_rpc_id", "_rpc_epoch", "_rpc_name", "_rpc_callable", "_rpc_hints")

    def __call__(self, *args, **kwargs):
        if not self._rpc_callable:
            raise TypeError(f"'{self._rpc_name}' object is not callable")
        return self._rpc_ep.call(self, args, kwargs)

    def __getattr__(self, name):
        if name in GRADER_ATTRIBUTES:
            return self._rpc_ep.getattr(self, name)
        raise AttributeError(f"the grader's {self._rpc_name} has no attribute {name!r} available "
                             f"to learner code (it can only be called)")

    def __repr__(self):
        return f"<grader's {self._rpc_name}>"


# --- batches: many steps in one round trip ------------------------------------------------------------

class Accumulate:
    """The backward rule ``target.name += factor * source.source_name`` as a callable object.

    The wire's copy of ``autograder.hosts.Accumulate`` (L runs without the course's package).  Sent
    to L it crosses *by value* and L runs it itself, so a graph of 10,000 such rules costs no round
    trip per node when the learner's ``backward()`` calls them.  It holds no course code: one attribute update, done in the order Python does
    ``a.grad += k * out.grad`` (read the target, multiply, add in place, store)."""

    __slots__ = ("target", "name", "source", "source_name", "factor")

    def __init__(self, target, name, source, source_name, factor):
        self.target, self.name, self.source, self.source_name, self.factor = target, name, source, source_name, factor

    def __call__(self):
        value = getattr(self.target, self.name)
        value += self.factor * getattr(self.source, self.source_name)
        setattr(self.target, self.name, value)

    def __repr__(self):
        return f"<rule: {self.name} += {self.factor!r} * out.{self.source_name}>"


class Pending:
    """The result of a step of a batch that has not been sent yet: usable as an argument of a
    later step of the same batch, and obtained with ``Batch.values``."""

    __slots__ = ("batch", "index")

    def __init__(self, batch, index):
        self.batch, self.index = batch, index

    def __repr__(self):
        return f"<result of step {self.index} of a batch>"


class Batch:
    """Steps (calls, attribute writes) on the learner's objects sent in one message and run by L
    in order, inside one learner context; ``values(...)`` sends them and returns the results asked
    for.  The first step that raises stops the batch, and its exception is raised by ``values``
    as a single call's would be.  Made by ``LEARNER.batch(like)`` (``autograder.hosts.batch``)."""

    def __init__(self, endpoint):
        self.endpoint, self.steps, self.sent = endpoint, [], False

    def _step(self, step):
        if self.sent:
            raise ValueError("this batch was already sent")
        if len(self.steps) >= MAX_BATCH:
            raise ValueError(f"a batch holds at most {MAX_BATCH:,} steps")
        self.steps.append(step)
        return Pending(self, len(self.steps) - 1)

    def call(self, fn, *args, **kwargs):
        return self._step(("c", fn, tuple(args), tuple(kwargs.items())))

    def setattr(self, obj, name, value):
        self._step(("s", obj, str(name), value))

    @staticmethod
    def accumulate(target, name, source, source_name, factor):
        return Accumulate(target, name, source, source_name, factor)

    def values(self, *pending):
        if any(not isinstance(p, Pending) or p.batch is not self for p in pending):
            raise ValueError("values() takes results of this batch's own steps")
        self.sent = True
        return self.endpoint.run_batch(self, tuple(self.steps), [p.index for p in pending])


class counting:
    """G: ``with counting(fn) as c: ...`` -- ``c.calls``: how many times the learner's
    function ``fn`` (a proxy) was called in L while the body ran (L counts with a profile hook
    around each request; a backward pass that calls its forward pass 2P times is finite
    differences)."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __enter__(self):
        self.ep = _ep(self.fn)
        self.outer = (self.ep.counting, self.ep.counted)
        self.ep.counting, self.ep.counted = self.fn, 0
        return self

    def __exit__(self, *exc):
        self.calls = self.ep.counted
        self.ep.counting, self.ep.counted = self.outer[0], self.outer[1] + self.calls
        return False


def is_remote(obj):
    """True for a proxy of a learner's object or class (the grader's side of trusted grading)."""
    return isinstance(obj, RemoteObject) or (isinstance(obj, RemoteMeta) and "_cls_ep" in obj.__dict__)


class _LearnerProcess:
    """The learner's process as a host of the pipeline (``autograder.hosts``): it owns the proxies,
    takes batches of steps in one message and counts the calls of a learner's function."""

    @staticmethod
    def owns(obj):
        return is_remote(obj)

    @staticmethod
    def batch(like):
        return Batch(_ep(like))

    counting = counting


LEARNER = _LearnerProcess()
