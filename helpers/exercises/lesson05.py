"""Exercises for lesson 05: which fix works, and why.

>>> from helpers.exercises import lesson05
>>> lesson05.q1.check("a")
Correct! Standardizing shrinks the Hessian of the loss itself: at the start 2/sharpness is far above 1e-3, and although the sharpness rose during the run, 2/sharpness was still above 1e-3 at its end.
True
"""

from helpers.exercises.core import ChoiceExercise, NumberExercise

q1 = ChoiceExercise(
    prompt="Which fix lets plain SGD at lr = 1e-3 train by changing the curvature that the rate is measured against?",
    options={
        "a": ("Standardizing the input features.",
              "standardizing shrinks the Hessian of the loss itself: at the start 2/sharpness is far above 1e-3, and "
              "although the sharpness rose during the run, 2/sharpness was still above 1e-3 at its end."),
        "b": ("Clipping the gradient norm.",
              "clipping caps each step's length but does not lower the sharpness (in lesson 5 it rose during the "
              "clipped run): it shortens the steps, so the rate that runs is not 1e-3, and hides that 1e-3 was too large."),
        "c": ("Summing the loss over the batch (reduce_sum) instead of averaging it.",
              "a summed loss multiplies the Hessian by the batch size: it makes the blow-up worse."),
        "d": ("Adding the TerminateOnNaN callback.",
              "TerminateOnNaN stops training at the first nan; it detects the failure, it does not prevent it."),
    },
    correct="a",
    hints=["Which of these changes the Hessian of the loss, and in which direction?"],
    solution="(a): scaling the inputs lowers the sharpness; the others clip, stop or worsen the steps.",
)

_S_MEAN, _BATCH = 4000.0, 32

q2 = NumberExercise(
    prompt=f"With the mean loss a net's full-data sharpness is {_S_MEAN:,.0f}, and one minibatch's mean loss is about as sharp "
           f"(as in Fix 6 above). Someone writes the loss with reduce_sum over minibatches of {_BATCH}. "
           f"What is the critical learning rate now?",
    expected=2 / (_S_MEAN * _BATCH),
    mistakes=[
        (2 / _S_MEAN, "that is the critical rate of the MEAN loss; the summed loss is batch-size times larger, "
                      "and so is its Hessian."),
        (2 * _BATCH / _S_MEAN, "the batch size multiplies the Hessian, so it divides the critical rate; "
                               "you multiplied."),
    ],
    hints=["sum = batch_size × mean, so H_sum = batch_size × H_mean."],
    solution=f"2 / ({_BATCH} · {_S_MEAN:,.0f}) = {2 / (_S_MEAN * _BATCH):.2e}: 1e-3 is far above it.",
)
