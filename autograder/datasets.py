"""Small data sets for the training notebook, with no download at run time (numpy only; at the top,
beside ``data/``: notebook 05 and its checks load them, and trusted grading copies both for the
learner's process).

* ``load_digits()``: the 1797 8x8 handwritten digits of the UCI "Optical Recognition of
  Handwritten Digits" data set (CC BY 4.0), read from ``autograder/data/digits.csv.gz``
  (the copy scikit-learn ships; see ``autograder/data/README.md``).
* ``train_test_split(X, labels, ...)``: a deterministic, stratified split.
* ``standardize(X_train, X_test)``: every feature shifted and scaled with the training set's
  mean and standard deviation.
* ``make_spirals(...)``: CS231n's two-dimensional spirals, generated from a seed.
"""
import gzip
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
DIGITS_FILE = DATA / "digits.csv.gz"
DIGITS_SHAPE = (1797, 64)


def load_digits():
    """The 8x8 digits: ``(X, labels)``.

    X: (1797, 64) float64, pixel intensities scaled from 0..16 to [0, 1]; row i is image i
    read row by row (``X[i].reshape(8, 8)`` shows it). labels: (1797,) int64, the digits 0..9.
    """
    with gzip.open(DIGITS_FILE, "rt", encoding="ascii") as f:
        text = f.read()
    numbers = np.array(text.replace(",", " ").split(), dtype=np.int64)   # 10x faster than loadtxt
    rows, columns = DIGITS_SHAPE[0], DIGITS_SHAPE[1] + 1
    if numbers.size != rows * columns:
        raise ValueError(f"{DIGITS_FILE} holds {numbers.size} numbers, expected {rows} rows of {columns}")
    table = numbers.reshape(rows, columns)
    X = table[:, :-1].astype(np.float64) / 16.0
    labels = table[:, -1].astype(np.int64)
    return X, labels


def train_test_split(X, labels, test_fraction=0.25, seed=0):
    """``(X_train, labels_train, X_test, labels_test)``: the same split for the same seed.

    Stratified: each class contributes ``round(test_fraction * its count)`` samples to the
    test set, chosen by ``np.random.default_rng(seed)``; both parts keep the original order.
    """
    X, labels = np.asarray(X), np.asarray(labels)
    if len(X) != len(labels):
        raise ValueError(f"X has {len(X)} rows but labels has {len(labels)} entries")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        take = int(round(test_fraction * len(members)))
        test[rng.choice(members, size=take, replace=False)] = True
    return X[~test], labels[~test], X[test], labels[test]


def standardize(X_train, X_test, floor=0.1):
    """``(X_train_s, X_test_s)``: ``(X - mean) / (std + floor)`` with the mean and standard deviation
    of each column of X_train only (the test set must not shape the preprocessing). ``floor``
    keeps columns that are almost constant (the blank border pixels of the digits) finite and small."""
    X_train, X_test = np.asarray(X_train, dtype=np.float64), np.asarray(X_test, dtype=np.float64)
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0) + floor
    return (X_train - mean) / scale, (X_test - mean) / scale


def make_spirals(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """CS231n's spirals: ``(X, labels)``, X: (n_per_class * n_classes, 2) float64 in about
    [-1, 1]^2, labels: int64. Arm c turns by 4 radians from the centre outwards."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    labels = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for c in range(n_classes):
        rows = slice(c * n_per_class, (c + 1) * n_per_class)
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = (np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class)
                 + rng.standard_normal(n_per_class) * noise)
        X[rows] = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        labels[rows] = c
    return X, labels
