"""The wire between the grader process (G) and the learner's process (L).

Used by ``autograder.trusted`` (G) and ``autograder.learner_host`` (L); imports only numpy and the
standard library, because L runs it from a private copy, without the course's package.

**Frames.** A frame is ``magic, len(json), number of buffers, each buffer's size`` (little endian),
then a JSON header, then the raw buffers.  Nothing is ever pickled.  A frame larger than
``max_frame`` bytes, a bad magic, a header that is not JSON, nesting deeper than ``MAX_DEPTH`` or
more than ``MAX_ITEMS`` values in one frame are refused (``ProtocolError``).

**Values.** ``None``, bools, ints, floats, strings, bytes, complex numbers, tuples, slices, ranges,
``...`` and ``NotImplemented`` cross by value.  numpy arrays cross as ``dtype, shape, bytes`` (never
object or structured dtypes), numpy scalars keep their type, ``np.random.Generator`` crosses as its
bit generator's state, numpy's own ufuncs by name.  Lists, dicts, arrays and generators are
*mirrored*: the receiver gets a copy that remembers where it came from, so

* sent back, it arrives as the very object it was made from (``is`` holds across the wire: a cache
  that L returned goes back to L as the same arrays, so a backward pass that edits its cache
  shows on the second call, as in one process), and
* a change made by the callee to a mirrored argument during a call (``x[i] += h``, ``params[k] -= ...``,
  ``inputs.pop()``, ``rng.normal()``) is copied back to the caller's object when the call returns.

Anything else crosses as a *handle*: the receiver gets a proxy.  In G a proxy of a learner's object
is an instance of a *mirror class* built from the remote class (same name, the remote's bases, the
special methods the remote class has), so ``type(p).__name__``, ``isinstance(p, Value)``,
``type(p)(data, parents, op)``, ``callable(p)``, ``a * b``, ``x ** 3``, ``len``, iteration and
indexing behave as in one process; every operation is forwarded to L.  In L a proxy of a grader's
object can only be called (G serves calls and a few name attributes, nothing else).

**Calls are re-entrant**: while G waits for L, L may call back a function of G (a check passes its
own ``f`` to the learner's ``numerical_gradient``), and that function may use proxies of L's objects.

**Bounded waits.** G's endpoint never blocks without a deadline; a peer that stops answering, dies,
sends garbage or too much is *lost*: ``RemoteLost`` (a ``BaseException``, so no ``except Exception``
in a check can swallow it) and the owner (``autograder.trusted``) kills and restarts it.
"""
import builtins
import inspect
import json
import os
import select
import struct
import sys
import time
import tracemalloc
import types
import warnings

import numpy as np

MAGIC = b"BPW1"
MAX_FRAME = 64 << 20          # bytes in one frame
MAX_BUFFERS = 1 << 16         # raw buffers in one frame
MAX_DEPTH = 100               # nesting of containers in one value
MAX_ITEMS = 2_000_000         # values in one frame
MAX_TEXT = 8192               # characters of learner output forwarded per response
MAX_NAME = 300                # characters of a name (class, attribute, exception type)
MAX_WARNINGS = 20             # warnings forwarded per response
MAX_BATCH = 100_000           # steps in one batch
MAX_REPLAY = 1 << 31          # bytes of a learner call's peak memory replayed to the grader's tracemalloc

_HEAD = struct.Struct("<4sIIQ")   # magic, len(json), number of buffers, total bytes of the buffers
_SIZE = struct.Struct("<Q")

# special methods a mirror class forwards, when the remote class has them
BINARY = ["add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "lshift", "rshift",
          "and", "xor", "or", "divmod"]
SPECIALS = frozenset(
    [f"__{n}__" for n in BINARY] + [f"__r{n}__" for n in BINARY] + [f"__i{n}__" for n in BINARY if n != "divmod"]
    + ["__neg__", "__pos__", "__abs__", "__invert__", "__bool__", "__len__", "__iter__", "__next__",
       "__reversed__", "__contains__", "__getitem__", "__setitem__", "__delitem__", "__call__",
       "__float__", "__int__", "__index__", "__complex__", "__round__", "__trunc__", "__floor__",
       "__ceil__", "__array__", "__length_hint__",
       # only when the remote class overrides object's:
       "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__repr__", "__str__",
       "__format__"])
OVERRIDE_ONLY = frozenset(["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__",
                           "__repr__", "__str__", "__format__"])
# dunder attributes of a remote object that a proxy fetches (the rest are answered locally, so that
# numpy's and Python's protocol probes never turn into remote calls)
FORWARDED_DUNDERS = frozenset(["__name__", "__qualname__", "__doc__", "__dict__", "__self__", "__func__",
                               "__defaults__", "__kwdefaults__", "__wrapped__", "__module__"])
# what L may read from a grader's object (G serves nothing else but calls)
GRADER_ATTRIBUTES = frozenset(["__name__", "__qualname__", "__doc__", "__module__"])

ARRAY_KINDS = frozenset("biufcUS")
BUILTIN_TYPES = {t.__name__: t for t in (bool, int, float, complex, str, bytes, list, tuple, dict, set,
                                         frozenset, object, type, slice, range)}
NUMPY_TYPES = {t.__name__: t for t in (np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
                                       np.int8, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_,
                                       np.complex128, np.complex64, np.ndarray, np.generic, np.number,
                                       np.integer, np.floating)}
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class ProtocolError(Exception):
    """A frame or a value that breaks the protocol (too large, malformed, refused)."""


class RemoteLost(BaseException):
    """The peer can no longer be used: it died, did not answer in time, or broke the protocol.

    ``kind`` is "timeout", "died" or "protocol"; ``reason`` is one sentence.  A BaseException, so
    that a check's ``except Exception`` cannot swallow it.
    """

    def __init__(self, reason, kind="died"):
        super().__init__(reason)
        self.reason, self.kind = reason, kind


class RemoteError(Exception):
    """A remote exception with no local equivalent (KeyboardInterrupt, GeneratorExit, ...)."""


# --- frames ------------------------------------------------------------------------------------------

class Wire:
    """Length-prefixed frames over two file descriptors.

    ``deadline`` (a ``time.monotonic()`` value, or None for no limit) bounds each send and receive;
    when it passes, ``TimeoutError``.  The peer closing its end: ``EOFError``.
    """

    def __init__(self, rfd, wfd, *, max_frame=MAX_FRAME, nonblocking=True):
        self.rfd, self.wfd, self.max_frame = rfd, wfd, max_frame
        self.nonblocking = nonblocking
        if nonblocking:
            os.set_blocking(rfd, False)
            os.set_blocking(wfd, False)
        self._buf = bytearray()
        self._pollers = {}
        self.sent = self.received = 0          # frames, for the benchmarks

    def send(self, header, buffers=(), deadline=None):
        js = json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
        sizes = [memoryview(b).nbytes for b in buffers]
        total = _HEAD.size + _SIZE.size * len(sizes) + len(js) + sum(sizes)
        if total > self.max_frame:
            raise ProtocolError(f"a frame of {total:,} bytes is larger than the limit of {self.max_frame:,}")
        if len(sizes) > MAX_BUFFERS:
            raise ProtocolError(f"{len(sizes)} buffers in one frame (at most {MAX_BUFFERS})")
        head = _HEAD.pack(MAGIC, len(js), len(sizes), sum(sizes)) + b"".join(_SIZE.pack(s) for s in sizes)
        if total <= 1 << 16:
            self._write(b"".join([head, js, *[bytes(memoryview(b).cast("B")) for b in buffers]]), deadline)
        else:
            self._write(head + js, deadline)
            for b in buffers:
                self._write(memoryview(b).cast("B"), deadline)
        self.sent += 1

    def recv(self, deadline=None):
        magic, jlen, nbuf, nbytes = _HEAD.unpack(self._read(_HEAD.size, deadline))
        if magic != MAGIC:
            raise ProtocolError("a frame that does not start with the protocol's magic bytes")
        if nbuf > MAX_BUFFERS or _HEAD.size + jlen + nbytes + _SIZE.size * nbuf > self.max_frame:
            raise ProtocolError(f"a frame larger than the limit of {self.max_frame:,} bytes")
        body = memoryview(self._read(_SIZE.size * nbuf + jlen + nbytes, deadline))
        sizes = [_SIZE.unpack_from(body, _SIZE.size * i)[0] for i in range(nbuf)]
        if sum(sizes) != nbytes:
            raise ProtocolError("a frame whose buffer sizes do not add up")
        at = _SIZE.size * nbuf
        js = body[at:at + jlen]
        at += jlen
        buffers = []
        for size in sizes:
            buffers.append(body[at:at + size])
            at += size
        try:
            header = json.loads(bytes(js))
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"a frame whose header is not JSON ({type(exc).__name__})") from None
        if not isinstance(header, dict):
            raise ProtocolError("a frame whose header is not a JSON object")
        self.received += 1
        return header, buffers

    def _read(self, n, deadline):
        buf = self._buf
        while len(buf) < n:
            try:
                chunk = os.read(self.rfd, max(1 << 16, n - len(buf)))
            except BlockingIOError:
                self._wait(self.rfd, select.POLLIN, deadline)
                continue
            if not chunk:
                raise EOFError("the other process closed the connection")
            buf += chunk
        out = bytes(buf[:n])
        del buf[:n]
        return out

    def _wait(self, fd, event, deadline):
        poller = self._pollers.get((fd, event))
        if poller is None:
            poller = self._pollers[(fd, event)] = select.poll()
            poller.register(fd, event | select.POLLERR | select.POLLHUP)
        while True:
            if deadline is None:
                timeout = None
            else:
                timeout = (deadline - time.monotonic()) * 1000.0
                if timeout <= 0:
                    raise TimeoutError("no answer in time")
                timeout = max(1, min(timeout, 1000.0))
            if poller.poll(timeout):
                return

    def _write(self, data, deadline):
        view = memoryview(data).cast("B")
        while view.nbytes:
            try:
                done = os.write(self.wfd, view)
            except BlockingIOError:
                self._wait(self.wfd, select.POLLOUT, deadline)
                continue
            except BrokenPipeError:
                raise EOFError("the other process closed the connection") from None
            view = view[done:]


# --- digests: has a mirrored object changed since it last crossed? --------------------------------------

def _digest(obj):
    """What a mirrored object holds now: for an array its bytes (kept from the crossing, so that
    nothing is hashed and a change is one memcmp), for a list or dict its items (by identity)."""
    if isinstance(obj, np.ndarray):
        return ("a", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, list):
        return ("l", list(obj))
    if isinstance(obj, dict):
        return ("d", list(obj.items()))
    if isinstance(obj, np.random.Generator):
        return ("g", obj.bit_generator.state)
    return None


def _same(a, b):
    if a is None or b is None or a[0] != b[0]:
        return False
    if a[0] in ("l", "d"):
        x, y = a[1], b[1]
        if len(x) != len(y):
            return False
        if a[0] == "l":
            return all(p is q for p, q in zip(x, y))
        return all(k1 is k2 and v1 is v2 for (k1, v1), (k2, v2) in zip(x, y))
    return a == b


def _mirrored(obj):
    return isinstance(obj, (np.ndarray, list, dict, np.random.Generator))


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

    In one process it is just that.  Sent to L it crosses *by value* and L runs it itself, so a
    graph of 10,000 such rules costs no round trip per node when the learner's ``backward()`` calls
    them.  It holds no course code: one attribute update, done in the order Python does
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
    as a single call's would be.  Made by ``batch(like)``."""

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

    def values(self, *pending):
        if any(not isinstance(p, Pending) or p.batch is not self for p in pending):
            raise ValueError("values() takes results of this batch's own steps")
        self.sent = True
        return self.endpoint.run_batch(self, tuple(self.steps), [p.index for p in pending])


class _Now:
    """A batch in one process: each step runs at once."""

    @staticmethod
    def call(fn, *args, **kwargs):
        return fn(*args, **kwargs)

    @staticmethod
    def setattr(obj, name, value):
        setattr(obj, name, value)

    @staticmethod
    def values(*results):
        return results


class counting:
    """G: ``with remote.counting(fn) as c: ...`` -- ``c.calls``: how many times the learner's
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


def batch(like):
    """Steps on ``like``'s side: a ``Batch`` (one round trip for all of them) when ``like`` is a proxy
    of the learner's process, else an object that runs each step at once.  Checks build long
    graphs through it, so that the same code costs one message in trusted grading."""
    if not is_remote(like):
        return _Now()
    return Batch(_ep(like))


# --- exceptions across the wire ---------------------------------------------------------------------------

def _raiser(self, exc):
    raise exc


_RAISERS = {}


def _raise_in_frame(exc, name, owner):
    """Raise ``exc`` from a frame named ``name`` whose local ``self`` is ``owner``: code that looks at
    the innermost frame of a traceback (notebook 06's checks name a stub Class.method from it) sees
    the learner's function, as in one process."""
    fn = _RAISERS.get(name)
    if fn is None:
        code = _raiser.__code__.replace(co_name=name, co_qualname=name)
        fn = _RAISERS[name] = types.FunctionType(code, {})
    fn(owner, exc)


_EXCEPTION_CLASSES = {}


def _exception_class(desc):
    module, name = desc.get("m"), desc.get("q")
    if module == "builtins":
        cls = getattr(builtins, str(name), None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            if issubclass(cls, Exception) or cls is SystemExit:
                return cls
            return RemoteError
    if isinstance(module, str) and module.startswith("numpy"):
        for space in (np.exceptions, np.linalg):
            cls = getattr(space, str(name), None)
            if isinstance(cls, type) and issubclass(cls, Exception):
                return cls
    base = Exception
    for base_name in desc.get("mro", []):
        cand = getattr(builtins, str(base_name), None)
        if isinstance(cand, type) and issubclass(cand, Exception):
            base = cand
            break
    key = (module, name, base)
    if key not in _EXCEPTION_CLASSES:
        try:
            cls = type(str(name)[:MAX_NAME] or "RemoteError", (base,), {"__module__": str(module)[:MAX_NAME]})
        except (TypeError, ValueError):
            cls = type("RemoteError", (base,), {})
        _EXCEPTION_CLASSES[key] = cls
    return _EXCEPTION_CLASSES[key]


def _plain(value, depth=0):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    return depth < 4 and isinstance(value, tuple) and all(_plain(v, depth + 1) for v in value)


# --- the endpoint -----------------------------------------------------------------------------------------

class _Encode:
    __slots__ = ("buffers", "types", "count", "now", "snapq", "dirty")

    def __init__(self, dirty=False):
        self.buffers, self.types, self.count, self.now, self.snapq = [], [], 0, set(), []
        self.dirty = dirty


class _Decode:
    __slots__ = ("buffers", "count", "touched", "last")

    def __init__(self, buffers):
        self.buffers, self.count, self.touched, self.last = buffers, 0, [], None


SNAPSHOT_BUDGET = 20_000      # instance dicts sent ahead in one message
SNAPSHOT_ATTRIBUTES = 64      # larger instance dicts are never sent ahead
HINTS = 8                     # objects a grader's callback is known to read, sent with each call of it


class Endpoint:
    """One side of the connection.

    ``trusted=True`` is G: it limits what the peer may do with its objects, validates everything it
    receives, and bounds every wait by ``self.deadline``.  L (``trusted=False``) serves every
    request on its objects, in ``self.namespace``.

    Fewer round trips, same semantics: L sends the instance dict of each object it hands over
    (a *snapshot*, breadth first, within a budget), valid in G until learner code runs again in L
    (L flags every message sent after learner code ran; G then forgets all snapshots).  G answers
    attribute reads from valid snapshots, and defers plain attribute writes (class without
    ``__setattr__``, no descriptor of that name) to its next message, which L applies first.
    A grader's function handed to L lists the proxies its closure reads (*hints*); L sends their
    snapshots with each call of it, so a check's backward rule run by the learner's ``backward()``
    costs one round trip.
    """

    def __init__(self, wire, *, trusted, namespace=None, on_lost=None, context=None):
        self.wire, self.trusted = wire, trusted
        self.namespace = namespace if namespace is not None else {}
        self.on_lost = on_lost            # G: called with (reason, kind) before RemoteLost is raised
        self.context = context            # L: a context manager factory around learner code, per request
        self.deadline = None
        self.broken = None
        self.epoch = 0
        self.seq = 0
        self.inflight = 0                 # our requests waiting for an answer
        self.serving = 0                  # the peer's requests we are executing
        self.course_code = []             # G: uses of the course's stub reported by L
        self.round_trips = 0
        self.generation = 0               # G: bumped when learner code may have run in L
        self._dirty = False               # L: learner code may have run since our last message
        self._next = 1
        self._perm = {}                   # L: class objects, kept for the whole connection
        self._perm_ids = {}
        self._described = set()
        self._types = {}                  # G: remote class id -> mirror class
        self._stale_types = set()         # G: mirror classes L will describe again (``forget_types``)
        self._batch_out = None            # G: the batch being sent
        self._batch_in = None             # L: the results of the batch being run
        self.ops = {}                     # L: more operations G may ask for (learner_host's "advance")
        self._pinned = {}                 # L: id -> the learner's named objects G looked up (``names``):
        #                                   their handles outlive ``reset`` (a check keeps the arguments a
        #                                   part passed with, and runs it again from a later test cell)
        self._perm_proxies = {}           # G: peer id -> proxy of a pinned object, for every test cell
        self.counting = None              # G: the learner function whose calls L counts (``counting``)
        self.counted = 0
        self._reset_tables()

    def _reset_tables(self):
        self._exports = {}                # our objects the peer refers to: id -> object
        self._export_ids = {}             # id(object) -> our id
        self._proxies = {}                # the peer's handles: peer id -> proxy
        self._mirrors = {}                # the peer's mirrored values: peer id -> our copy
        self._mirror_ids = {}             # id(our copy) -> peer id
        self._digests = {}                # ("x" ours | "m" mirror, id) -> digest at the last crossing
        self._errors = {}                 # our exceptions sent to the peer: id -> exception
        self._peer_errors = {}            # id(local exception made from the peer's) -> peer's id
        self._snaps = {}                  # G: peer id -> (generation, instance dict)
        self._writes = []                 # G: deferred (proxy, name, value)
        self._snapped = set()             # L: ids whose snapshot G holds (since learner code last ran)

    # --- life cycle ---------------------------------------------------------------------------------

    def lose(self, reason, kind):
        if self.broken is None:
            self.broken = (reason, kind)
            if self.on_lost is not None:
                self.on_lost(reason, kind)
        raise RemoteLost(self.broken[0], self.broken[1])

    def _usable(self):
        if self.broken is not None:
            raise RemoteLost(self.broken[0], self.broken[1])
        if self.inflight > self.serving:
            # an earlier request was interrupted (a time limit fired while we waited): the peer is
            # still busy with it and the connection is out of step
            self.lose("the learner's code was still running after its time limit", "timeout")

    @property
    def idle(self):
        return self.broken is None and self.inflight == 0 and self.serving == 0

    def reset(self):
        """Forget every handle and mirror on both sides (G: between two test cells)."""
        self.request("reset", {})
        self._reset_tables()
        self.epoch += 1

    # --- operations G uses through proxies -----------------------------------------------------------

    def call(self, target, args, kwargs):
        fields = {"f": target, "a": tuple(args), "k": dict(kwargs)}
        if not self.trusted:
            hints = object.__getattribute__(target, "_rpc_hints")
            if hints:
                fields["pf"] = hints
        return self.request("call", fields)

    def getattr(self, target, name):
        if self.trusted and isinstance(target, RemoteObject):
            cls = type(target)
            if cls._cls_pg and name not in cls._cls_dd:
                snap = self._snaps.get(object.__getattribute__(target, "_rpc_id"))
                if snap is not None and snap[0] == self.generation and name in snap[1]:
                    return snap[1][name]
        return self.request("ga", {"o": target, "n": name})

    def setattr(self, target, name, value):
        if self.trusted and isinstance(target, RemoteObject):
            cls = type(target)
            if cls._cls_ps and name not in cls._cls_dd and not (name.startswith("__") and name.endswith("__")):
                self._usable()
                if object.__getattribute__(target, "_rpc_epoch") not in (self.epoch, None):
                    raise ValueError("cannot send this value to the other process: a proxy from an earlier test")
                self._writes.append((target, name, value))
                rid = object.__getattribute__(target, "_rpc_id")
                snap = self._snaps.get(rid)
                if snap is not None and snap[0] == self.generation:
                    snap[1][name] = value
                else:
                    self._snaps[rid] = (self.generation, {name: value})
                if len(self._writes) >= 10_000:
                    self.request("nop", {})
                return
        self.request("sa", {"o": target, "n": name, "v": value})

    def delattr(self, target, name):
        self.request("da", {"o": target, "n": name})

    def special(self, target, name, args):
        return self.request("sp", {"o": target, "n": name, "a": tuple(args)})

    def signature(self, target):
        desc = self.request("sig", {"o": target})
        if desc is None:
            return None
        try:
            params = []
            for name, kind, has_default in desc:
                params.append(inspect.Parameter(str(name), inspect._ParameterKind(int(kind)),
                                                default=_DEFAULT if has_default else inspect.Parameter.empty))
            return inspect.Signature(params)
        except (TypeError, ValueError):
            return None

    def forget_types(self):
        """G: after more of the learner's cells ran in L (``advance``), its classes may have new
        methods (notebook 06 adds ``Value.__pow__`` in a later cell): L describes them again, and
        each mirror class is brought up to date in place (the same class object, so that a check
        holding it from an earlier test cell still finds its instances with ``isinstance``)."""
        self._stale_types = set(self._types)

    def names(self, names):
        """The values of these global names of the learner's namespace (missing ones left out)."""
        found = self.request("names", {"n": list(names)})
        if not isinstance(found, dict):
            self.lose("the learner's process answered a name lookup with something else", "protocol")
        return found

    def run_batch(self, batch, steps, wanted):
        """G: send a batch's steps; the results of the steps ``wanted`` (indices), in that order."""
        outer, self._batch_out = self._batch_out, batch     # a batch sent from a callback nests
        try:
            found = self.request("batch", {"s": steps, "w": tuple(wanted)})
        finally:
            self._batch_out = outer
        if not isinstance(found, tuple) or len(found) != len(wanted):
            self.lose("the learner's process answered a batch with something else", "protocol")
        return found

    # --- messages -----------------------------------------------------------------------------------

    def _build(self, msg, fields, extra=None):
        """Encode ``fields`` into ``msg`` (in order), then what travels with every message:
        G's deferred writes, L's snapshots, the class descriptors.  Returns the encoding context."""
        dirty = False
        if not self.trusted:
            dirty = self._dirty
            self._dirty = False
            if dirty:
                self._snapped.clear()
                msg["g"] = 1
        ctx = _Encode(dirty)
        for key, value in fields.items():
            msg[key] = self._enc(value, ctx, 0)
        if extra is not None:
            extra(msg, ctx)
        if self._writes:
            writes, self._writes = self._writes, []
            msg["W"] = [[self._enc(t, ctx, 1), n, self._enc(v, ctx, 1)] for t, n, v in writes]
        if ctx.snapq:
            msg["S"] = self._snapshots(ctx)
        if ctx.types:
            msg["T"] = ctx.types
        return ctx

    def _intake(self, header, ctx, fields):
        """Decode a received message: the flag and classes first, then ``fields`` (in order), then
        what travels with every message.  Returns the decoded fields."""
        if self.trusted and header.get("g"):
            self.generation += 1
        if "T" in header:
            self._learn_types(header["T"])
        out = {}
        for key in fields:
            if key in header:
                out[key] = self._dec(header[key], ctx, 0)
        for kind, rid, content in header.get("sy", ()):
            self._apply_sync(kind, rid, content, ctx)
        if "W" in header:
            self._apply_writes(header["W"], ctx)
        if "S" in header:
            self._learn_snapshots(header["S"], ctx)
        return out

    def request(self, op, fields):
        self._usable()
        self.seq += 1
        seq = self.seq
        msg = {"q": seq, "op": op}
        if self.trusted and self.counting is not None and op in ("call", "batch", "sp", "ga"):
            fields = dict(fields, fc=self.counting)     # L counts the calls of this function
        try:
            ctx = self._build(msg, fields)
        except ProtocolError as exc:
            raise ValueError(f"cannot send this value to the other process: {exc}") from None
        if self.trusted:
            msg["es"] = np.geterr()
            if tracemalloc.is_tracing():
                msg["tm"] = 1

        self.inflight += 1
        self._send(msg, ctx)
        while True:
            header, buffers = self._recv()
            if "re" in header:
                if header["re"] != seq:
                    self.lose("the other process answered out of turn", "protocol")
                self.inflight -= 1
                if not self.trusted:
                    self._dirty = True        # back in the learner's code, which goes on running
                return self._answer(header, buffers)
            if "op" in header:
                self._serve(header, buffers)
                continue
            self.lose("the learner's process sent a frame that is neither a request nor an answer", "protocol")

    def _send(self, msg, ctx):
        try:
            self.wire.send(msg, ctx.buffers, self.deadline)
        except TimeoutError:
            self.lose("the learner's process stopped reading (it did not take a message in time)", "timeout")
        except EOFError:
            self.lose("the learner's process ended", "died")
        except ProtocolError as exc:
            raise ValueError(f"cannot send this value to the other process: {exc}") from None

    def _recv(self):
        try:
            header, buffers = self.wire.recv(self.deadline)
        except TimeoutError:
            self.lose("the learner's code did not finish in time", "timeout")
        except EOFError:
            self.lose("the learner's process ended", "died")
        except ProtocolError as exc:
            self.lose(f"the learner's process broke the protocol: {exc}", "protocol")
        self.round_trips += 1
        return header, buffers

    def _answer(self, header, buffers):
        ctx = _Decode(buffers)
        frame = None
        try:
            if "er" in header:
                if self.trusted and header.get("g"):
                    self.generation += 1
                if "T" in header:
                    self._learn_types(header["T"])
                exc, frame = self._dec_exc(header["er"], ctx)
                header = {k: v for k, v in header.items() if k not in ("g", "T")}
                self._intake(header, ctx, ("pf",))
            else:
                value = self._intake(header, ctx, ("ok", "pf")).get("ok")
            if self.trusted:
                self._forward_side_effects(header)
        except ProtocolError as exc:
            self.lose(f"the other process broke the protocol: {exc}", "protocol")
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            self.lose(f"the other process sent a malformed answer ({type(exc).__name__}: {exc})", "protocol")
        if "er" in header:
            if frame is not None:
                _raise_in_frame(exc, *frame)
            raise exc
        return value

    def _forward_side_effects(self, header):
        """G: what the learner's code did besides answering: warnings (re-emitted here, so that the
        check's ``warnings.catch_warnings`` sees them as in one process), output, uses of the
        course's stub, and the peak memory it allocated (replayed here when tracemalloc traces)."""
        out, err = header.get("o"), header.get("e")
        if isinstance(out, str) and out:
            sys.stdout.write(out[:MAX_TEXT])
        if isinstance(err, str) and err:
            sys.stderr.write(err[:MAX_TEXT])
        for used in list(header.get("cc", ()))[:20]:
            if isinstance(used, str):
                self.course_code.append(used[:MAX_NAME])
        for item in list(header.get("w", ()))[:MAX_WARNINGS]:
            category, module, message, filename, lineno = item
            warnings.warn_explicit(str(message)[:2000], _warning_class(category, module),
                                   f"<learner's code: {str(filename)[:200]}>", int(lineno))
        calls = header.get("fc")
        if isinstance(calls, int) and calls > 0 and self.counting is not None:
            self.counted += calls
        peak = header.get("pk")
        if isinstance(peak, int) and peak > 0 and tracemalloc.is_tracing():
            # malloc'd, never touched: the pages are not used, tracemalloc sees the size
            replay = np.empty(min(peak, MAX_REPLAY), dtype=np.uint8)
            del replay

    # --- serving the peer's requests ----------------------------------------------------------------------

    def serve_forever(self):
        """L: answer G's requests until G says goodbye or goes away."""
        while True:
            try:
                header, buffers = self.wire.recv(None)
            except (EOFError, ProtocolError):
                return
            if header.get("op") == "bye" or "op" not in header:
                return
            self._serve(header, buffers)

    def _serve(self, header, buffers):
        seq, op = header.get("q"), header.get("op")
        ctx = _Decode(buffers)
        self.serving += 1
        sidecar = {}
        error = result = None
        try:
            lazy = ("s",) if op == "batch" and not self.trusted else ()
            args = self._intake(header, ctx, [k for k in header if k not in _RESERVED and k not in lazy])
        except (ProtocolError, TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            if self.trusted:
                self.lose(f"the learner's process sent a malformed request ({exc})", "protocol")
            op, error = None, ValueError(f"malformed request: {exc}")
        if op is not None:
            try:
                if self.trusted:
                    result = self._perform_for_learner(op, args)
                else:
                    result = self._perform_learner(op, args, header, sidecar, ctx)
            except Exception as exc:  # an error of the requested operation goes back to the caller
                error = exc
            except BaseException as exc:
                if self.trusted:
                    raise          # the grader's own limits (time, a lost peer) are not the learner's
                error = exc        # L: SystemExit, KeyboardInterrupt raised by learner code
        response = {"re": seq}

        def tail(msg, out):
            sync = self._syncs(ctx.touched, out)
            if sync:
                msg["sy"] = sync

        try:
            if error is None:
                try:
                    fields = {"ok": result}
                    if op == "ga" and not self.trusted:
                        fields["pf"] = (args["o"],)
                    out = self._build(response, fields, tail)
                except ProtocolError as exc:
                    error = ValueError(f"the result cannot be sent to the grader: {exc}")
                    response = {"re": seq}
            if error is not None:
                out = _Encode()
                response["er"] = self._enc_exc(error, out)
                out = self._build(response, {}, tail) if not out.types else self._merge_build(response, out, tail)
        except ProtocolError as exc:
            out = _Encode()
            response = {"re": seq, "er": self._enc_exc(ValueError(f"the answer cannot be sent: {exc}"), out)}
        response.update(sidecar)
        if self.trusted:
            self._send(response, out)
        else:
            try:
                self.wire.send(response, out.buffers, None)
            except ProtocolError as exc:
                small = _Encode()
                self.wire.send({"re": seq, "er": self._enc_exc(ValueError(f"the answer is too large to send to "
                                                                           f"the grader: {exc}"), small)},
                               small.buffers, None)
        self.serving -= 1

    def _merge_build(self, response, out, tail):
        """Finish a response whose error descriptor was encoded with its own context ``out``."""
        if not self.trusted and self._dirty:
            self._dirty = False
            self._snapped.clear()
            response["g"] = 1
        tail(response, out)
        if self._writes:
            writes, self._writes = self._writes, []
            response["W"] = [[self._enc(t, out, 1), n, self._enc(v, out, 1)] for t, n, v in writes]
        if out.snapq:
            response["S"] = self._snapshots(out)
        if out.types:
            response["T"] = out.types
        return out

    def _perform_for_learner(self, op, args):
        """G: what learner code may do with the grader's objects: call them, read a name."""
        if op == "call":
            fn = args["f"]
            if not callable(fn) or isinstance(fn, (RemoteObject, RemoteMeta)):
                raise TypeError("this object cannot be called")
            return fn(*args["a"], **args["k"])
        if op == "ga":
            name = args["n"]
            if name not in GRADER_ATTRIBUTES:
                raise AttributeError(name)
            value = getattr(args["o"], name, None)
            if not isinstance(value, str) and value is not None:
                raise AttributeError(name)
            return value
        raise PermissionError(f"the grader does not serve {op!r} to learner code")

    def _perform_learner(self, op, args, header, sidecar, ctx=None):
        """L: do what G asked, as learner code would, inside the learner context."""
        if op == "nop":
            return None
        if op == "reset":
            self._reset_tables()
            self.epoch += 1
            return None
        if op == "names":
            found = {n: self.namespace[n] for n in args["n"] if isinstance(n, str) and n in self.namespace}
            for value in found.values():
                if len(self._pinned) < MAX_ITEMS:
                    self._pinned[id(value)] = value
            return found
        if op == "sig":
            try:
                sig = inspect.signature(args["o"])
            except (TypeError, ValueError):
                return None
            return [(p.name, int(p.kind), p.default is not inspect.Parameter.empty)
                    for p in sig.parameters.values()]
        obj = args.get("o")
        if op == "ga":
            name = args["n"]
            if _plain_read(obj, name):
                return obj.__dict__[name]
        if op == "sa" and _plain_write(obj, args["n"]):
            obj.__dict__[args["n"]] = args["v"]
            return None
        if op in self.ops:
            self._dirty = True
            try:
                return self.ops[op](args)
            finally:          # the learner's cells may have changed its classes: described anew
                self._described.clear()
        self._dirty = True
        if self.context is None:
            context = _nullcontext()
        elif "fc" in args:
            context = self.context(header, sidecar, args.pop("fc"))
        else:
            context = self.context(header, sidecar)
        with context:
            if op == "batch":
                return self._run_batch(header.get("s"), args.get("w"), ctx)
            if op == "call":
                return args["f"](*args["a"], **args["k"])
            if op == "ga":
                return getattr(obj, args["n"])
            if op == "sa":
                setattr(obj, args["n"], args["v"])
                return None
            if op == "da":
                delattr(obj, args["n"])
                return None
            if op == "sp":
                name = args["n"]
                if name not in SPECIALS:
                    raise AttributeError(name)
                return getattr(type(obj), name)(obj, *args["a"])
        raise ValueError(f"unknown operation {op!r}")

    def _run_batch(self, steps, wanted, ctx):
        """L: a batch's steps in order, each decoded just before it runs (a later step may use an
        earlier one's result); the results of the steps ``wanted``."""
        if not isinstance(steps, list) or len(steps) > MAX_BATCH or not isinstance(wanted, tuple):
            raise ValueError("malformed batch")
        outer, results = self._batch_in, []
        self._batch_in = results
        try:
            for step in steps:
                try:
                    kind = step[0]
                    if kind == "c":
                        fn = self._dec(step[1], ctx, 1)
                        args, kwargs = self._dec(step[2], ctx, 1), self._dec(step[3], ctx, 1)
                        kwargs = {str(k): v for k, v in kwargs}
                    elif kind == "s":
                        obj, name, value = self._dec(step[1], ctx, 1), step[2], self._dec(step[3], ctx, 1)
                        if not isinstance(name, str):
                            raise ProtocolError("an attribute name that is not a string")
                    else:
                        raise ProtocolError("an unknown step")
                except (ProtocolError, TypeError, ValueError, KeyError, IndexError) as exc:
                    raise ValueError(f"malformed batch step: {exc}") from None
                if kind == "c":
                    results.append(fn(*args, **kwargs))
                else:
                    setattr(obj, name, value)
                    results.append(None)
            if not all(type(i) is int and 0 <= i < len(results) for i in wanted):
                raise ValueError("malformed batch: a result of a step that does not exist")
            return tuple(results[i] for i in wanted)
        finally:
            self._batch_in = outer

    def _apply_writes(self, writes, ctx):
        """L: G's deferred plain attribute writes, in order."""
        if self.trusted:
            raise ProtocolError("the learner's process cannot write the grader's attributes")
        for target, name, value in writes:
            obj = self._dec(target, ctx, 1)
            val = self._dec(value, ctx, 1)
            try:
                setattr(obj, str(name), val)
            except Exception:
                pass

    # --- snapshots (instance dicts sent ahead) ------------------------------------------------------------

    def _snapshots(self, ctx):
        """L: the instance dicts of the objects queued while encoding, breadth first, within the
        budget; after learner code ran (``ctx.dirty``), only the objects in the message's values (a
        graph would otherwise be sent again after each step of a loop that builds it)."""
        out, i = [], 0
        limit = 0 if ctx.dirty else 1 << 30
        while i < len(ctx.snapq) and len(out) < SNAPSHOT_BUDGET:
            obj, rid, depth = ctx.snapq[i]
            i += 1
            if rid in self._snapped or depth > limit:
                continue
            self._snapped.add(rid)
            items = list(obj.__dict__.items())
            names = [k for k, _ in items]
            values = []
            for _, value in items:
                values.append(self._enc(value, ctx, 1, depth + 1))
            out.append([rid, names, values])
        return out

    def _learn_snapshots(self, entries, ctx):
        if not self.trusted:
            raise ProtocolError("the grader sends no snapshots")
        for rid, names, values in entries:
            if not isinstance(rid, int) or not isinstance(names, list) or len(names) != len(values) \
                    or len(names) > SNAPSHOT_ATTRIBUTES:
                raise ProtocolError("a malformed snapshot")
            proxy = self._proxies.get(rid)
            if proxy is None:
                raise ProtocolError("a snapshot of an object that was not sent")
            decoded = [self._dec(v, ctx, 1) for v in values]
            if not all(isinstance(n, str) for n in names):
                raise ProtocolError("a snapshot with a name that is not a string")
            self._snaps[rid] = (self.generation, dict(zip(names, decoded)))

    # --- encoding -----------------------------------------------------------------------------------------

    def _export(self, obj):
        if not self.trusted and self._pinned.get(id(obj)) is obj:
            rid = self._perm_ids.get(id(obj))
            if rid is None or self._perm.get(rid) is not obj:
                rid = self._next
                self._next += 1
                self._perm[rid] = obj
                self._perm_ids[id(obj)] = rid
            return rid
        rid = self._export_ids.get(id(obj))
        if rid is None or self._exports.get(rid) is not obj:
            rid = self._next
            self._next += 1
            self._exports[rid] = obj
            self._export_ids[id(obj)] = rid
        return rid

    def _enc(self, obj, ctx, depth, level=0):
        ctx.count += 1
        if ctx.count > MAX_ITEMS:
            raise ProtocolError(f"more than {MAX_ITEMS:,} values in one message")
        if depth > MAX_DEPTH:
            raise ProtocolError(f"a value nested more than {MAX_DEPTH} levels deep")
        t = type(obj)
        if obj is None or t is bool or t is str:
            return obj
        if t is int:
            return obj if -(1 << 63) <= obj < (1 << 63) else {"@": "I", "v": str(obj)}
        if t is float:
            return obj
        if t is tuple:                    # by value, never mirrored: no other test applies
            return [self._enc(v, ctx, depth + 1, level) for v in obj]
        if self.trusted and (t is Pending or t is Accumulate):
            return self._enc_step_value(obj, ctx, depth)
        # our mirror of the peer's value, or our proxy of the peer's object: a reference back
        rid = self._mirror_ids.get(id(obj))
        if rid is not None and self._mirrors.get(rid) is obj:
            ref = {"@": "r", "id": rid}
            if ("m", rid) not in ctx.now:
                ctx.now.add(("m", rid))
                digest = _digest(obj)
                # a list or dict always carries its content: an array inside it may have changed
                if isinstance(obj, (list, dict)) or not _same(digest, self._digests.get(("m", rid))):
                    ref["s"] = self._content(obj, ctx, depth, level, digest)
                    self._digests[("m", rid)] = digest
            return ref
        kind = _KINDS.get(t)
        if kind is None:
            kind = _KINDS[t] = "handle" if not issubclass(t, _SPECIAL_TYPES) else "other"
        if kind == "handle":              # a learner's object (most of what L sends): no other test applies
            return self._handle(obj, ctx, level)
        if isinstance(obj, (RemoteObject, GraderObject)) or (isinstance(obj, RemoteMeta) and "_cls_ep" in obj.__dict__):
            ep = obj._cls_ep if isinstance(obj, type) else object.__getattribute__(obj, "_rpc_ep")
            if ep is not self:
                raise ProtocolError("a proxy of another connection")
            if isinstance(obj, type):
                return {"@": "r", "id": obj._cls_id}
            if object.__getattribute__(obj, "_rpc_epoch") not in (self.epoch, None):
                raise ProtocolError("a proxy from an earlier test (the learner's process was reset)")
            return {"@": "r", "id": object.__getattribute__(obj, "_rpc_id")}
        if isinstance(obj, (int, float, str, bool)) and not isinstance(obj, np.generic):
            # subclasses (IntEnum, ...) travel as the plain value
            base = bool if isinstance(obj, bool) else int if isinstance(obj, int) else float if isinstance(obj, float) else str
            return self._enc(base(obj), ctx, depth)
        if isinstance(obj, tuple):
            return [self._enc(v, ctx, depth + 1, level) for v in obj]
        if isinstance(obj, np.generic):
            dt = obj.dtype
            if dt.kind not in ARRAY_KINDS:
                return self._handle(obj, ctx, level)
            return {"@": "n", "t": dt.str, "h": np.asarray(obj).tobytes().hex()}
        if _mirrored(obj):
            if isinstance(obj, np.ndarray) and obj.dtype.kind not in ARRAY_KINDS:
                return self._handle(obj, ctx, level)
            if isinstance(obj, np.random.Generator) and type(obj.bit_generator).__name__ not in BIT_GENERATORS:
                return self._handle(obj, ctx, level)
            if isinstance(obj, dict) and not all(_plain_key(k) for k in obj):
                return self._handle(obj, ctx, level)
            rid = self._export(obj)
            if ("x", rid) in ctx.now:
                return {"@": "x", "id": rid}
            ctx.now.add(("x", rid))
            digest = _digest(obj)
            content = self._content(obj, ctx, depth, level, digest)
            content["x"] = rid
            self._digests[("x", rid)] = digest
            return content
        if t is complex or isinstance(obj, complex):
            return {"@": "c", "v": [obj.real, obj.imag]}
        if isinstance(obj, (bytes, bytearray)):
            ctx.buffers.append(bytes(obj))
            return {"@": "b", "b": len(ctx.buffers) - 1}
        if t is slice:
            return {"@": "sl", "v": [self._enc(obj.start, ctx, depth + 1), self._enc(obj.stop, ctx, depth + 1),
                                     self._enc(obj.step, ctx, depth + 1)]}
        if t is range:
            return {"@": "rg", "v": [obj.start, obj.stop, obj.step]}
        if obj is Ellipsis:
            return {"@": "E"}
        if obj is NotImplemented:
            return {"@": "NI"}
        if isinstance(obj, (set, frozenset)):
            return {"@": "s" if isinstance(obj, set) else "fs", "v": [self._enc(v, ctx, depth + 1, level) for v in obj]}
        if isinstance(obj, np.dtype):
            if obj.kind not in ARRAY_KINDS:
                return self._handle(obj, ctx, level)
            return {"@": "dt", "v": obj.str}
        if isinstance(obj, np.ufunc) and getattr(np, obj.__name__, None) is obj:
            return {"@": "u", "n": obj.__name__}
        if isinstance(obj, type):
            if BUILTIN_TYPES.get(obj.__name__) is obj and obj.__module__ == "builtins":
                return {"@": "bt", "n": obj.__name__}
            if NUMPY_TYPES.get(obj.__name__) is obj:
                return {"@": "nt", "n": obj.__name__}
        return self._handle(obj, ctx, level)

    def _enc_step_value(self, obj, ctx, depth):
        """G: a batch step's result (a reference L resolves) or a rule that L runs itself."""
        if type(obj) is Pending:
            if obj.batch is not self._batch_out or self._batch_out is None:
                raise ProtocolError("the result of a step of another batch, or outside a batch")
            return {"@": "P", "i": obj.index}
        return {"@": "acc", "v": [self._enc(obj.target, ctx, depth + 1), str(obj.name)[:MAX_NAME],
                                  self._enc(obj.source, ctx, depth + 1), str(obj.source_name)[:MAX_NAME],
                                  self._enc(obj.factor, ctx, depth + 1)]}

    def _content(self, obj, ctx, depth, level=0, digest=None):
        if isinstance(obj, np.ndarray):
            ctx.buffers.append(digest[3] if digest is not None else obj.tobytes())
            return {"@": "a", "b": len(ctx.buffers) - 1, "t": obj.dtype.str, "s": list(obj.shape)}
        if isinstance(obj, list):
            return {"@": "l", "v": [self._enc(v, ctx, depth + 1, level) for v in obj]}
        if isinstance(obj, dict):
            return {"@": "d", "k": [self._enc(k, ctx, depth + 1, level) for k in obj],
                    "v": [self._enc(v, ctx, depth + 1, level) for v in obj.values()]}
        bg = obj.bit_generator
        return {"@": "g", "bg": type(bg).__name__, "st": _jsonable_state(bg.state)}

    def _handle(self, obj, ctx, level=0):
        rid = self._export(obj)
        if self.trusted:
            desc = {"@": "h", "x": rid, "c": bool(callable(obj)),
                    "n": str(getattr(obj, "__name__", type(obj).__name__))[:MAX_NAME]}
            hints = _closure_proxies(obj) if callable(obj) else []
            hints = [h for h in hints if object.__getattribute__(h, "_rpc_ep") is self
                     and object.__getattribute__(h, "_rpc_epoch") in (self.epoch, None)]
            if hints:
                desc["pf"] = [{"@": "r", "id": object.__getattribute__(h, "_rpc_id")} for h in hints]
            return desc
        if isinstance(obj, type):
            return {"@": "C", "x": self._describe(obj, ctx)}
        tid = self._describe(type(obj), ctx)
        if rid not in self._snapped and _snapshottable(obj):
            ctx.snapq.append((obj, rid, level))
        if self._perm.get(rid) is obj:
            return {"@": "h", "x": rid, "t": tid, "p": 1}     # pinned: valid in every test cell
        return {"@": "h", "x": rid, "t": tid}

    def _describe(self, cls, ctx):
        """L: our id of a class, described to the peer the first time it crosses."""
        tid = self._perm_ids.get(id(cls))
        if tid is None:
            tid = self._next
            self._next += 1
            self._perm[tid] = cls
            self._perm_ids[id(cls)] = tid
        if tid in self._described:
            return tid
        self._described.add(tid)
        bases = [self._describe(b, ctx) for b in cls.__bases__ if b is not object]
        specials, hashing = [], "id"
        for name in SPECIALS:
            value = _defined(cls, name)      # in the class or a base, not object's (nor the metaclass's)
            if value is _MISSING:
                continue
            if name == "__hash__":
                hashing = "none" if value is None else "fwd"
                if value is None:
                    continue
            if value is not None:
                specials.append(name)
        plain = getattr(cls, "__module__", "") != "builtins" and getattr(cls, "__dictoffset__", 0) != 0
        ctx.types.append({"id": tid, "n": cls.__name__, "q": getattr(cls, "__qualname__", cls.__name__),
                          "m": str(getattr(cls, "__module__", "")), "b": bases, "sp": sorted(specials),
                          "h": hashing,
                          "pg": plain and cls.__getattribute__ is object.__getattribute__,
                          "ps": plain and cls.__setattr__ is object.__setattr__,
                          "dd": sorted(_data_descriptors(cls))[:1000]})
        return tid

    def _enc_exc(self, exc, ctx):
        eid = self._next
        self._next += 1
        self._errors[eid] = exc
        cls = type(exc)
        desc = {"id": eid, "m": cls.__module__, "q": cls.__qualname__,
                "mro": [c.__name__ for c in cls.__mro__ if c.__module__ == "builtins"],
                "s": _text(exc)}
        if exc.args and _plain(exc.args):
            desc["args"] = [self._enc(a, ctx, 1) for a in exc.args]
        peer = self._peer_errors.get(id(exc))
        if peer is not None and peer[1] is exc:
            desc["pid"] = peer[0]
        frame = _innermost_learner_frame(exc) if not self.trusted else None
        if frame is not None:
            code = frame.f_code
            fr = {"n": code.co_name}
            if code.co_argcount and code.co_varnames[0] == "self" and "self" in frame.f_locals:
                try:
                    fr["self"] = self._enc(frame.f_locals["self"], ctx, 1)
                except ProtocolError:
                    pass
            desc["fr"] = fr
        return desc

    def _syncs(self, touched, ctx):
        """After serving a call: the mirrored arguments the call changed, for the caller to copy."""
        out, seen = [], set()
        for kind, rid, obj in touched:
            if (kind, rid) in seen:
                continue
            seen.add((kind, rid))
            digest = _digest(obj)
            if _same(digest, self._digests.get((kind, rid))):
                continue
            self._digests[(kind, rid)] = digest
            # "m": our mirror of the caller's object -> the caller updates its own object ("r");
            # "x": our own object the caller mirrors -> the caller updates its mirror ("x")
            out.append(["r" if kind == "m" else "x", rid, self._content(obj, ctx, 1, 0, digest)])
        return out

    # --- decoding ------------------------------------------------------------------------------------------

    def _dec(self, v, ctx, depth):
        ctx.count += 1
        if ctx.count > MAX_ITEMS:
            raise ProtocolError(f"more than {MAX_ITEMS:,} values in one message")
        if depth > MAX_DEPTH:
            raise ProtocolError(f"a value nested more than {MAX_DEPTH} levels deep")
        t = type(v)
        if t is dict:
            tag = v.get("@")
            if tag == "h":
                return self._proxy(v)
        elif v is None or t is str or t is float or t is int or t is bool:
            return v
        elif t is list:
            return tuple([self._dec(x, ctx, depth + 1) for x in v])
        else:
            raise ProtocolError("an unknown value")
        if tag == "r":
            return self._resolve(v, ctx, depth)
        if tag == "x":
            rid = v["id"]
            if rid not in self._mirrors:
                raise ProtocolError("a reference to a value that was never sent")
            return self._mirrors[rid]
        if tag in ("a", "l", "d", "g"):
            return self._materialize(v, ctx, depth)
        if tag == "C":
            return self._mirror_class(v["x"])
        if tag == "P":
            results, index = self._batch_in, v["i"]
            if self.trusted or results is None or type(index) is not int or not 0 <= index < len(results):
                raise ProtocolError("a reference to a step that has not run in this batch")
            return results[index]
        if tag == "acc":
            if self.trusted:
                raise ProtocolError("the learner's process sends no rules")
            target, name, source, source_name, factor = v["v"]
            if not (isinstance(name, str) and isinstance(source_name, str)):
                raise ProtocolError("a rule whose attribute name is not a string")
            factor = self._dec(factor, ctx, depth + 1)
            if not isinstance(factor, (int, float, complex, np.number)) or isinstance(factor, bool):
                raise ProtocolError("a rule whose factor is not a number")
            return Accumulate(self._dec(target, ctx, depth + 1), name[:MAX_NAME],
                              self._dec(source, ctx, depth + 1), source_name[:MAX_NAME], factor)
        if tag == "n":
            dt = _dtype(v["t"])
            raw = bytes.fromhex(v["h"])
            if len(raw) != dt.itemsize:
                raise ProtocolError("a numpy scalar of the wrong size")
            return np.frombuffer(raw, dtype=dt)[0]
        if tag == "I":
            return int(str(v["v"])[:5000])
        if tag == "c":
            re_, im = v["v"]
            return complex(float(re_), float(im))
        if tag == "b":
            return bytes(self._buffer(ctx, v["b"]))
        if tag == "sl":
            return slice(*(self._dec(x, ctx, depth + 1) for x in v["v"]))
        if tag == "rg":
            a, b, c = (int(x) for x in v["v"])
            return range(a, b, c)
        if tag == "E":
            return Ellipsis
        if tag == "NI":
            return NotImplemented
        if tag in ("s", "fs"):
            items = [self._dec(x, ctx, depth + 1) for x in v["v"]]
            for item in items:
                _check_key(item)
            return set(items) if tag == "s" else frozenset(items)
        if tag == "dt":
            return _dtype(v["v"])
        if tag == "u":
            fn = getattr(np, str(v["n"]), None)
            if not isinstance(fn, np.ufunc):
                raise ProtocolError("an unknown numpy function")
            return fn
        if tag == "bt":
            found = BUILTIN_TYPES.get(v["n"])
            if found is None:
                raise ProtocolError("an unknown builtin type")
            return found
        if tag == "nt":
            found = NUMPY_TYPES.get(v["n"])
            if found is None:
                raise ProtocolError("an unknown numpy type")
            return found
        raise ProtocolError(f"an unknown value tag {str(tag)[:20]!r}")

    def _buffer(self, ctx, index):
        if not isinstance(index, int) or not 0 <= index < len(ctx.buffers):
            raise ProtocolError("a reference to a missing buffer")
        return ctx.buffers[index]

    def _array(self, v, ctx):
        dt = _dtype(v["t"])
        shape = v["s"]
        if not isinstance(shape, list) or len(shape) > 32 or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise ProtocolError("an array with a bad shape")
        raw = self._buffer(ctx, v["b"])
        count = 1
        for s in shape:
            count *= s
        if count * dt.itemsize != len(raw):
            raise ProtocolError("an array whose bytes do not match its shape")
        arr = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        ctx.last = ("a", dt.str, tuple(shape), raw)
        return arr

    def _fill(self, target, v, ctx, depth):
        """Put the content ``v`` into the existing object ``target`` (same kind), in place."""
        tag = v.get("@")
        if isinstance(target, np.ndarray) and tag == "a":
            new = self._array(v, ctx)
            if new.shape != target.shape or new.dtype != target.dtype:
                raise ProtocolError("an array that changed its shape or dtype in place")
            if target.flags.writeable:
                np.copyto(target, new)
            return
        if isinstance(target, list) and tag == "l":
            target[:] = [self._dec(x, ctx, depth + 1) for x in v["v"]]
            return
        if isinstance(target, dict) and tag == "d":
            keys = [self._dec(k, ctx, depth + 1) for k in v["k"]]
            values = [self._dec(x, ctx, depth + 1) for x in v["v"]]
            for k in keys:
                _check_key(k)
            target.clear()
            target.update(zip(keys, values))
            return
        if isinstance(target, np.random.Generator) and tag == "g":
            _set_state(target, v)
            return
        raise ProtocolError("a change of a value into another kind of value")

    def _materialize(self, v, ctx, depth):
        """A mirrored value of the peer: our existing mirror (updated in place), or a new one."""
        tag, rid = v["@"], v.get("x")
        if not isinstance(rid, int):
            raise ProtocolError("a mirrored value without an id")
        existing = self._mirrors.get(rid)
        if existing is not None:
            self._fill(existing, v, ctx, depth)
            obj = existing
        elif tag == "a":
            obj = self._array(v, ctx)
        elif tag == "l":
            obj = []
            self._register_mirror(rid, obj)
            obj.extend(self._dec(x, ctx, depth + 1) for x in v["v"])
        elif tag == "d":
            obj = {}
            self._register_mirror(rid, obj)
            keys = [self._dec(k, ctx, depth + 1) for k in v["k"]]
            values = [self._dec(x, ctx, depth + 1) for x in v["v"]]
            if len(keys) != len(values):
                raise ProtocolError("a dict with more keys than values")
            for k in keys:
                _check_key(k)
            obj.update(zip(keys, values))
        else:
            name = v.get("bg")
            if name not in BIT_GENERATORS:
                raise ProtocolError("an unknown random generator")
            obj = np.random.Generator(getattr(np.random, name)())
            _set_state(obj, v)
        self._register_mirror(rid, obj)
        self._digests[("m", rid)] = ctx.last if tag == "a" and ctx.last is not None else _digest(obj)
        ctx.last = None
        ctx.touched.append(("m", rid, obj))
        return obj

    def _register_mirror(self, rid, obj):
        self._mirrors[rid] = obj
        self._mirror_ids[id(obj)] = rid

    def _resolve(self, v, ctx, depth):
        """One of our own objects, referred to by the peer (with its changes, if any)."""
        rid = v["id"]
        obj = self._exports.get(rid)
        if obj is None:
            obj = self._perm.get(rid)
            if obj is None:
                raise ProtocolError("a reference to an object that was never sent (or is from an earlier test)")
        if _mirrored(obj):
            if "s" in v:
                self._fill(obj, v["s"], ctx, depth)
                self._digests[("x", rid)] = _digest(obj)
            ctx.touched.append(("x", rid, obj))
        return obj

    def _apply_sync(self, kind, rid, content, ctx):
        if kind == "r":
            obj = self._exports.get(rid)
            key = ("x", rid)
        else:
            obj = self._mirrors.get(rid)
            key = ("m", rid)
        if obj is None or not _mirrored(obj):
            return
        self._fill(obj, content, ctx, 1)
        self._digests[key] = _digest(obj)

    def _proxy(self, v):
        rid = v["x"]
        if not isinstance(rid, int):
            raise ProtocolError("a handle without an id")
        pinned = self.trusted and v.get("p") == 1
        proxy = (self._perm_proxies if pinned else self._proxies).get(rid)
        if proxy is not None:
            return proxy
        if self.trusted:
            cls = self._mirror_class(v["t"])
            proxy = object.__new__(cls)
        else:
            proxy = object.__new__(GraderObject)
            object.__setattr__(proxy, "_rpc_name", str(v.get("n", "object"))[:MAX_NAME])
            object.__setattr__(proxy, "_rpc_callable", bool(v.get("c")))
            hints = tuple(self._dec(h, _Decode([]), 1) for h in v.get("pf", ())[:HINTS])
            object.__setattr__(proxy, "_rpc_hints", hints)
        object.__setattr__(proxy, "_rpc_ep", self)
        object.__setattr__(proxy, "_rpc_id", rid)
        object.__setattr__(proxy, "_rpc_epoch", None if pinned else self.epoch)
        table = self._perm_proxies if pinned else self._proxies
        if len(table) >= MAX_ITEMS:
            raise ProtocolError(f"more than {MAX_ITEMS:,} objects in one test")
        table[rid] = proxy
        return proxy

    # --- G: mirror classes ----------------------------------------------------------------------------

    def _learn_types(self, descs):
        if not self.trusted:
            raise ProtocolError("the grader describes no classes")
        if not isinstance(descs, list) or len(descs) > 10_000 or len(self._types) > 100_000:
            raise ProtocolError("too many classes")
        for d in descs:
            tid = d["id"]
            if isinstance(tid, int) and tid in self._stale_types:
                self._stale_types.discard(tid)
                self._update_mirror(self._types[tid], d)
                continue
            if not isinstance(tid, int) or tid in self._types:
                raise ProtocolError("a class described twice")
            name, qual, module = (_name(d.get(k)) for k in ("n", "q", "m"))
            bases = []
            for b in d.get("b", []):
                if b not in self._types:
                    raise ProtocolError("a class whose base was not described first")
                bases.append(self._types[b])
            dd = d.get("dd", [])
            if not isinstance(dd, list) or len(dd) > 1000:
                raise ProtocolError("a malformed class description")
            ns = {"__slots__": (), "__module__": module, "__qualname__": qual, "_cls_ep": self, "_cls_id": tid,
                  "_cls_pg": d.get("pg") is True, "_cls_ps": d.get("ps") is True,
                  "_cls_dd": frozenset(str(x) for x in dd)}
            for special in d.get("sp", []):
                if special in SPECIALS:
                    ns[special] = _forwarder(special)
            if d.get("h") == "none":
                ns["__hash__"] = None
            try:
                cls = RemoteMeta(name, tuple(_dedupe(bases)) or (RemoteObject,), ns)
            except TypeError:
                cls = RemoteMeta(name, (RemoteObject,), ns)
            self._types[tid] = cls

    def _update_mirror(self, cls, d):
        """A class described again (more of the learner's cells ran): its special methods and
        attribute kinds as L has them now."""
        dd = d.get("dd", [])
        if not isinstance(dd, list) or len(dd) > 1000:
            raise ProtocolError("a malformed class description")
        specials = {sp for sp in d.get("sp", []) if sp in SPECIALS}
        for special in SPECIALS:
            has = special in cls.__dict__
            if special in specials and not has:
                setattr(cls, special, _forwarder(special))
            elif has and special not in specials and special != "__hash__":
                delattr(cls, special)
        type.__setattr__(cls, "_cls_pg", d.get("pg") is True)
        type.__setattr__(cls, "_cls_ps", d.get("ps") is True)
        type.__setattr__(cls, "_cls_dd", frozenset(str(x) for x in dd))

    def _mirror_class(self, tid):
        if not self.trusted:
            raise ProtocolError("a class sent to the learner's process")
        cls = self._types.get(tid)
        if cls is None:
            raise ProtocolError("an object of a class that was never described")
        return cls

    def _dec_exc(self, desc, ctx):
        pid = desc.get("pid")
        if pid is not None and pid in self._errors:
            return self._errors[pid], None
        cls = _exception_class(desc)
        text = str(desc.get("s", ""))[:4000]
        args = None
        if "args" in desc:
            args = [self._dec(a, ctx, 1) for a in desc["args"]]
            if not _plain(tuple(args)):
                args = None
        exc = None
        for attempt in ((args,) if args is not None else ()) + (([text] if text else []),):
            try:
                exc = cls(*attempt)
                break
            except Exception:
                continue
        if exc is None:
            exc = RemoteError(f"{desc.get('q')}: {text}")
        if cls is RemoteError:
            exc = RemoteError(f"{_name(desc.get('q'))}: {text}" if text else _name(desc.get("q")))
        self._peer_errors[id(exc)] = (desc.get("id"), exc)
        frame = None
        fr = desc.get("fr")
        if self.trusted and isinstance(fr, dict) and isinstance(fr.get("n"), str):
            owner = self._dec(fr["self"], ctx, 1) if "self" in fr else None
            frame = (_name(fr["n"]), owner)
        return exc, frame


_RESERVED = frozenset(["q", "op", "es", "tm", "T", "g", "W", "S", "sy"])
_DESCRIPTORS = {}


def _data_descriptors(cls):
    """Names whose attribute access goes through a data descriptor of the class (property, slot, ...)."""
    found = _DESCRIPTORS.get(cls)
    if found is None:
        names = set()
        for klass in getattr(cls, "__mro__", ()):
            for name, attr in vars(klass).items():
                kind = type(attr)
                if hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
                    names.add(str(name))
        found = _DESCRIPTORS[cls] = frozenset(names)
    return found


_MISSING = object()
_KINDS = {}
_SPECIAL_TYPES = (RemoteObject, GraderObject, type, int, float, str, bool, tuple, list, dict, complex, bytes,
                  bytearray, slice, range, set, frozenset, np.generic, np.ndarray, np.random.Generator, np.dtype,
                  np.ufunc, type(Ellipsis), type(NotImplemented))


def _defined(cls, name):
    for klass in getattr(cls, "__mro__", ()):
        if klass is object:
            break
        found = vars(klass).get(name, _MISSING)
        if found is not _MISSING:
            return found
    return _MISSING


def _plain_class(cls):
    return getattr(cls, "__module__", "") != "builtins" and getattr(cls, "__dictoffset__", 0) != 0


def _plain_read(obj, name):
    """Reading obj.name runs no learner code: a value in its instance dict, found the usual way."""
    cls = type(obj)
    if not _plain_class(cls) or cls.__getattribute__ is not object.__getattribute__:
        return False
    d = obj.__dict__
    return isinstance(d, dict) and name in d and name not in _data_descriptors(cls)


def _plain_write(obj, name):
    cls = type(obj)
    if not _plain_class(cls) or cls.__setattr__ is not object.__setattr__ or name.startswith("__"):
        return False
    return isinstance(obj.__dict__, dict) and name not in _data_descriptors(cls)


def _snapshottable(obj):
    cls = type(obj)
    if not _plain_class(cls) or cls.__getattribute__ is not object.__getattribute__:
        return False
    d = getattr(obj, "__dict__", None)
    return isinstance(d, dict) and len(d) <= SNAPSHOT_ATTRIBUTES and all(type(k) is str for k in d)


def _closure_proxies(fn, depth=2, found=None):
    """Proxies of the learner's objects a grader's function reads through its closure."""
    found = [] if found is None else found
    if depth < 0 or len(found) >= HINTS:
        return found
    if isinstance(fn, types.MethodType):
        return _closure_proxies(fn.__func__, depth, found + ([fn.__self__] if isinstance(fn.__self__, RemoteObject)
                                                            else []))
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if isinstance(value, RemoteObject):
            if all(value is not f for f in found):
                found.append(value)
        elif isinstance(value, types.FunctionType):
            _closure_proxies(value, depth - 1, found)
        if len(found) >= HINTS:
            break
    return found[:HINTS]


_OWN_FILES = {os.path.normcase(os.path.abspath(__file__.replace(".pyc", ".py")))}


def _innermost_learner_frame(exc):
    """The innermost frame of exc's traceback that is not the protocol's own code, or None."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        name = os.path.normcase(os.path.abspath(tb.tb_frame.f_code.co_filename))
        if name not in _OWN_FILES and not name.endswith("learner_host.py"):
            found = tb.tb_frame
        tb = tb.tb_next
    return found


def _dedupe(items):
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def _name(value):
    text = str(value if value is not None else "")[:MAX_NAME]
    return text.replace("\x00", "") or "object"


def _text(exc):
    try:
        return str(exc)[:4000]
    except Exception:
        return f"<{type(exc).__name__}>"


def _plain_key(k):
    """A key the peer can hash without calling back: a plain value, or an object hashed by identity."""
    if k is None or type(k) in (bool, int, float, str, bytes, complex):
        return True
    if isinstance(k, np.generic):
        return k.dtype.kind in ARRAY_KINDS
    if isinstance(k, tuple):
        return all(_plain_key(x) for x in k)
    t = type(k)
    return t.__hash__ is object.__hash__ and t.__eq__ is object.__eq__ and not _mirrored(k)


def _check_key(k):
    """A dict key or set item decoded from the peer must hash locally (no remote call)."""
    if isinstance(k, RemoteObject):
        if type(k).__hash__ is not object.__hash__:
            raise ProtocolError("a dict key whose hash would need the other process")
        return
    if isinstance(k, (RemoteMeta, GraderObject)):
        return
    if isinstance(k, tuple):
        for x in k:
            _check_key(x)
        return
    if not _plain_key(k) and not isinstance(k, (frozenset, range, slice, type)):
        raise ProtocolError("an unhashable dict key")


def _dtype(text):
    if not isinstance(text, str) or len(text) > 16:
        raise ProtocolError("a bad dtype")
    try:
        dt = np.dtype(text)
    except TypeError:
        raise ProtocolError("a bad dtype") from None
    if dt.kind not in ARRAY_KINDS or dt.fields is not None or dt.subdtype is not None:
        raise ProtocolError(f"a refused dtype {text!r} (object and structured arrays never cross)")
    return dt


def _jsonable_state(state):
    if isinstance(state, dict):
        return {str(k): _jsonable_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return {"@nd": state.dtype.str, "v": state.tolist()}
    if isinstance(state, (np.integer,)):
        return int(state)
    return state


def _from_jsonable(state, depth=0):
    if depth > 6:
        raise ProtocolError("a random generator state nested too deeply")
    if isinstance(state, dict):
        if "@nd" in state:
            return np.array(state["v"], dtype=_dtype(state["@nd"]))
        return {str(k): _from_jsonable(v, depth + 1) for k, v in state.items()}
    if state is None or isinstance(state, (bool, int, float, str)):
        return state
    raise ProtocolError("a bad random generator state")


def _set_state(gen, v):
    if type(gen.bit_generator).__name__ != v.get("bg"):
        raise ProtocolError("a random generator that changed its kind")
    try:
        gen.bit_generator.state = _from_jsonable(v["st"])
    except (TypeError, ValueError, KeyError) as exc:
        raise ProtocolError(f"a bad random generator state ({exc})") from None


def _warning_class(name, module):
    cls = None
    if module == "builtins":
        cls = getattr(builtins, str(name), None)
    elif isinstance(module, str) and module.startswith("numpy"):
        cls = getattr(np.exceptions, str(name), None)
    if isinstance(cls, type) and issubclass(cls, Warning):
        return cls
    return UserWarning


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
