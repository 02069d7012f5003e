"""Momentum moves the stable range: heavy ball below 2(1+beta)/lambda, Nesterov below 2(1+beta)/((1+2beta)lambda).

Property-tested on quadratics with the descent that Keras's SGD applies
(:func:`helpers.momentum.momentum_descent`): at 0.95 x the threshold every run converges, at
1.05 x every run diverges (float32 overflow), whatever the curvature, momentum and start.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.descent import gradient_descent
from helpers.momentum import check_momentum, critical_lr, heavy_ball_peak, heavy_ball_roots, momentum_descent

curvatures = st.floats(0.01, 1e3)
momenta = st.floats(0.0, 0.95)
starts = st.floats(0.1, 100.0)


def bowl(top, ratio):
    """A 2-D quadratic with eigenvalues ``top`` and ``ratio * top``: gradient and loss."""
    h = np.array([top, ratio * top])
    return (lambda w: h * w), (lambda w: 0.5 * float(w @ (h * w)))


@settings(max_examples=60, deadline=None)
@given(top=curvatures, ratio=st.floats(0.0, 1.0), beta=momenta, nesterov=st.booleans(), w0=starts)
def test_converges_at_095_and_diverges_at_105_of_the_threshold(top, ratio, beta, nesterov, w0):
    grad, loss = bowl(top, ratio)
    threshold = critical_lr(top, momentum=beta, nesterov=nesterov)
    start = [w0, -w0]
    below = momentum_descent(grad, start, 0.95 * threshold, 2000, beta, nesterov, loss)
    above = momentum_descent(grad, start, 1.05 * threshold, 2000, beta, nesterov, loss)
    assert not below.diverged
    assert abs(below.path[-1, 0]) < 1e-3 * w0
    assert above.diverged


@settings(max_examples=30, deadline=None)
@given(top=curvatures, beta=momenta)
def test_nesterov_narrows_and_heavy_ball_widens_the_stable_range(top, beta):
    plain = critical_lr(top)
    assert plain == pytest.approx(2 / top)
    assert critical_lr(top, beta) == pytest.approx((1 + beta) * plain)
    # Nesterov's look-ahead makes the rate range *smaller* than plain GD's: (1 + b)/(1 + 2b) <= 1.
    assert 2 / 3 * plain < critical_lr(top, beta, nesterov=True) <= plain * (1 + 1e-12)


@settings(max_examples=30, deadline=None)
@given(top=curvatures, w0=starts, factor=st.floats(0.1, 3.0))
def test_zero_momentum_is_plain_gradient_descent(top, w0, factor):
    grad, loss = bowl(top, 0.5)
    lr = factor * critical_lr(top)
    plain = gradient_descent(grad, [w0, w0], lr, 200, loss)
    for nesterov in (False, True):
        run = momentum_descent(grad, [w0, w0], lr, 200, 0.0, nesterov, loss)
        np.testing.assert_array_equal(run.path, plain.path)   # one loop: beta = 0 is plain GD, bit for bit
        np.testing.assert_array_equal(run.losses, plain.losses)
        assert run.diverged_at == plain.diverged_at


def test_same_result_fields_as_descent_result_and_no_warnings():
    grad, loss = bowl(10.0, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = momentum_descent(grad, [1.0, 1.0], 10 * critical_lr(10.0, 0.9), 5000, 0.9, False, loss)
    k = run.diverged_at
    assert k is not None and run.steps == 5000 and run.lr == pytest.approx(10 * critical_lr(10.0, 0.9))
    assert np.all(np.isnan(run.losses[k + 1:])) and np.all(np.isfinite(run.losses[:k]))
    assert "diverged at step" in run.message


@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan")])
def test_momentum_outside_0_1_is_refused(bad):
    with pytest.raises(ValueError, match="momentum"):
        check_momentum(bad)
    with pytest.raises(ValueError, match="momentum"):
        momentum_descent(lambda w: w, [1.0], 0.1, 10, momentum=bad)


def test_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="momentum"):
        critical_lr(1.0, momentum="0.9")
    with pytest.raises(ValueError, match="sharpness"):
        critical_lr(float("inf"))
    with pytest.raises(TypeError, match="nesterov"):
        critical_lr(1.0, 0.5, nesterov="yes")
    with pytest.raises(TypeError, match="grad"):
        momentum_descent(3.0, [1.0], 0.1, 10)


@settings(max_examples=40, deadline=None)
@given(top=curvatures, beta=momenta, factor=st.floats(0.05, 0.99))
def test_heavy_ball_peak_is_the_largest_displacement_of_momentum_descent(top, beta, factor):
    # the 2x2 recurrence from zero velocity is what Keras's heavy ball does along one direction
    lr = factor * critical_lr(top, momentum=beta)
    run = momentum_descent(lambda w: top * w, [1.0], lr, 200, beta)
    assert heavy_ball_peak(lr * top, beta, steps=200) == pytest.approx(np.abs(run.path[:, 0]).max(), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(beta=momenta, factor=st.floats(0.05, 1.5))
def test_heavy_ball_roots_cross_1_at_the_threshold(beta, factor):
    modulus = np.abs(heavy_ball_roots(factor * 2 * (1 + beta), beta)).max()
    assert (modulus < 1 - 1e-9) if factor < 0.999 else (modulus > 1 + 1e-9) if factor > 1.001 else True


def test_the_overshoot_grows_with_the_rate_while_the_long_run_factor_does_not():
    # lesson 7: at 0.5, 0.7 and 0.9 x the heavy-ball threshold (beta = 0.9) the roots are complex with
    # modulus sqrt(beta); the first swing past the start is 1 (none), 1.66 and 2.778
    etas = [f * 2 * 1.9 for f in (0.5, 0.7, 0.9)]
    assert [float(np.abs(heavy_ball_roots(e, 0.9)).max()) for e in etas] == pytest.approx([0.9 ** 0.5] * 3)
    assert [heavy_ball_peak(e, 0.9) for e in etas] == pytest.approx([1.0, 1.66, 2.778], abs=1e-3)


@pytest.mark.parametrize("call, name", [(lambda: heavy_ball_peak(float("nan"), 0.9), "lr_times_sharpness"),
                                        (lambda: heavy_ball_roots("1", 0.9), "lr_times_sharpness"),
                                        (lambda: heavy_ball_peak(1.0, 1.0), "momentum"),
                                        (lambda: heavy_ball_peak(1.0, 0.5, steps=0), "steps")])
def test_heavy_ball_helpers_name_a_bad_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
