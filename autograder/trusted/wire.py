"""The frame format of trusted grading: bytes on a pipe between the grader (G) and the learner (L).

Part of the wire (``wire`` frames, ``codec`` values, ``proxies`` objects, ``endpoint`` calls), used by
``autograder.trusted.grader`` (G) and ``autograder.trusted.learner_host`` (L); the wire's files import
only numpy, the standard library and each other, because L runs them from a private copy, without
the course's package.

**Frames.** A frame is ``magic, len(json), number of buffers, each buffer's size`` (little endian),
then a JSON header, then the raw buffers.  Nothing is ever pickled.  A frame larger than
``max_frame`` bytes, a bad magic, a header that is not JSON, nesting deeper than ``MAX_DEPTH`` or
more than ``MAX_ITEMS`` values in one frame are refused (``ProtocolError``).

The protocol's limits (``MAX_*``) and the tables the other wire modules share (which special
methods a mirror class forwards, which types cross by value) are here too.

**Bounded waits.** G's endpoint never blocks without a deadline; a peer that stops answering, dies,
sends garbage or too much is *lost*: ``RemoteLost`` (a ``BaseException``, so no ``except Exception``
in a check can swallow it) and the owner (``autograder.trusted.grader``) kills and restarts it.
"""
import json
import os
import select
import struct
import time

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
