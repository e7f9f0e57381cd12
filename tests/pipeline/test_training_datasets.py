"""autograder.datasets: the digits ship with the package and load without a network; the split,
the standardisation and the spirals are deterministic."""
import hashlib
import socket

import numpy as np
import pytest

from autograder import datasets


def test_digits_shape_dtype_range_and_labels():
    X, labels = datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.allclose(X * 16, np.round(X * 16)), "pixels are the counts 0..16, divided by 16"
    assert sorted(set(labels.tolist())) == list(range(10))
    assert np.bincount(labels).min() >= 174                  # every class is well represented


def test_digits_first_image_is_a_zero():
    """The first row of the UCI test set, as scikit-learn ships it: a 0."""
    X, labels = datasets.load_digits()
    assert labels[0] == 0
    assert (X[0].reshape(8, 8)[0] * 16).astype(int).tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_file_is_the_documented_one():
    """The checksum in autograder/data/README.md is the file's."""
    data = datasets.DIGITS_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    readme = (datasets.DATA / "README.md").read_text(encoding="utf-8")
    assert digest in readme and str(len(data)) in readme
    assert "CC BY 4.0" in readme and "10.24432/C50P49" in readme


def test_digits_load_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load_digits tried to open a network connection")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    X, labels = datasets.load_digits()
    assert X.shape == (1797, 64)


def test_split_is_deterministic_stratified_and_complete():
    X, labels = datasets.load_digits()
    a = datasets.train_test_split(X, labels, test_fraction=0.25, seed=0)
    b = datasets.train_test_split(X, labels, test_fraction=0.25, seed=0)
    c = datasets.train_test_split(X, labels, test_fraction=0.25, seed=1)
    for u, v in zip(a, b):
        assert np.array_equal(u, v)
    assert not np.array_equal(a[3], c[3]) or not np.array_equal(a[2], c[2])
    X_train, labels_train, X_test, labels_test = a
    assert len(X_train) + len(X_test) == 1797 and len(X_test) == 450
    assert len(labels_train) == len(X_train) and len(labels_test) == len(X_test)
    counts, test_counts = np.bincount(labels), np.bincount(labels_test)
    assert np.all(test_counts == np.round(0.25 * counts).astype(int))
    together = np.concatenate([X_train, X_test])
    assert np.array_equal(np.sort(together.sum(axis=1)), np.sort(X.sum(axis=1)))


def test_split_refuses_bad_arguments():
    X, labels = np.zeros((10, 2)), np.zeros(9, dtype=int)
    with pytest.raises(ValueError):
        datasets.train_test_split(X, labels)
    with pytest.raises(ValueError):
        datasets.train_test_split(X, np.zeros(10, dtype=int), test_fraction=1.0)


def test_standardize_uses_the_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train, X_test = rng.normal(3.0, 2.0, (50, 4)), rng.normal(-5.0, 9.0, (20, 4))
    before = X_train.copy(), X_test.copy()
    train_s, test_s = datasets.standardize(X_train, X_test, floor=0.0)
    assert np.allclose(train_s.mean(axis=0), 0.0) and np.allclose(train_s.std(axis=0), 1.0)
    expected = (X_test - X_train.mean(axis=0)) / X_train.std(axis=0)
    assert np.allclose(test_s, expected)
    assert np.array_equal(X_train, before[0]) and np.array_equal(X_test, before[1])


def test_standardize_keeps_blank_pixels_finite():
    X, labels = datasets.load_digits()
    X_train, _, X_test, _ = datasets.train_test_split(X, labels)
    train_s, test_s = datasets.standardize(X_train, X_test)
    assert np.all(np.isfinite(train_s)) and np.all(np.isfinite(test_s))
    assert np.all(train_s[:, 0] == 0.0), "the top-left pixel is always blank"


def test_spirals_are_deterministic_and_labelled():
    X, labels = datasets.make_spirals(100, 3, noise=0.2, seed=0)
    again, _ = datasets.make_spirals(100, 3, noise=0.2, seed=0)
    other, _ = datasets.make_spirals(100, 3, noise=0.2, seed=1)
    assert X.shape == (300, 2) and labels.dtype == np.int64
    assert np.array_equal(X, again) and not np.array_equal(X, other)
    assert np.bincount(labels).tolist() == [100, 100, 100]
    assert np.abs(X).max() <= 1.0 + 1e-12
