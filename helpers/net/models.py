"""The course's one model builder: a seeded Keras MLP of any widths, activation and initializer.

Lessons 4-6 all use a multilayer perceptron: ``inputs -> widths... -> outputs``, the hidden
layers named ``hidden1, hidden2, ...`` and the last one ``output``. :func:`mlp` builds it from
a seed, so the same seed gives the same weights; ``scale`` multiplies every kernel after
initialisation (the "large init" of lesson 5).

Examples
--------
>>> model = mlp(4, (64, 64), "leaky_relu", seed=0)
>>> [layer.name for layer in model.layers], model.count_params()
(['hidden1', 'hidden2', 'output'], 4545)
"""

from __future__ import annotations

import numbers

import helpers.net.env  # noqa: F401  (TensorFlow's environment first)

import keras  # noqa: E402

from helpers.net.env import set_seed  # noqa: E402
from helpers.validation import check_int, check_positive  # noqa: E402

__all__ = ["mlp"]


def mlp(inputs, widths, activation="relu", outputs=1, *, kernel_initializer="glorot_uniform", scale=1.0,
        seed=0, name="mlp"):
    """A seeded Keras MLP: Dense layers of ``widths`` with ``activation``, then a linear output layer.

    Parameters
    ----------
    inputs : int
        Input features.
    widths : sequence of int
        Units of each hidden layer (may be empty: a linear model).
    activation : str or callable
        Of the hidden layers (any Keras activation).
    outputs : int
        Units of the (linear) output layer.
    kernel_initializer : str or keras.initializers.Initializer
        For every kernel, e.g. ``"he_normal"`` or ``keras.initializers.RandomNormal(stddev=1.0)``.
        Biases start at zero.
    scale : float
        Every kernel is multiplied by it after initialisation (1: unchanged).
    seed : int
        Seeds Python, numpy and TensorFlow (:func:`helpers.net.env.set_seed`) before the weights
        are drawn.
    name : str

    Returns
    -------
    keras.Sequential

    Examples
    --------
    >>> small = mlp(2, (3,), "tanh", kernel_initializer=keras.initializers.RandomNormal(stddev=1.0), scale=2.0)
    >>> [tuple(w.shape) for w in small.trainable_variables]
    [(2, 3), (3,), (3, 1), (1,)]
    >>> mlp(2, (0,))
    Traceback (most recent call last):
    ...
    ValueError: every width must be a positive integer, got 0
    """
    inputs = check_int(inputs, "inputs", 1)
    outputs = check_int(outputs, "outputs", 1)
    if isinstance(widths, numbers.Integral):
        raise TypeError(f"widths must be a sequence of integers, e.g. (64, 64), got {widths!r}")
    widths = [check_int(w, "every width", 1) for w in widths]
    scale = check_positive(scale, "scale")
    set_seed(seed)
    if isinstance(kernel_initializer, keras.initializers.Initializer):
        # An unseeded initializer draws its seed when made: remake it after set_seed (public config).
        kernel_initializer = type(kernel_initializer).from_config(kernel_initializer.get_config())
    layers = [keras.Input(shape=(inputs,))]
    layers += [keras.layers.Dense(w, activation=activation, kernel_initializer=kernel_initializer,
                                  name=f"hidden{i + 1}") for i, w in enumerate(widths)]
    layers += [keras.layers.Dense(outputs, kernel_initializer=kernel_initializer, name="output")]
    model = keras.Sequential(layers, name=name)
    if scale != 1.0:
        for layer in model.layers:
            layer.kernel.assign(layer.kernel * scale)
    return model
