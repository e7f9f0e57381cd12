"""Does the generic check_layer name planted layer bugs (tests/layer_bugs.py) with the right key?

No exercise rows are given: this is check_layer as a user runs it on their own layers."""
import numpy as np
import pytest

import autograder as ag
from layer_bugs import BUGS, LAYERS


def outcome(bug):
    """(caught, key, message) of check_layer on the bug."""
    try:
        bug.run(ag.check_layer)
    except ag.CheckFailed as exc:
        keys = set(exc.keys.values()) | {exc.key}
        return True, (bug.key if bug.key in keys else exc.key), str(exc)
    return False, "", ""


@pytest.mark.parametrize("layer", LAYERS, ids=[layer.name for layer in LAYERS])
def test_correct_layer_passes(layer, capsys):
    """Is every layer of the catalog right as written (so each bug is the only thing wrong)?"""
    ag.check_layer(layer.forward, layer.backward, *layer.inputs, **layer.kwargs)
    out = capsys.readouterr()
    assert "check_layer passed" in out.out and out.err == ""


@pytest.mark.parametrize("bug", BUGS, ids=[bug.id for bug in BUGS])
def test_planted_bug_is_named(bug):
    """Is the planted bug caught, with the key that names it?"""
    caught, key, message = outcome(bug)
    assert caught, f"{bug.what}: passed"
    assert key == bug.key, f"{bug.what}: expected {bug.key!r}, got {key!r}:\n{message}"


def test_the_catalog_is_large_enough():
    assert len(BUGS) >= 60
    assert len({b.layer.name for b in BUGS}) >= 20


def _message(bug_key, what_starts):
    bug = next(b for b in BUGS if b.key == bug_key and b.what.startswith(what_starts))
    caught, key, message = outcome(bug)
    assert caught and key == bug_key, message
    return message


def test_a_batch_mean_taken_twice_is_not_called_a_sum():
    """A loss that averages over N, with backward dividing by N again: the advice is not 'the sum
    over the batch, not the mean' (that is the advice for a per-sample layer's db)."""
    message = _message("mean_twice", "mse")
    assert "taken twice" in message and "not the mean" not in message
    assert "sum over the batch, not the mean" in _message("scaled_1_over_N", "db as the batch mean")


def test_a_lost_batch_axis_of_length_one_is_not_called_flattened():
    message = _message("lost_axis", "dx of a batch of one")
    assert "N=1" in message and "flat" not in message


def test_a_mask_drawn_in_backward_is_not_called_a_changed_cache():
    """Backward draws a new random mask: the cache is untouched, backward is not deterministic."""
    message = _message("backward_not_deterministic", "a new mask")
    assert "changed its cache" not in message and "random numbers" in message
    # a backward that really edits its cache is still told so
    assert "changed its cache in place" in _message("mutated_cache", "the cached output")


def test_an_attribute_changed_in_the_cache_is_still_a_changed_cache():
    """The gradients differ on a second call, no array of the cache changed, but a fresh cache gives
    the first gradients again: backward changed something in the cache (an attribute)."""
    class Cache:
        def __init__(self, z):
            self.z, self.calls = z, 0

    def forward(z):
        return np.tanh(z), Cache(z)

    def backward(dout, cache):
        cache.calls += 1
        return dout * (1 - np.tanh(cache.z) ** 2) * cache.calls

    with pytest.raises(ag.CheckFailed) as info:
        ag.check_layer(forward, backward, np.linspace(-1, 1, 12).reshape(3, 4), quiet=True)
    assert info.value.key == "mutated_cache", str(info.value)


def test_elementwise_rows_do_not_fire_on_other_layers():
    """'derivative at the output' needs an entry-by-entry layer: softmax's diagonal-only answer is
    named as such, not as a derivative at the output."""
    assert "diagonal of the Jacobian" in _message("diagonal_only", "softmax as if")
    assert "instead of its input" in _message("derivative_at_output", "1 - tanh(out)")
