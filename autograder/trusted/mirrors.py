"""Mirror classes and mirrored values of trusted grading: how the endpoint makes what the peer described.

``Mirrors`` holds the endpoint's methods (``Endpoint`` inherits them) that turn a decoded value
into our existing mirror of it (updated in place) or a new one, a handle into a proxy, and a
described class into a *mirror class* (``proxies``) with the remote class's name, bases and
special methods.
"""

import numpy as np

from .wire import BIT_GENERATORS, MAX_ITEMS, MAX_NAME, ProtocolError, SPECIALS
from .proxies import GraderObject, RemoteMeta, RemoteObject, _forwarder
from .codec import HINTS, _check_key, _Decode, _dedupe, _digest, _mirrored, _name, _set_state


class Mirrors:
    """The endpoint's methods that make mirrors of the peer's values and proxies of its objects."""

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
