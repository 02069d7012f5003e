"""Exercises for lesson 07: your own network.

>>> from helpers.exercises import lesson07
>>> lesson07.q2.check(1.9e-3)
Correct!
True
"""

from helpers.exercises.core import ChoiceExercise, NumberExercise

q1 = ChoiceExercise(
    prompt="A ReLU net on raw data, trained above its critical rate, never shows nan: its loss jumps in the first "
           "steps, then stays flat, far above var(y), the loss of predicting the mean. What most likely happened?",
    options={
        "a": ("Its ReLU units died.",
              "a unit whose input is <= 0 on every row outputs 0 and passes no gradient; with all of them off "
              "the net predicts its output bias for everyone, a constant. The bias alone still learns, but with "
              "curvature 2 at a rate set for λ_max it barely moves, so the loss stays where the units left it "
              "(in lesson 7's 4x run, about mean y²; at a larger rate the same net stuck far above it)."),
        "b": ("It converged to the best fit.",
              "the best fit of a squared-error model is at most var(y), the loss of predicting the mean: a loss "
              "stuck far above it is a net that stopped learning, not one that finished."),
        "c": ("The rate was below 2/sharpness after all.",
              "the prompt says the rate was above it, and a jump alone would not tell either way (in lesson 7 "
              "CNN runs at half their critical rate rose, and the tanh net at 4 x never rose); the loss stayed flat because the units "
              "had switched off and nothing left could grow (count them with helpers.net.regime.unit_fractions, "
              "which measures the dead and saturated shares of the units), not because the rate was small."),
        "d": ("Float32 overflow was avoided by Keras.",
              "Keras does nothing of the kind; the loss stays finite because nothing left in the net can grow."),
    },
    correct="a",
    hints=["What does a ReLU unit pass back when its input is negative on every row?"],
    solution="(a): measure it with helpers.net.regime.unit_fractions or check_learning_rate(..., regime=True): "
             "the dead share is near 100%.",
)

_SHARPNESS, _BETA = 2000.0, 0.9

q2 = NumberExercise(
    prompt=f"A net's sharpness is {_SHARPNESS:,.0f}. You train it with Keras SGD(momentum={_BETA}) "
           f"(heavy ball). Up to which learning rate is the sharpest direction stable?",
    expected=2 * (1 + _BETA) / _SHARPNESS,
    mistakes=[
        (2 / _SHARPNESS, "that is plain SGD's threshold 2/λ; heavy-ball momentum raises it by the factor (1 + β)."),
        (2 / (_SHARPNESS * (1 - _BETA)), "1/(1 - β) is how much longer a step grows under a steady gradient, "
                                          "not how far the threshold moves: that is (1 + β)."),
        (2 * (1 + _BETA) / ((1 + 2 * _BETA) * _SHARPNESS), "that is Nesterov's threshold; Keras's "
                                                           "SGD(momentum=...) is the heavy ball unless nesterov=True."),
    ],
    hints=["Heavy ball: η < 2(1 + β)/λ."],
    solution=f"2 (1 + {_BETA}) / {_SHARPNESS:,.0f} = {2 * (1 + _BETA) / _SHARPNESS:.2e}.",
)

q3 = ChoiceExercise(
    prompt="Your plain-SGD run trains at lr = 0.9 × 2/sharpness. You switch on nesterov=True with β = 0.9 and "
           "keep the rate. What do you expect along the sharpest direction?",
    options={
        "a": ("It becomes unstable.",
              "Nesterov's threshold with β = 0.9 is 2(1.9)/(2.8 λ) ≈ 1.36/λ, below the 1.8/λ you run at."),
        "b": ("It stays stable: momentum always raises the threshold.",
              "heavy ball raises it by (1 + β); Nesterov divides that by (1 + 2β), which lowers it below 2/λ."),
        "c": ("Nothing changes: the rate is the same.",
              "with momentum the same rate makes longer steps (up to 1/(1 - β) times) and has another threshold."),
        "d": ("It trains ten times faster and stays stable.",
              "the steps may grow up to tenfold, but the sharpest direction's threshold falls: it grows instead."),
    },
    correct="a",
    hints=["Compare 0.9 × 2/λ with 2(1 + β)/((1 + 2β)λ) at β = 0.9."],
    solution="(a): 1.8/λ is above Nesterov's 1.36/λ; lower the rate to below it, or use the heavy ball.",
)
