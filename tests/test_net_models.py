"""One MLP builder gives the very nets of lessons 4, 5 and 6 (same seed, same weights)."""

import numpy as np
import pytest

from helpers.net.models import mlp

import keras

pytestmark = pytest.mark.slow


def same_weights(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights())) and \
        len(a.get_weights()) == len(b.get_weights())


@pytest.mark.parametrize("seed", [0, 7])
def test_lesson_4s_net(seed):
    from helpers.experiment import make_model

    assert same_weights(mlp(4, (64, 64), "leaky_relu", seed=seed), make_model(seed=seed))


def test_lesson_5s_initializers():
    from helpers.fixes import make_model_with_init

    assert same_weights(mlp(4, (64, 64), "leaky_relu", kernel_initializer="he_normal", seed=3),
                        make_model_with_init("he_normal", seed=3))
    assert same_weights(mlp(4, (64, 64), "leaky_relu", seed=3,
                            kernel_initializer=keras.initializers.RandomNormal(stddev=1.0), scale=0.5),
                        make_model_with_init("normal_1", scale=0.5, seed=3))


def test_lesson_6s_small_net():
    from helpers.dynamics import make_small_model

    assert same_weights(mlp(4, (16, 16), "tanh", seed=2), make_small_model(seed=2))
