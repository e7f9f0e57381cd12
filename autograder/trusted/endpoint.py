"""The endpoint of trusted grading: one side of the connection, serving and making calls on objects.

``Endpoint`` sends requests (calls, attribute reads and writes, special methods, batches) and
serves the peer's, with snapshots of instance dicts sent ahead and deferred writes so that a check
costs few round trips; it inherits how values are encoded (``codec.Codec``) and how proxies and
mirror classes are made (``proxies.Mirrors``).  The frame format is ``wire``'s.
"""
import inspect
import sys
import tracemalloc
import warnings

import numpy as np

from .wire import (GRADER_ATTRIBUTES, MAX_BATCH, MAX_ITEMS, MAX_NAME, MAX_REPLAY, MAX_TEXT, MAX_WARNINGS, SPECIALS,
                   ProtocolError, RemoteLost)
from .proxies import _DEFAULT, RemoteMeta, RemoteObject
from .codec import (_RESERVED, SNAPSHOT_ATTRIBUTES, SNAPSHOT_BUDGET, Codec, _Decode, _Encode, _nullcontext, _plain_read,
                    _plain_write, _raise_in_frame, _warning_class)
from .mirrors import Mirrors

class Endpoint(Codec, Mirrors):
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
