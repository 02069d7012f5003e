"""helpers.mlp: the numpy network's gradient is the derivative of its loss, and the replay is plain SGD."""

import numpy as np
import pytest

from helpers.mlp import gauss_newton_sharpness, loss_along_step, loss_and_gradient, sgd_replay


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
    flat = np.concatenate([g.ravel() for g in loss_and_gradient(weights, x, y)[1]])
    assert flat @ direction == pytest.approx((plus - minus) / (2 * h), rel=1e-5)


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
    with pytest.raises(ValueError, match="lr must be a positive"):
        sgd_replay(weights, x, y, -1.0, [[0, 1]])
    with pytest.raises(ValueError, match="batches must index rows 0..3"):
        sgd_replay(weights, x, y, 0.1, [[0, 9]])
    with pytest.raises(ValueError, match="after must have the shapes of before"):
        loss_along_step(weights, weights[:2], x, y, [0.0])
    with pytest.raises(ValueError, match="t must"):
        loss_along_step(weights, weights, x, y, [0.0, np.nan])
    with pytest.raises(ValueError, match="weights must end in a layer with one output"):
        gauss_newton_sharpness(weights[:2], x)
    with pytest.raises(ValueError, match="tol must be"):
        gauss_newton_sharpness(weights, x, tol=0.0)


def test_the_loss_along_a_step_runs_from_the_loss_before_to_the_loss_after():
    rng = np.random.default_rng(3)
    weights, x, y = _net(rng), rng.normal(size=(10, 3)), rng.normal(size=10)
    after = sgd_replay(weights, x, y, 0.05, [np.arange(10)]).weights[-1]
    ends = loss_along_step(weights, after, x, y, [0.0, 0.5, 1.0])
    assert ends[0] == loss_and_gradient(weights, x, y)[0] and ends[2] == loss_and_gradient(after, x, y)[0]
    middle = [w + 0.5 * (a - w) for w, a in zip(weights, after)]
    assert ends[1] == pytest.approx(loss_and_gradient(middle, x, y)[0], rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_the_gauss_newton_sharpness_is_the_top_eigenvalue_of_2_over_n_jacobian_squared(seed):
    """J built column by column from central differences of the outputs; its (2/n) JᵀJ's top eigenvalue."""
    rng = np.random.default_rng(seed)
    weights, x = _net(rng), rng.normal(size=(12, 3))
    sizes = [w.size for w in weights]
    flat = np.concatenate([w.ravel() for w in weights])

    def outputs(vector):
        parts = [p.reshape(w.shape) for p, w in zip(np.split(vector, np.cumsum(sizes)[:-1]), weights)]
        h = x
        for i in range(0, len(parts), 2):
            z = h @ parts[i] + parts[i + 1]
            h = np.where(z > 0, z, 0.2 * z) if i < len(parts) - 2 else z
        return h.ravel()

    h = 1e-6
    jacobian = np.stack([(outputs(flat + h * e) - outputs(flat - h * e)) / (2 * h) for e in np.eye(flat.size)], axis=1)
    expected = np.linalg.eigvalsh(2 / x.shape[0] * jacobian.T @ jacobian)[-1]
    assert gauss_newton_sharpness(weights, x) == pytest.approx(expected, rel=1e-5)

