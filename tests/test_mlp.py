"""helpers.mlp: the numpy network's gradient is the derivative of its loss, and the replay is plain SGD."""

import numpy as np
import pytest

from helpers.mlp import gradient_along, loss_and_gradient, sgd_replay


def _net(rng, sizes=(3, 5, 4, 1)):
    weights = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        weights += [rng.normal(size=(a, b)), rng.normal(size=b)]
    return weights


@pytest.mark.parametrize("seed", range(5))
def test_the_gradient_is_the_derivative_of_the_loss(seed):
    """Central differences along a random direction agree with g · d (leaky ReLU is smooth off its kink)."""
    rng = np.random.default_rng(seed)
    weights, x, y = _net(rng), rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    direction = rng.normal(size=sum(w.size for w in weights))
    parts = np.split(direction, np.cumsum([w.size for w in weights])[:-1])
    step = [p.reshape(w.shape) for p, w in zip(parts, weights)]
    h = 1e-6
    plus = loss_and_gradient([w + h * s for w, s in zip(weights, step)], x, y)[0]
    minus = loss_and_gradient([w - h * s for w, s in zip(weights, step)], x, y)[0]
    assert gradient_along(weights, x, y, direction) == pytest.approx((plus - minus) / (2 * h), rel=1e-5)


def test_the_replay_takes_minibatch_gradient_steps():
    rng = np.random.default_rng(1)
    weights, x, y = _net(rng), rng.normal(size=(8, 3)), rng.normal(size=8)
    batches = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [1, 3, 5, 7]])
    replay = sgd_replay(weights, x, y, 0.01, batches)
    assert len(replay.weights) == 4 and replay.full_loss.shape == (4,)
    expected = [np.array(w, dtype=float) for w in weights]
    for rows in batches:
        _, grads = loss_and_gradient(expected, x[rows], y[rows])
        expected = [w - 0.01 * g for w, g in zip(expected, grads)]
    for got, want in zip(replay.weights[-1], expected):
        np.testing.assert_array_equal(got, want)
    assert replay.full_loss[-1] == loss_and_gradient(expected, x, y)[0]
    np.testing.assert_array_equal(replay.weights[0][0], weights[0])    # the input weights are not modified


def test_bad_arguments_are_named():
    rng = np.random.default_rng(2)
    weights, x, y = _net(rng), rng.normal(size=(4, 3)), rng.normal(size=4)
    with pytest.raises(ValueError, match="weights must be a list of kernels and biases"):
        loss_and_gradient(weights[:-1], x, y)
    with pytest.raises(ValueError, match=r"weights\[2\] has 4 inputs"):
        loss_and_gradient([weights[0], weights[1], rng.normal(size=(4, 1)), np.zeros(1)], x, y)
    with pytest.raises(ValueError, match="x must have 3 columns"):
        loss_and_gradient(weights, x[:, :2], y)
    with pytest.raises(ValueError, match="direction must have"):
        gradient_along(weights, x, y, np.ones(3))
    with pytest.raises(ValueError, match="lr must be a positive"):
        sgd_replay(weights, x, y, -1.0, [[0, 1]])
    with pytest.raises(ValueError, match="batches must index rows 0..3"):
        sgd_replay(weights, x, y, 0.1, [[0, 9]])
