"""Exercises for lesson 04: a real net's sharpness predicts its blow-up.

Pure arithmetic on the lesson's ideas, so this module needs no TensorFlow.

>>> from helpers.exercises import lesson04
>>> lesson04.q2.check(4.0)
Not yet: 4 = |1 - lr·λ| is the factor for the distance along the sharpest direction; the loss is quadratic in that distance, so square it.
False
"""

from helpers.exercises.core import ChoiceExercise, NumberExercise

_S, _BATCH = 5000.0, 32

q1 = NumberExercise(
    prompt=f"A net's sharpness at initialization is measured as {_S:,.0f}. What is its critical learning rate "
           "for plain SGD?",
    expected=2 / _S,
    mistakes=[
        (1 / _S, "that is 1/λ_max, the step that would land exactly on the minimum along the sharpest direction; "
                 "divergence starts at 2/λ_max."),
        (2 / (_S * _BATCH), "the mean loss's Hessian does not grow with the batch size; only a SUMMED loss "
                            "(reduce_sum) would multiply it by the batch size."),
    ],
    hints=["critical_lr = 2 / sharpness."],
    solution=f"2 / {_S:,.0f} = {2 / _S:.1e}, so lr = 1e-3 is 2.5 times above it and should diverge.",
)

_lr = 1e-3
q2 = NumberExercise(
    prompt=f"Same net, lr = {_lr:g}, sharpness {_S:,.0f}. Near a quadratic minimum, by what factor does the loss "
           "along the sharpest direction grow per step?",
    expected=(1 - _lr * _S) ** 2,
    mistakes=[
        (abs(1 - _lr * _S), f"{abs(1 - _lr * _S):g} = |1 - lr·λ| is the factor for the distance along the sharpest "
                            "direction; the loss is quadratic in that distance, so square it."),
        (_lr * _S, "lr·λ is the step relative to the curvature; the factor is (1 - lr·λ)²."),
    ],
    hints=["Lesson 1: on a parabola the loss is multiplied by (1 - lr·f'')² per step."],
    solution=f"(1 - {_lr:g}·{_S:,.0f})² = (-4)² = 16 per step: a thousand to a trillion in about 8 steps.",
)

q3 = ChoiceExercise(
    prompt="In the lesson's 1e-3 run, where did the first nan come from?",
    options={
        "a": ("The loss grew until it overflowed float32 to inf; arithmetic on inf then gave nan.",
              "once a value overflows float32 (about 3.4e38) it becomes inf, and arithmetic such as inf - inf "
              "or 0 · inf has no defined value, so IEEE 754 returns nan, which then spreads to every weight."),
        "b": ("Something in the loss divided by zero.",
              "nothing divides by zero in a mean squared error; the loss was finite and growing geometrically "
              "right up to the overflow."),
        "c": ("The large rate turned the step uphill, so gradient descent climbed the loss on purpose.",
              "the learning rate stays positive; each step still goes against the gradient. It overshoots "
              "by more than it gains, which is why the loss grows."),
    },
    correct="a",
    hints=["Look at the last finite loss and the first inf in the run, then at the operation that produced nan."],
    solution="Geometric growth -> overflow to inf -> inf - inf or 0·inf -> nan.",
)
