"""Curvature of a Keras model: Hessian-vector products, sharpness and the critical rate.

Claims tested: H v from nested tapes equals the Hessian (checked against gradient finite
differences and against a closed form); ``sharpness`` is the largest *algebraic* eigenvalue of
the dense Hessian, even when the most negative eigenvalue is larger in magnitude (where power
iteration gets it wrong); on linear regression ``critical_lr`` equals 2 / lambda_max of
(2/n) [X 1]^T [X 1], and full-batch SGD converges at 0.9 x critical_lr and diverges at 1.1 x.
"""

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

from helpers import curvature
from helpers.curvature import HessianOperator, critical_lr, dense_hessian, hvp, sharpness
from helpers.eigen import power_iteration
from helpers.experiment import train_sgd
from helpers.net.env import set_seed

import keras


def mlp(seed, sizes=(3, 5, 4, 1), activation="tanh", dtype="float64"):
    set_seed(seed)
    layers = [keras.Input((sizes[0],), dtype=dtype)]
    layers += [keras.layers.Dense(n, activation=activation, dtype=dtype) for n in sizes[1:-1]]
    layers += [keras.layers.Dense(sizes[-1], dtype=dtype)]
    return keras.Sequential(layers)


def data(seed, n=20, d=3, scale=1.0, offset=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * scale
    y = rng.normal(size=(n, 1)) + offset
    return x, y


def flat_gradient(model, x, y):
    return HessianOperator(model, x, y).loss_and_gradient()[1]


def set_flat(model, w):
    start = 0
    for v in model.trainable_variables:
        size = int(np.prod(v.shape))
        v.assign(w[start:start + size].reshape(v.shape))
        start += size


def test_hvp_equals_central_difference_of_the_gradient():
    model = mlp(0)
    x, y = data(0)
    w0 = np.concatenate([v.numpy().ravel() for v in model.trainable_variables])
    v = np.random.default_rng(1).normal(size=w0.size)
    eps = 1e-5
    set_flat(model, w0 + eps * v)
    g_plus = flat_gradient(model, x, y)
    set_flat(model, w0 - eps * v)
    g_minus = flat_gradient(model, x, y)
    set_flat(model, w0)
    np.testing.assert_allclose(hvp(model, x, y, v), (g_plus - g_minus) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_hvp_equals_dense_hessian_times_v_and_hessian_is_symmetric():
    model = mlp(2, sizes=(2, 6, 3, 1), activation="sigmoid")
    x, y = data(2, d=2)
    op = HessianOperator(model, x, y)
    hess = dense_hessian(model, x, y, block=7)
    raw = op.matmat(np.eye(op.shape[0]))
    np.testing.assert_allclose(raw, raw.T, rtol=1e-9, atol=1e-10)
    for seed in range(3):
        v = np.random.default_rng(seed).normal(size=op.shape[0])
        np.testing.assert_allclose(hess @ v, op.matvec(v), rtol=1e-9, atol=1e-10)


def test_linear_regression_hessian_is_two_over_n_xtx():
    x, y = data(3, n=30, d=4)
    model = mlp(3, sizes=(4, 1))
    design = np.hstack([x, np.ones((30, 1))])
    np.testing.assert_allclose(dense_hessian(model, x, y), 2 / 30 * design.T @ design, rtol=1e-10)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), activation=st.sampled_from(["tanh", "sigmoid", "softplus"]),
       offset=st.floats(-5, 5))
def test_sharpness_is_the_largest_algebraic_eigenvalue(seed, activation, offset):
    model = mlp(seed % 1000, sizes=(3, 4, 3, 1), activation=activation)
    x, y = data(seed, offset=offset)
    top = np.linalg.eigvalsh(dense_hessian(model, x, y))[-1]
    info = sharpness(model, x, y, tol=1e-6, return_info=True)
    assert info.sharpness == pytest.approx(top, rel=1e-5, abs=1e-9)
    assert info.converged and info.hvps <= info_size(model)


def info_size(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def negative_dominated_model():
    """A tanh net bent the other way: positive first layer, negative output weights, target 30.

    The error (about -30) times the tanh's negative second derivative makes the Hessian's most
    negative eigenvalue larger in magnitude than its largest positive one.
    """
    set_seed(7)
    model = keras.Sequential([keras.Input((2,), dtype="float64"),
                              keras.layers.Dense(8, activation="tanh", dtype="float64"),
                              keras.layers.Dense(1, dtype="float64")])
    k1, b1, k2, b2 = model.get_weights()
    model.set_weights([np.abs(k1), b1, -np.abs(k2), b2])
    rng = np.random.default_rng(7)
    x = rng.uniform(0.5, 1.5, size=(40, 2))
    y = 30.0 + rng.normal(size=(40, 1))
    return model, x, y


def test_sharpness_is_algebraic_when_the_negative_eigenvalue_dominates():
    model, x, y = negative_dominated_model()
    eigs = np.linalg.eigvalsh(dense_hessian(model, x, y))
    assert -eigs[0] > 1.2 * eigs[-1] > 0, eigs[[0, -1]]  # the premise of this test
    assert sharpness(model, x, y) == pytest.approx(eigs[-1], rel=1e-4)
    assert critical_lr(model, x, y) == pytest.approx(2 / eigs[-1], rel=1e-4)
    op = HessianOperator(model, x, y)
    value, used = power_iteration(op.matvec, op.shape[0], max_iter=100, tol=1e-3)
    assert value < 0  # what PyHessian's method reports here: the most negative eigenvalue
    assert value == pytest.approx(eigs[0], rel=1e-2)


def test_sharpness_on_the_lesson_net_matches_dense_hessian():
    from helpers.experiment import LESSON, make_experiment
    from dataclasses import replace
    model, x, y = make_experiment(replace(LESSON, width=16, n_samples=256), seed=0)
    top = np.linalg.eigvalsh(dense_hessian(model, x, y))[-1]
    info = sharpness(model, x, y, return_info=True)
    assert abs(info.sharpness - top) <= 1e-3 * top
    assert info.critical_lr == pytest.approx(2 / info.sharpness)


def linear_regression(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32) * np.array([1.0, 2.0, 0.5], np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 3 + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    set_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    design = np.hstack([x, np.ones((n, 1))]).astype(np.float64)
    lam_max = np.linalg.eigvalsh(2 / n * design.T @ design)[-1]
    return model, x, y, lam_max, design


def test_critical_lr_of_linear_regression_is_two_over_lambda_max():
    model, x, y, lam_max, _ = linear_regression()
    assert critical_lr(model, x, y) == pytest.approx(2 / lam_max, rel=1e-4)


@pytest.mark.parametrize("factor, converges", [(0.9, True), (1.1, False)])
def test_full_batch_sgd_converges_below_and_diverges_above_critical_lr(factor, converges):
    model, x, y, lam_max, design = linear_regression()
    lr = factor * critical_lr(model, x, y)
    result = train_sgd(model, x, y, lr=lr, epochs=2000, batch_size=len(x))
    best = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)[0]
    optimum = float(np.mean((design @ best - y) ** 2))
    if converges:
        assert not result.diverged
        assert result.final_loss == pytest.approx(optimum, rel=1e-3)
    else:
        assert result.diverged
        # Once the top mode dominates, each step multiplies the loss by (1 - lr lambda)^2 = 1.44.
        ratio = result.losses[-20:-2] / result.losses[-21:-3]
        np.testing.assert_allclose(ratio, (1 - lr * lam_max) ** 2, rtol=1e-2)


def test_arguments_are_validated():
    model, x, y, *_ = linear_regression()
    with pytest.raises(ValueError, match="tol must be a positive finite number, got -1"):
        sharpness(model, x, y, tol=-1)
    with pytest.raises(TypeError, match="max_hvps must be an integer"):
        sharpness(model, x, y, max_hvps=2.5)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        hvp("model", x, y, np.zeros(4))
    with pytest.raises(ValueError, match="v must have 4 entries"):
        hvp(model, x, y, np.zeros(3))
    with pytest.raises(ValueError, match="y must have one row per row of x"):
        critical_lr(model, x, y[:5])


def test_module_sets_tensorflow_environment_before_import():
    import os
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert curvature.__name__ == "helpers.curvature"


def test_building_many_hessian_operators_logs_no_retracing_warning(caplog):
    """Each operator traces once by design; TensorFlow's "frequent retracing" warning must not reach a lesson."""
    import logging

    import tensorflow as tf

    from helpers.curvature import HessianOperator
    from helpers.experiment import make_experiment

    model, x, y = make_experiment(seed=0)
    with caplog.at_level(logging.WARNING, logger=tf.get_logger().name):
        for _ in range(12):
            op = HessianOperator(model, x[:64], y[:64])
            op.matvec(np.ones(op.shape[0]))
            op.matvec(np.ones(op.shape[0]))
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
