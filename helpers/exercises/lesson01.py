"""Exercises for lesson 01: a learning rate is only "large" against the curvature.

>>> from helpers.exercises import lesson01
>>> lesson01.q1.check(None)
Not answered yet: replace the ... (or None) in this cell with your answer, then run it again.
"""

from helpers.descent import FLOAT32_MAX, blowup_clock
from helpers.exercises.core import ChoiceExercise, NumberExercise
from helpers.quadratic import Quadratic

_bowl = Quadratic(50.0)  # f(w) = 25 w**2, so f'' = 50

q1 = NumberExercise(
    prompt="Gradient descent on f(w) = 25 w². Above which learning rate does it diverge?",
    expected=_bowl.critical_lr,
    mistakes=[
        (1 / _bowl.sharpness, "that is 1/f'', the rate that lands on the minimum in one step. "
                              "Divergence starts where |1 - lr·f''| passes 1, at twice that."),
        (2 / 25, "25 is the coefficient, not the curvature: f''(w) of 25 w² is 50."),
    ],
    hints=["One step multiplies w by (1 - lr·f''). When does that factor leave [-1, 1]?",
           "f(w) = 25 w² has f''(w) = 50."],
    solution="f'' = 50; the factor 1 - 50·lr passes -1 at lr = 2/50 = 0.04.",
)

_steep, _lr = Quadratic(20.0), 0.14  # 10 w**2, as in the lesson, at a rate the lesson does not run
_growth = _steep.contraction(_lr) ** 2
_overflow = blowup_clock(1000.0, _growth, thresholds=(FLOAT32_MAX,)).predicted[0]

q2 = NumberExercise(
    prompt=(f"The lesson ran f(w) = 10 w² at lr = 0.12. Now take lr = {_lr}, starting where the loss is 1000: at "
            "which step does the loss first pass float32's largest number (about 3.4e38)? Predict it from the "
            "growth factor before running anything."),
    expected=_overflow,
    rtol=1e-9,
    mistakes=[
        (blowup_clock(1000.0, _steep.contraction(_lr), thresholds=(FLOAT32_MAX,)).predicted[0],
         f"you grew the loss by |1 - lr·f''| = {_steep.contraction(_lr):.1f} per step; that is the factor for w. "
         f"The loss is quadratic in w, so it grows by {_steep.contraction(_lr):.1f}² = {_growth:.2f}."),
        (blowup_clock(1000.0, _growth, thresholds=(1e12,)).predicted[0],
         "that is when the loss passes a trillion (1e12); overflow (3.4e38) is further."),
        (122, "122 is the lesson's answer for lr = 0.12; at this rate the factor is different."),
    ],
    hints=["Per step the loss is multiplied by r = (1 - lr·f'')².",
           "Solve 1000 · r^k > 3.4e38 for the smallest whole k: k = floor(log(3.4e38/1000)/log r) + 1."],
    solution=(f"r = (1 - {_lr}·20)² = {_growth:.2f}; k = floor(log(3.4e38/1e3)/log {_growth:.2f}) + 1 = {_overflow}. "
              f"helpers.descent.blowup_clock(1000, {_growth:.2f}) computes the same."),
)

q3 = ChoiceExercise(
    prompt=("The thread's second answer asks us to imagine x², and its figure at lr = 0.12 moves further out at "
            "every step. On x² itself, what does gradient descent at lr = 0.12 do?"),
    options={
        "a": ("It converges: w shrinks towards 0 at every step.",
              f"on x², f'' = 2, so each step multiplies w by 1 - 0.12·2 = {1 - 0.12 * 2:.2f}; the threshold 2/f'' = 1 "
              "is far above 0.12."),
        "b": ("It diverges: every step lands further from 0 than it started.",
              f"on x² the threshold is 2/f'' = 1, far above 0.12; 0.12 diverges only on bowls with "
              f"f'' > 2/0.12 ≈ {2 / 0.12:.1f}."),
        "c": ("It jumps back and forth across the minimum forever, never settling.",
              f"the factor 1 - 0.12·2 = {1 - 0.12 * 2:.2f} is positive and below 1, so w keeps its sign "
              "and slides monotonically to 0."),
    },
    correct="a",
    hints=["Compute the factor 1 - lr·f'' with f'' = 2: its size says whether w shrinks, its sign whether "
           "w changes side."],
    solution="Factor 1 - 0.12·2 = 0.76: it converges without overshooting. So a figure that moves further "
             "out at 0.12 shows a steeper function than x² (f'' > 16.7). 'Large' means large against the curvature.",
)
