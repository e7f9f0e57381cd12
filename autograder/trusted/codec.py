"""The value codec of trusted grading: how a value crosses the wire, by value, mirrored or as a handle.

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

Anything else crosses as a *handle*: the receiver gets a proxy (``proxies``).  Exceptions cross
with their class's name and bases, raised from a frame named as the learner's function.

``Codec`` holds the endpoint's encoding and decoding methods (``Endpoint`` inherits them), with
the tables they use; the module's functions are the helpers they share.
"""
import builtins
import os
import types

import numpy as np

from .wire import (ARRAY_KINDS, BIT_GENERATORS, BUILTIN_TYPES, MAX_DEPTH, MAX_ITEMS, MAX_NAME, NUMPY_TYPES, SPECIALS,
                   ProtocolError, RemoteError)
from .proxies import Accumulate, GraderObject, Pending, RemoteMeta, RemoteObject

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


# --- the codec -----------------------------------------------------------------------------------------

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



class Codec:
    """The endpoint's methods that encode values for the peer and decode the peer's."""

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


_OWN_FILES = {os.path.normcase(os.path.join(os.path.dirname(os.path.abspath(__file__)), name))   # the wire's own code
              for name in ("wire.py", "proxies.py", "codec.py", "mirrors.py", "endpoint.py")}


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
