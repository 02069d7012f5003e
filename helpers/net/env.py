"""The one TensorFlow preamble: quiet logs and repeatable results, set before TensorFlow loads.

Every module of :mod:`helpers.net` imports this module before it imports TensorFlow or Keras:

* ``TF_CPP_MIN_LOG_LEVEL=2`` hides TensorFlow's C++ info and warning lines (a notebook would
  show them as errors);
* ``TF_ENABLE_ONEDNN_OPTS=0`` turns off oneDNN's reordered float arithmetic (and its banner),
  so the same seed gives the same numbers on every run;
* ``tf.config.experimental.enable_op_determinism()`` makes the remaining kernels deterministic;
  since TensorFlow then refuses a random op without a seed (``model.fit``'s shuffling is one),
  TensorFlow's global seed is set to 0 here, once. :func:`set_seed` seeds everything again.

Values already set in the environment are kept (``os.environ.setdefault``).

Examples
--------
>>> import os
>>> os.environ["TF_CPP_MIN_LOG_LEVEL"], os.environ["TF_ENABLE_ONEDNN_OPTS"]
('2', '0')
>>> set_seed(0)
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.validation import check_int  # noqa: E402

tf.config.experimental.enable_op_determinism()
tf.random.set_seed(0)

__all__ = ["set_seed"]


def set_seed(seed):
    """Seed Python, numpy and TensorFlow at once (``keras.utils.set_random_seed``).

    Examples
    --------
    >>> set_seed(3)
    >>> set_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be a non-negative integer, got -1
    """
    keras.utils.set_random_seed(check_int(seed, "seed"))
