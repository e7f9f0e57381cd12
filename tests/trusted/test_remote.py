"""The wire between the grader (G) and the learner's process (L): autograder/trusted/ (wire, codec, proxies, mirrors, endpoint).

First what honest code needs, against a real learner process (``LearnerSession`` running a few
cells): values keep their types, arrays go back as the same objects, a callee's changes to its
arguments reach the caller, callbacks nest, exceptions keep their type and the learner's frame,
mirror classes behave like the learner's classes.  Then what a hostile learner process cannot do:
make the grader hang, crash, unpickle anything, or reach the grader's objects.
"""
import inspect
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

from autograder import hosts
from autograder.trusted import codec, endpoint, grader as trusted, proxies, wire
from autograder.guard import _OutOfTime, time_limit

LEARNER = textwrap.dedent('''
    import sys
    import numpy as np

    class V:
        def __init__(self, x, parents=()):
            self.x = x
            self.parents = tuple(parents)
        def __add__(self, other):
            return V(self.x + (other.x if isinstance(other, V) else other), (self,))
        def __radd__(self, other):
            return V(other + self.x, (self,))
        def __mul__(self, other):
            return V(self.x * (other.x if isinstance(other, V) else other), (self,))
        def __pow__(self, n):
            return V(self.x ** n, (self,))
        def __len__(self):
            return 3
        def __getitem__(self, i):
            return [10, 20, 30][i]
        def __repr__(self):
            return f"V({self.x})"
        def stub(self):
            raise NotImplementedError()

    class W(V):
        pass

    class Guarded:
        def __setattr__(self, name, value):
            object.__setattr__(self, name, value * 2)

    SHARED = np.arange(3.0)

    def ident(*args):
        return args[0] if len(args) == 1 else args
    def shared():
        return SHARED
    def mutate(a):
        a[0] = 99.0
    def pop(lst):
        return lst.pop()
    def update(d):
        d["k"] = 1
        d["a"] += 1
    def draw(rng):
        return rng.standard_normal()
    def keyerror():
        raise KeyError("missing")
    def sysexit():
        sys.exit(3)
    def interrupt():
        raise KeyboardInterrupt
    def call_back(f, x):
        return f(x) + 1
    def call_twice(f):
        return [f(1), f(2)]
    def catch_back(f):
        try:
            f()
        except ValueError as exc:
            return f"caught {exc}"
    def loop():
        while True:
            pass
    def die():
        import os
        os._exit(7)
    def kill_self():
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
    def big():
        return np.zeros(20_000_000)
    def objects():
        return np.array([object(), 1], dtype=object)
    def scalars():
        return (np.float32(1.5), np.int64(3), np.bool_(True), -0.0, float("nan"), 2 ** 100, (1, [2]),
                {"a": 1, 2: "b"}, b"raw", 1 + 2j, None, slice(1, 2), np.dtype("float32"), ..., np.exp)
    def overflow():
        return np.exp(np.array([1000.0]))
    def printerr():
        print("to stderr", file=sys.stderr)
        return 1
    def sig(a, b=2, *c, d, **e):
        pass
    def setx(v, x):
        v.x = x
    def getx(v):
        return v.x
    def globals_of(f):
        return f.__globals__
    def name_of(f):
        return f.__name__
    def sum_list(values):
        return sum(values)
    def run_rules(*nodes):
        for node in nodes:
            node.rule()
        return [node.x for node in nodes]
    class Node:
        def __init__(self, x, parents=(), label=""):
            self.x, self.parents, self.label = x, tuple(parents), label
    CALLS = [0]
    def affine(x, W, b):
        CALLS[0] += 1
        return x @ W + b, (x, W)
    def affine_back(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    def affine_back_transposed(dout, cache):
        x, W = cache
        return dout @ W.T, (x.T @ dout).T, dout.sum(axis=0)
    def calls():
        return CALLS[0]
''')


@pytest.fixture(scope="module")
def session():
    s = trusted.LearnerSession([[0, LEARNER]], seconds=20)
    yield s
    s.close()


@pytest.fixture
def L(session):
    """The learner's namespace as proxies, with a fresh deadline and a clean table."""
    ep = session.connect()
    ep.deadline = time.monotonic() + 30

    class Names:
        def __getattr__(self, name):
            return ep.names([name])[name]
    yield Names()
    session.end_test()


# --- honest code ----------------------------------------------------------------------------------------

def test_values_keep_their_types(L):
    got = L.scalars()
    assert type(got[0]) is np.float32 and got[0] == 1.5
    assert type(got[1]) is np.int64 and got[1] == 3
    assert type(got[2]) is np.bool_ and got[2]
    assert got[3] == 0.0 and np.copysign(1.0, got[3]) == -1.0
    assert np.isnan(got[4])
    assert got[5] == 2 ** 100
    assert got[6] == (1, [2]) and isinstance(got[6], tuple) and isinstance(got[6][1], list)
    assert got[7] == {"a": 1, 2: "b"}
    assert got[8] == b"raw" and got[9] == 1 + 2j and got[10] is None and got[11] == slice(1, 2)
    assert got[12] == np.dtype("float32") and got[13] is Ellipsis and got[14] is np.exp


def test_an_array_goes_back_as_the_same_object(L):
    x = np.arange(4.0)
    assert L.ident(x) is x
    a, b = L.ident(x, x)
    assert a is x and b is x
    first, second = L.shared(), L.shared()
    assert first is second                   # one object in L, one mirror in G
    assert L.ident(first) is first


def test_a_callee_s_changes_to_its_arguments_reach_the_caller(L):
    x = np.zeros(3)
    L.mutate(x)
    assert x[0] == 99.0
    values = [1, 2, 3]
    assert L.pop(values) == 3 and values == [1, 2]
    d = {"a": 1}
    L.update(d)
    assert d == {"a": 2, "k": 1}
    rng, twin = np.random.default_rng(5), np.random.default_rng(5)
    assert L.draw(rng) == twin.standard_normal()
    assert rng.standard_normal() == twin.standard_normal()     # the state came back too


def test_callbacks_nest_and_exceptions_come_back_as_themselves(L):
    assert L.call_back(lambda x: x * 2, 3) == 7
    assert L.call_twice(lambda x: x * 10) == [10, 20]
    assert L.sum_list([1.5, 2.5]) == 4.0
    mine = ValueError("from the grader")

    def raising():
        raise mine
    assert L.catch_back(raising) == "caught from the grader"
    with pytest.raises(ValueError) as info:
        L.call_back(lambda x: (_ for _ in ()).throw(mine), 1)
    assert info.value is mine


def test_learner_exceptions_keep_their_type_message_and_frame(L):
    with pytest.raises(KeyError) as info:
        L.keyerror()
    assert str(info.value) == "'missing'"
    with pytest.raises(SystemExit):
        L.sysexit()
    with pytest.raises(wire.RemoteError):          # never a KeyboardInterrupt in the grader
        L.interrupt()
    v = L.V(1.0)
    with pytest.raises(NotImplementedError) as info:
        v.stub()
    frame = _innermost_frame(info.value)
    assert frame.f_code.co_name == "stub"
    assert type(frame.f_locals["self"]).__name__ == "V"


def _innermost_frame(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame


def test_mirror_classes_behave_like_the_learner_s_classes(L):
    V, W = L.V, L.W
    v = V(2.0)
    assert type(v) is V and type(v).__name__ == "V" and isinstance(v, V)
    assert isinstance(W(1.0), V) and not isinstance(v, W)
    assert (v + 3).x == 5.0 and (3 + v).x == 5.0 and (v * v).x == 4.0 and (v ** 3).x == 8.0
    other = type(v)(7.0, (v,))                     # the checks build nodes of the learner's class
    assert other.x == 7.0 and other.parents[0] is v
    assert len(v) == 3 and v[1] == 20 and list(v) == [10, 20, 30] and bool(v)
    assert repr(v) == "V(2.0)" and callable(V) and not callable(v)
    assert {v: 1}[v] == 1 and v == v and v != other     # identity, as the class does not override them


def _build_chain(steps, Node, n):
    first = node = steps.call(Node, 0.5)
    for i in range(n):
        node = steps.call(Node, float(i), (node,), label=f"n{i}")
        steps.setattr(node, "rule", proxies.Accumulate(node, "x", first, "x", 2.0))
    return steps.values(first, node)


def _walk(node):
    seen = []
    while True:
        seen.append((node.x, getattr(node, "label", "")))
        if not node.parents:
            return seen
        node = node.parents[0]


def test_a_batch_is_one_round_trip_and_builds_what_its_steps_build_in_one_process(L, session):
    class Node:                                  # the learner's class, in this process
        def __init__(self, x, parents=(), label=""):
            self.x, self.parents, self.label = x, tuple(parents), label
    here = _build_chain(hosts.batch(Node), Node, 300)
    assert type(hosts.batch(Node)).__name__ == "_Now"
    ep, Remote = session.endpoint, L.Node
    before = ep.round_trips
    first, end = _build_chain(hosts.batch(Remote), Remote, 300)
    assert ep.round_trips - before == 1
    assert type(end).__name__ == "Node" and proxies.is_remote(end)
    assert _walk(end) == _walk(here[1]) and len(_walk(end)) == 301
    assert end.parents[0].parents[0].label == "n297"


def test_an_accumulate_rule_runs_in_the_learner_s_process_as_the_closure_would(L, session):
    def closure_result(Node):
        a, out = Node(1.5), Node(4.0)
        out.rule = lambda: setattr(a, "x", a.x + 0.25 * out.x)
        out.rule()
        return a.x
    a, out = L.Node(1.5), L.Node(4.0)
    out.rule = proxies.Accumulate(a, "x", out, "x", 0.25)
    ep = session.endpoint
    before = ep.round_trips
    assert L.run_rules(out, out) == [4.0, 4.0]        # the learner's code calls the rule twice
    assert ep.round_trips - before == 2               # the names lookup and the call: no callback
    assert a.x == 1.5 + 2 * 0.25 * 4.0
    class Local:
        def __init__(self, x):
            self.x = x
    a2, out2 = Local(1.5), Local(4.0)
    rule = proxies.Accumulate(a2, "x", out2, "x", 0.25)
    rule()
    assert a2.x == closure_result(Local)


def test_a_batch_stops_at_the_step_that_raises_with_the_learner_s_frame(L):
    v = L.V(1.0)
    steps = hosts.batch(v)
    steps.call(L.setx, v, 2.0)
    steps.call(v.stub)
    steps.call(L.setx, v, 3.0)                    # never runs
    with pytest.raises(NotImplementedError) as info:
        steps.values()
    assert _innermost_frame(info.value).f_code.co_name == "stub"
    assert v.x == 2.0
    with pytest.raises(ValueError, match="already sent"):
        steps.call(L.setx, v, 4.0)


def test_a_batch_sent_from_a_callback_inside_a_batch_nests(L):
    V = L.V

    def grader_function(x):                       # called back by the learner's code mid-batch
        inner = hosts.batch(V)
        made = inner.call(V, x * 10)
        return inner.values(made)[0].x
    steps = hosts.batch(V)
    v = steps.call(V, 1.0)
    called = steps.call(L.call_back, grader_function, 3.0)
    after = steps.call(L.getx, v)                  # uses a result of the outer batch afterwards
    assert steps.values(called, after) == (31.0, 1.0)


def test_a_malformed_batch_is_an_error_in_the_learner_s_process_not_a_crash(L, session):
    ep = session.endpoint
    with pytest.raises(ValueError, match="malformed batch step"):
        ep.request("batch", {"s": (("zz",),), "w": ()})
    other = proxies.Batch(ep)
    ahead = proxies.Pending(other, 5)                   # a step that has not run yet
    with pytest.raises(ValueError, match="malformed batch step"):
        ep.run_batch(other, (("c", L.ident, (ahead,), ()),), [0])
    stray = hosts.batch(L.V).call(L.V, 1.0)           # a result of a batch never sent
    with pytest.raises(ValueError, match="another batch"):
        L.ident(stray)
    assert L.ident(5) == 5                             # the connection is still usable


def test_check_layer_sends_each_sweep_of_finite_differences_as_one_batch(L, session, monkeypatch):
    """check_layer on the learner's forward, directly or ``through`` a wrapper of the checks: the
    same number of calls of the learner's forward as one by one, in a few round trips, and the
    same verdicts (a transposed dW is named)."""
    from autograder import CheckFailed, check_layer
    from autograder.check import through
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    here = []

    def local_affine(x, W, b):                       # the same forward in this process, counted
        here.append(1)
        return x @ W + b, (x, W)
    check_layer(local_affine, lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.sum(axis=0)), x, W, b,
                names=["x", "W", "b"], quiet=True)
    assert len(here) > 100
    ep = session.endpoint
    forward, backward, wrong, calls = L.affine, L.affine_back, L.affine_back_transposed, L.calls
    wrapped = through(forward, lambda *a: (a, {}), lambda out: (out[0], out[1]), "affine")
    for fwd in (forward, wrapped):
        before, made = ep.round_trips, calls()
        check_layer(fwd, backward, x, W, b, names=["x", "W", "b"], quiet=True)
        assert calls() - made == len(here)               # as many calls of the learner's forward
        assert ep.round_trips - before < 30, ep.round_trips - before
    # a sweep whose inputs pass BATCH_BYTES is sent in several batches: the same calls, the same verdict
    from autograder import check as engine
    monkeypatch.setattr(engine, "BATCH_BYTES", 1000)    # 4 calls of these inputs (256 bytes each)
    before, made = ep.round_trips, calls()
    check_layer(forward, backward, x, W, b, names=["x", "W", "b"], quiet=True)
    assert calls() - made == len(here)
    assert 30 < ep.round_trips - before < len(here) // 2, ep.round_trips - before
    with pytest.raises(CheckFailed) as info:
        check_layer(forward, wrong, x, W, b, names=["x", "W", "b"], quiet=True)
    assert info.value.key == "shape_transposed" and "dW" in str(info.value)


def test_signatures_cross(L):
    sig = inspect.signature(L.sig)
    assert [(p.name, p.kind) for p in sig.parameters.values()] == [
        ("a", inspect.Parameter.POSITIONAL_OR_KEYWORD), ("b", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("c", inspect.Parameter.VAR_POSITIONAL), ("d", inspect.Parameter.KEYWORD_ONLY),
        ("e", inspect.Parameter.VAR_KEYWORD)]
    assert L.ident.__name__ == "ident"


def test_attribute_reads_and_writes_stay_consistent_with_learner_code(L):
    v = L.V(1.0)
    assert v.x == 1.0
    L.setx(v, 5.0)               # learner code changed it: the grader must not answer from an old copy
    assert v.x == 5.0
    v.x = 7.0                    # a plain write (deferred to the next message)
    assert v.x == 7.0 and L.getx(v) == 7.0
    g = L.Guarded()
    g.y = 2                      # a class with __setattr__: written at once, through it
    assert g.y == 4


def test_warnings_and_stderr_reach_the_grader_where_the_check_looks(L, capsys):
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn"):
        warnings.simplefilter("always")
        L.overflow()
    assert caught and issubclass(caught[0].category, RuntimeWarning) and "overflow" in str(caught[0].message)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        L.overflow()
    assert L.printerr() == 1
    assert "to stderr" in capsys.readouterr().err


def test_object_arrays_never_cross_as_buffers(L):
    got = L.objects()
    assert isinstance(got, proxies.RemoteObject) and type(got).__name__ == "ndarray"


def test_a_result_too_large_for_a_frame_is_an_error_not_a_crash(L):
    with pytest.raises(ValueError, match="too large"):
        L.big()
    assert L.ident(3) == 3


def test_the_grader_s_objects_can_only_be_called(L):
    def f():
        return 1
    with pytest.raises(AttributeError):
        L.globals_of(f)
    assert L.name_of(f) == "f"


def test_a_loop_is_stopped_by_the_check_s_time_limit_and_the_process_replaced(session):
    ep = session.connect()
    ep.deadline = time.monotonic() + 30
    loop = ep.names(["loop"])["loop"]
    began = time.monotonic()
    with pytest.raises(_OutOfTime):
        with time_limit(0.5):
            loop()
    assert time.monotonic() - began < 5
    with pytest.raises(wire.RemoteLost) as info:
        ep.names(["ident"])
    assert info.value.kind == "timeout"
    session.end_test()
    ep = session.connect()                       # a new learner process
    ep.deadline = time.monotonic() + 30
    assert ep.names(["ident"])["ident"](5) == 5
    session.end_test()


@pytest.mark.parametrize("fn, says", [("die", "exit code 7"), ("kill_self", "SIGKILL")])
def test_a_learner_process_that_dies_is_reported(session, fn, says):
    ep = session.connect()
    ep.deadline = time.monotonic() + 30
    with pytest.raises(wire.RemoteLost) as info:
        ep.names([fn])[fn]()
    assert info.value.kind == "died"
    assert says in session.lost_reason
    session.end_test()


# --- a hostile learner process ---------------------------------------------------------------------------

HOSTILE = textwrap.dedent('''
    import json, os, struct, sys, time
    mode = sys.argv[1]
    out = sys.stdout.buffer
    def frame(header, buffers=(), magic=b"BPW1", declared=None):
        js = json.dumps(header).encode()
        sizes = [len(b) for b in buffers]
        total = sum(sizes) if declared is None else declared
        return (struct.pack("<4sIIQ", magic, len(js), len(sizes), total)
                + b"".join(struct.pack("<Q", s) for s in sizes) + js + b"".join(buffers))
    def reply(value):
        return frame({"re": 1, "ok": value})
    sys.stdin.buffer.read1(1 << 16)           # the grader's request
    if mode == "silent":
        time.sleep(60)
    elif mode == "exit":
        os._exit(3)
    elif mode == "garbage":
        out.write(os.urandom(4096))
    elif mode == "bad_magic":
        out.write(frame({"re": 1, "ok": 1}, magic=b"EVIL"))
    elif mode == "oversized":
        out.write(frame({"re": 1, "ok": 1}, declared=1 << 40))
    elif mode == "not_json":
        js = b"\\x80\\x81 not json"
        out.write(struct.pack("<4sIIQ", b"BPW1", len(js), 0, 0) + js)
    elif mode == "deep":
        js = b'{"re": 1, "ok": ' + b"[" * 100000 + b"]" * 100000 + b"}"
        out.write(struct.pack("<4sIIQ", b"BPW1", len(js), 0, 0) + js)
    elif mode == "many":
        out.write(frame({"re": 1, "ok": [0] * 2_500_000}))
    elif mode == "out_of_turn":
        out.write(frame({"re": 99, "ok": 1}))
    elif mode == "slowloris":
        data = reply(1)
        for b in data:
            out.write(bytes([b])); out.flush(); time.sleep(0.2)
    elif mode == "callback_flood":
        n = 0
        while True:
            n += 1
            out.write(frame({"q": n, "op": "call", "f": {"@": "r", "id": 1}, "a": [], "k": {"@": "d", "k": [], "v": [], "x": 1}}))
            out.flush()
            time.sleep(0.01)
    elif mode == "unknown_ref":
        out.write(reply({"@": "r", "id": 12345}))
    elif mode == "undescribed_class":
        out.write(reply({"@": "h", "x": 5, "t": 77}))
    elif mode == "object_dtype":
        import pickle
        payload = pickle.dumps(["pickled"])
        out.write(frame({"re": 1, "ok": {"@": "a", "b": 0, "t": "|O", "s": [1], "x": 3}}, [payload]))
    elif mode == "pickle_bytes":
        import pickle
        payload = pickle.dumps(["pickled"])
        out.write(frame({"re": 1, "ok": {"@": "b", "b": 0}}, [payload]))
    elif mode == "wrong_size":
        out.write(frame({"re": 1, "ok": {"@": "a", "b": 0, "t": "<f8", "s": [1000], "x": 3}}, [b"12345678"]))
    elif mode == "grader_escape":
        # ask the grader for what it never serves: an attribute of its function, a write into it
        for q, request in enumerate([{"op": "ga", "o": {"@": "r", "id": 1}, "n": "__globals__"},
                                     {"op": "sa", "o": {"@": "r", "id": 1}, "n": "x", "v": 1},
                                     {"op": "sp", "o": {"@": "r", "id": 1}, "n": "__call__", "a": []}], 1):
            out.write(frame(dict(request, q=q))); out.flush()
            sys.stdin.buffer.read1(1 << 16)  # the grader's answer (an error)
        out.write(reply("done"))
    elif mode == "call_unknown":
        out.write(frame({"q": 1, "op": "call", "f": {"@": "r", "id": 999}, "a": [], "k": {"@": "d", "k": [], "v": [], "x": 2}}))
    elif mode == "sends_rule":
        out.write(reply({"@": "acc", "v": [None, "x", None, "x", 1.0]}))
    elif mode == "sends_step_result":
        out.write(reply({"@": "P", "i": 0}))
    elif mode == "fake_interrupt":
        out.write(frame({"re": 1, "er": {"id": 1, "m": "builtins", "q": "KeyboardInterrupt", "mro": ["KeyboardInterrupt", "BaseException"], "s": ""}}))
    out.flush()
    time.sleep(60)
''')


def finish(proc):
    proc.kill()
    proc.wait()
    proc.stdin.close()
    proc.stdout.close()


def hostile_endpoint(mode, deadline=3.0):
    proc = subprocess.Popen([sys.executable, "-c", HOSTILE, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            start_new_session=True)
    lost = []

    def on_lost(reason, kind):
        lost.append((reason, kind))
        os.killpg(proc.pid, signal.SIGKILL)
    ep = endpoint.Endpoint(wire.Wire(proc.stdout.fileno(), proc.stdin.fileno()), trusted=True, on_lost=on_lost)
    ep.deadline = time.monotonic() + deadline
    return proc, ep, lost


@pytest.mark.parametrize("mode, kind", [
    ("silent", "timeout"), ("exit", "died"), ("garbage", "protocol"), ("bad_magic", "protocol"),
    ("oversized", "protocol"), ("not_json", "protocol"), ("deep", "protocol"), ("many", "protocol"),
    ("out_of_turn", "protocol"), ("slowloris", "timeout"), ("callback_flood", "timeout"),
    ("unknown_ref", "protocol"), ("call_unknown", "protocol"), ("undescribed_class", "protocol"),
    ("object_dtype", "protocol"),
    ("wrong_size", "protocol"), ("sends_rule", "protocol"), ("sends_step_result", "protocol"),
])
def test_a_hostile_learner_process_is_lost_in_bounded_time(mode, kind, monkeypatch):
    for name in ("loads", "load"):
        monkeypatch.setattr(pickle, name, lambda *a, **k: pytest.fail("the grader unpickled something"))
    monkeypatch.setattr(pickle, "Unpickler", lambda *a, **k: pytest.fail("the grader unpickled something"))
    proc, ep, lost = hostile_endpoint(mode)
    began = time.monotonic()
    try:
        with pytest.raises(wire.RemoteLost) as info:
            ep.request("call", {"f": 1, "a": (), "k": {}})
        assert info.value.kind == kind, info.value.reason
        assert time.monotonic() - began < 6
        assert lost and lost[0][1] == kind
        with pytest.raises(wire.RemoteLost):       # and it stays lost
            ep.request("nop", {})
    finally:
        finish(proc)


def test_bytes_that_hold_a_pickle_stay_bytes(monkeypatch):
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("the grader unpickled something"))
    proc, ep, _ = hostile_endpoint("pickle_bytes")
    try:
        got = ep.request("call", {"f": 1, "a": (), "k": {}})
        assert isinstance(got, bytes) and got.startswith(b"\x80")
    finally:
        finish(proc)


def test_the_grader_serves_nothing_but_calls_of_what_it_handed_over():
    proc, ep, lost = hostile_endpoint("grader_escape")
    try:
        secret = {"reached": False}

        def f():
            secret["reached"] = True
        ep._export(f)                     # id 1: something the grader had handed over
        assert ep.request("call", {"f": 1, "a": (), "k": {}}) == "done"
        assert not lost and not secret["reached"]
    finally:
        finish(proc)


def test_a_fake_keyboard_interrupt_is_an_ordinary_error():
    proc, ep, _ = hostile_endpoint("fake_interrupt")
    try:
        with pytest.raises(wire.RemoteError):
            ep.request("call", {"f": 1, "a": (), "k": {}})
    finally:
        finish(proc)


def test_refused_values_on_the_way_out():
    ep = endpoint.Endpoint(wire.Wire(*os.pipe()), trusted=True)
    ctx = codec._Encode()
    encoded = ep._enc(np.array([object()], dtype=object), ctx, 0)
    assert encoded["@"] == "h" and not ctx.buffers          # an object array is a handle, never bytes
    for bad in ("|O", "V8", "<M8[s]", "x" * 40):
        with pytest.raises(wire.ProtocolError):
            codec._dtype(bad)
    pipe = wire.Wire(*os.pipe(), max_frame=1000)
    with pytest.raises(wire.ProtocolError, match="larger than the limit"):
        pipe.send({"x": "y" * 2000})
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.ProtocolError, match="nested"):
        ep._enc(deep, codec._Encode(), 0)
