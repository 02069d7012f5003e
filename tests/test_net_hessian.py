"""The Hessian of any Keras loss, as a LinearOperator, and the sharpness read from it.

Claims: the Hessian-vector products are those of the loss (checked against central finite
differences of the gradient, in float64) for a softmax classifier with sparse categorical
cross-entropy, a small Conv2D net and a net with BatchNorm and Dropout (inference mode);
``sharpness`` and ``min_eigenvalue`` are the extreme eigenvalues of the dense Hessian (and
``min_eigenvalue(..., return_info=True)`` its bottom eigenvector); with
``batch_size`` or a ``tf.data`` input the value is that of the whole data to 1e-5 relative;
``critical_lr`` is 2/lambda, 2(1+beta)/lambda or 2(1+beta)/((1+2beta)lambda) by optimizer, and
refuses Adam saying why; on lesson 4's net it keeps the meaning of ``helpers.curvature``.
"""

import numpy as np
import pytest

from helpers.net.env import set_seed
from helpers.net.hessian import (HessianOperator, critical_lr, dense_hessian, hvp, min_eigenvalue,
                                 optimizer_momentum, preconditioned_sharpness, sharpness)

import keras
import tensorflow as tf
from scipy.sparse.linalg import LinearOperator, eigsh

pytestmark = pytest.mark.slow

SCCE = "sparse_categorical_crossentropy"


def classifier(dtype="float64"):
    set_seed(1)
    return keras.Sequential([keras.Input((4,), dtype=dtype),
                             keras.layers.Dense(6, activation="tanh", dtype=dtype),
                             keras.layers.Dense(3, activation="softmax", dtype=dtype)])


def class_data(n=40):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, 4))
    return x, rng.integers(0, 3, n).astype("int32")


def conv_net(dtype="float64"):
    set_seed(3)
    return keras.Sequential([keras.Input((6, 6, 1), dtype=dtype),
                             keras.layers.Conv2D(3, 3, activation="tanh", dtype=dtype),
                             keras.layers.Flatten(dtype=dtype),
                             keras.layers.Dense(3, activation="softmax", dtype=dtype)])


def image_data(n=24):
    rng = np.random.default_rng(4)
    return rng.standard_normal((n, 6, 6, 1)), rng.integers(0, 3, n).astype("int32")


def bn_dropout_net(dtype="float64"):
    set_seed(5)
    model = keras.Sequential([keras.Input((4,), dtype=dtype),
                              keras.layers.Dense(5, dtype=dtype),
                              keras.layers.BatchNormalization(dtype=dtype),
                              keras.layers.Activation("tanh", dtype=dtype),
                              keras.layers.Dropout(0.5, dtype=dtype),
                              keras.layers.Dense(1, dtype=dtype)])
    bn = model.layers[1]
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights([gamma, beta, mean + 0.7, var * 3.0])  # moving statistics far from a batch's own
    return model


def finite_difference_hvp(model, loss_fn, x, y, v, eps=1e-5):
    """(grad L(w + eps v) - grad L(w - eps v)) / 2 eps, with the model in inference mode."""
    variables = model.trainable_variables
    start = [w.numpy() for w in variables]
    parts = np.split(v, np.cumsum([w.size for w in start])[:-1])

    def grad_at(sign):
        for w, w0, p in zip(variables, start, parts):
            w.assign(w0 + sign * eps * p.reshape(w0.shape))
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=False))
        return np.concatenate([g.numpy().ravel() for g in tape.gradient(loss, variables)])

    try:
        return (grad_at(1) - grad_at(-1)) / (2 * eps)
    finally:
        for w, w0 in zip(variables, start):
            w.assign(w0)


CASES = {
    "softmax + sparse CE": (classifier, class_data, SCCE, keras.losses.sparse_categorical_crossentropy),
    "Conv2D + sparse CE": (conv_net, image_data, SCCE, keras.losses.sparse_categorical_crossentropy),
    "BatchNorm + Dropout + MSE": (bn_dropout_net, lambda: (class_data()[0], np.sin(class_data()[0][:, :1])),
                                  None, keras.losses.mean_squared_error),
}


@pytest.mark.parametrize("case", CASES)
def test_hvp_is_the_second_derivative_of_that_loss(case):
    make, data, loss, loss_fn = CASES[case]
    model, (x, y) = make(), data()
    op = HessianOperator(model, x, y, loss=loss)
    v = np.random.default_rng(0).standard_normal(op.shape[0])
    reference = finite_difference_hvp(model, lambda t, p: tf.reduce_mean(loss_fn(t, p)), x, y, v)
    np.testing.assert_allclose(op.matvec(v), reference, rtol=1e-5, atol=1e-7 * np.abs(reference).max())


@pytest.mark.parametrize("case", CASES)
def test_sharpness_and_min_eigenvalue_are_the_dense_hessians_extremes(case):
    make, data, loss, _ = CASES[case]
    model, (x, y) = make(), data()
    eigs = np.linalg.eigvalsh(dense_hessian(model, x, y, loss=loss, block=64))
    info = sharpness(model, x, y, loss=loss, tol=1e-8, return_info=True)
    assert info.sharpness == pytest.approx(eigs[-1], rel=1e-6)
    assert info.converged and info.critical_lr == pytest.approx(2 / eigs[-1], rel=1e-6)
    assert min_eigenvalue(model, x, y, loss=loss, tol=1e-8) == pytest.approx(eigs[0], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_min_eigenvalue_returns_the_dense_hessians_bottom_eigenvector_when_asked(case):
    make, data, loss, _ = CASES[case]
    model, (x, y) = make(), data()
    hessian = dense_hessian(model, x, y, loss=loss, block=64)
    values, vectors = np.linalg.eigh(hessian)
    info = min_eigenvalue(model, x, y, loss=loss, tol=1e-8, return_info=True)
    assert info.min_eigenvalue == min_eigenvalue(model, x, y, loss=loss, tol=1e-8)   # the same iteration
    assert info.min_eigenvalue == pytest.approx(values[0], rel=1e-6, abs=1e-9)
    assert info.converged and 0 < info.hvps <= 200
    assert np.linalg.norm(info.vector) == pytest.approx(1.0, rel=1e-12)
    # an eigenvector of the dense Hessian for that eigenvalue (up to sign) ...
    np.testing.assert_allclose(hessian @ info.vector, values[0] * info.vector,
                               atol=1e-6 * np.abs(values).max())
    if values[1] - values[0] > 1e-6 * np.abs(values).max():           # ... and, when it is simple, the one eigh finds
        assert abs(info.vector @ vectors[:, 0]) == pytest.approx(1.0, abs=1e-6)


def test_the_hessian_is_a_scipy_linear_operator_that_eigsh_accepts():
    model, (x, y) = classifier(), class_data()
    op = HessianOperator(model, x, y, loss=SCCE)
    assert isinstance(op, LinearOperator) and op.dtype == np.float64
    top = eigsh(op, k=1, which="LA", tol=1e-8)[0][0]
    assert top == pytest.approx(sharpness(model, x, y, loss=SCCE, tol=1e-8), rel=1e-6)
    assert op.hvps > 0


def test_inference_mode_makes_dropout_models_deterministic():
    model, x = bn_dropout_net(), class_data()[0]
    op = HessianOperator(model, x, np.sin(x[:, :1]))
    v = np.random.default_rng(1).standard_normal(op.shape[0])
    np.testing.assert_array_equal(op.matvec(v), op.matvec(v))


@pytest.mark.parametrize("case", CASES)
def test_batched_and_tf_data_equal_the_whole_data_to_1e_5(case):
    make, data, loss, _ = CASES[case]
    model, (x, y) = make("float32"), data()
    whole = HessianOperator(model, x, y, loss=loss)
    batched = HessianOperator(model, x, y, loss=loss, batch_size=7)  # uneven last batch
    dataset = tf.data.Dataset.from_tensor_slices((x.astype("float32"), y)).batch(9)
    streamed = HessianOperator(model, dataset, loss=loss)
    v = np.random.default_rng(2).standard_normal(whole.shape[0])
    full = whole.matvec(v)
    for other in (batched, streamed):
        np.testing.assert_allclose(other.matvec(v), full, rtol=1e-5, atol=1e-5 * np.abs(full).max())
    top = sharpness(model, x, y, loss=loss)
    assert sharpness(model, x, y, loss=loss, batch_size=7) == pytest.approx(top, rel=1e-5)
    assert sharpness(model, dataset, loss=loss) == pytest.approx(top, rel=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_loss_value_is_loss_and_gradients_loss_without_the_gradient(case):
    """sharpness_along (lesson 4) reads the loss alone: the same float, batched or not, as the weights move."""
    make, data, loss, _ = CASES[case]
    model, (x, y) = make("float32"), data()
    rng = np.random.default_rng(3)
    for batch_size in (None, 7):
        op = HessianOperator(model, x, y, loss=loss, batch_size=batch_size)
        for _ in range(3):
            assert op.loss_value() == op.loss_and_gradient()[0]
            for w in model.trainable_variables:
                w.assign(w.numpy() * rng.uniform(0.5, 3.0))


def test_a_summed_loss_is_n_times_the_mean_batched_or_not():
    model, (x, y) = classifier(), class_data()
    summed = keras.losses.SparseCategoricalCrossentropy(reduction="sum")
    mean = sharpness(model, x, y, loss=SCCE, tol=1e-8)
    assert sharpness(model, x, y, loss=summed, tol=1e-8) == pytest.approx(len(x) * mean, rel=1e-6)
    assert sharpness(model, x, y, loss=summed, batch_size=16, tol=1e-8) == pytest.approx(len(x) * mean, rel=1e-6)


def test_a_callable_loss_is_averaged_like_a_keras_one():
    model, (x, y) = classifier(), class_data()
    fn = lambda t, p: keras.losses.sparse_categorical_crossentropy(t, p)  # noqa: E731
    assert sharpness(model, x, y, loss=fn, tol=1e-8) == pytest.approx(
        sharpness(model, x, y, loss=SCCE, tol=1e-8), rel=1e-9)


def test_critical_lr_by_optimizer():
    model, (x, y) = classifier(), class_data()
    lam = sharpness(model, x, y, loss=SCCE, tol=1e-8)
    kw = dict(loss=SCCE, tol=1e-8)
    assert critical_lr(model, x, y, **kw) == pytest.approx(2 / lam, rel=1e-9)
    assert critical_lr(model, x, y, optimizer=keras.optimizers.SGD(momentum=0.9), **kw) == pytest.approx(
        2 * 1.9 / lam, rel=1e-6)
    assert critical_lr(model, x, y, optimizer=keras.optimizers.SGD(momentum=0.9, nesterov=True),
                       **kw) == pytest.approx(2 * 1.9 / (2.8 * lam), rel=1e-6)
    assert optimizer_momentum("sgd") == (0.0, False)


@pytest.mark.parametrize("optimizer", [keras.optimizers.Adam(), keras.optimizers.RMSprop(), "adam"])
def test_critical_lr_refuses_other_optimizers_and_says_why(optimizer):
    model, (x, y) = classifier(), class_data()
    with pytest.raises(ValueError, match=r"knows plain SGD .*momentum .*Nesterov.*no single threshold"):
        critical_lr(model, x, y, optimizer=optimizer, loss=SCCE)


def test_preconditioned_sharpness_is_that_of_the_rescaled_dense_hessian():
    model, (x, y) = classifier(), class_data()
    hess = dense_hessian(model, x, y, loss=SCCE)
    p = np.random.default_rng(3).uniform(0.5, 2.0, hess.shape[0])
    scaled = hess / np.sqrt(np.outer(p, p))
    assert preconditioned_sharpness(model, x, y, p, loss=SCCE, tol=1e-8) == pytest.approx(
        np.linalg.eigvalsh(scaled)[-1], rel=1e-6)


def test_on_lesson_4s_net_it_keeps_the_meaning_of_helpers_curvature():
    from helpers import curvature
    from helpers.experiment import make_experiment

    model, x, y = make_experiment(seed=0)
    old = curvature.sharpness(model, x, y, tol=1e-6)
    assert sharpness(model, x, y, tol=1e-6) == pytest.approx(old, rel=1e-5)
    assert sharpness(model, x, y, batch_size=256, tol=1e-6) == pytest.approx(old, rel=1e-5)
    v = np.random.default_rng(0).standard_normal(model.count_params())
    np.testing.assert_allclose(hvp(model, x, y, v), curvature.hvp(model, x, y, v), rtol=1e-5,
                               atol=1e-6 * np.abs(curvature.hvp(model, x, y, v)).max())


def test_bad_inputs_name_themselves():
    model, (x, y) = classifier(), class_data()
    with pytest.raises(ValueError, match="loss"):
        sharpness(model, x, y, loss="no such loss")
    with pytest.raises(ValueError, match="reduce to a scalar"):
        sharpness(model, x, y, loss=keras.losses.SparseCategoricalCrossentropy(reduction=None))
    with pytest.raises(ValueError, match="finite"):
        sharpness(model, tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat())
    with pytest.raises(ValueError, match="y and batch_size must be None"):
        sharpness(model, tf.data.Dataset.from_tensor_slices((x, y)).batch(8), y)
    with pytest.raises(ValueError, match="one row per row"):
        sharpness(model, x, y[:-1])
    with pytest.raises(ValueError, match="finite"):
        sharpness(model, np.full_like(x, np.nan), y)
    with pytest.raises(TypeError, match="keras.Model"):
        sharpness("model", x, y)
    with pytest.raises(ValueError, match="tol"):
        sharpness(model, x, y, tol=0.0)
