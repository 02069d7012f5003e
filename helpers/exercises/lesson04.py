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
    prompt=f"A net's sharpness at initialisation (the largest eigenvalue of the Hessian of its full-data loss) "
           f"is measured as {_S:,.0f}. Above what learning rate can the loss grow along the sharpest direction under "
           "gradient descent, in the quadratic model (the critical rate)?",
    expected=2 / _S,
    mistakes=[
        (1 / _S, "that is 1/λ_max, the step that would land exactly on the minimum along the sharpest direction; "
                 "the loss along it starts to grow above 2/λ_max."),
        (2 / (_S * _BATCH), "the mean loss's Hessian does not grow with the batch size; only a SUMMED loss "
                            "(reduce_sum) would multiply it by the batch size."),
    ],
    hints=["critical_lr = 2 / sharpness."],
    solution=f"2 / {_S:,.0f} = {2 / _S:.1e}, so lr = 1e-3 is {1e-3 / (2 / _S):.2g} times above it, and the heuristic "
             "threshold says it should blow up (in lesson 4 it did). This is the full-batch threshold at "
             "initialisation, and only a guide for minibatch SGD: each SGD step follows the gradient of "
             f"a minibatch of {_BATCH} rows, not of the full data, so it is not the full-batch step the threshold "
             "is computed for: the minibatch gradient differs from the full-data gradient by noise that changes from "
             "step to step, and each minibatch's loss has its own Hessian, whose sharpness differs from the full "
             "data's (lesson 6 measures it on 16 minibatches). So the threshold is not an exact line for SGD. "
             "The sharpness also changes during training (lessons 5 and 6).",
)

_lr = 1e-3
q2 = NumberExercise(
    prompt=f"Same net, lr = {_lr:g}, sharpness {_S:,.0f}. In the quadratic model at initialisation, by what "
           "factor is the loss above the minimum along the sharpest direction multiplied at each step?",
    expected=(1 - _lr * _S) ** 2,
    mistakes=[
        (abs(1 - _lr * _S), f"{abs(1 - _lr * _S):g} = |1 - lr·λ| is the factor for the distance along the sharpest "
                            "direction; the loss is quadratic in that distance, so square it."),
        (_lr * _S, "lr·λ is the step relative to the curvature; the factor is (1 - lr·λ)²."),
    ],
    hints=["Lesson 1: on a parabola the loss is multiplied by (1 - lr·f'')² per step."],
    solution=f"(1 - {_lr:g}·{_S:,.0f})² = (-4)² = 16 per step. That holds only while the quadratic model does: in "
             "the lesson's run the minibatch loss bounced up and down for several steps and then jumped by far "
             "more than 16 in one step, as the curvature and the loss grew by orders of magnitude and each layer's "
             "weights by about one (lesson 4, “Which weights explode”).",
)

q3 = ChoiceExercise(
    prompt="In the lesson's 1e-3 run, where did the first nan come from?",
    options={
        "a": ("Overflow: the loss became inf, the update made weights ±inf, and +inf + -inf then gave nan.",
              "the network's output was still finite, but its square overflowed float32 (about 3.4e38), so the "
              "loss was inf; the gradient overflowed too, the update made some weights ±inf, and in the next "
              "forward pass a sum of +inf and -inf terms had no defined value, so IEEE 754 returned nan."),
        "b": ("Something in the loss divided by zero.",
              "nothing divides by zero in a mean squared error; the loss was finite right up to the step "
              "where a square overflowed to inf."),
        "c": ("The large rate turned the step uphill, so gradient descent climbed the loss on purpose.",
              "the learning rate stays positive and every step still starts downhill: in the lesson's replay "
              "each step first lowered the full-data loss. Where the loss grew, the step ran past the lowest "
              "point on its own line and landed higher on the far side."),
    },
    correct="a",
    hints=["Look at the last finite loss and the first inf in the run, then at the operation that produced nan."],
    solution="A finite but huge output -> its square overflows: loss inf -> gradient inf -> some weights ±inf "
             "after the update -> the next forward pass adds +inf to -inf -> nan.",
)
