"""helpers.datasets: the shipped data sets, read without a download, and standardisation."""

import numpy as np
import pytest

from helpers import datasets


def test_diabetes_is_raw():
    x, y = datasets.diabetes()
    assert x.shape == (442, 10) and y.shape == (442, 1)
    assert x.max() > 250 and y.min() == 25 and y.max() == 346      # original units, not scikit-learn's scaled copy


def test_digits_are_images_in_0_1_with_ten_classes():
    images, labels = datasets.digits()
    assert images.shape == (1797, 8, 8, 1) and images.min() == 0 and images.max() == 1
    assert set(np.unique(labels)) == set(range(10))


def test_standardize_gives_mean_0_and_std_1_per_column():
    rng = np.random.default_rng(0)
    z = datasets.standardize(rng.normal(50, 7, size=(100, 3)))
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1, rtol=1e-5)


@pytest.mark.parametrize("bad, match", [([[1.0, np.nan], [2.0, 3.0]], "x"), ([[1.0, 2.0]], "at least two rows"),
                                        ([[1.0, 2.0], [1.0, 3.0]], "constant column \\(index 0\\)")])
def test_standardize_refuses_bad_input_naming_the_argument(bad, match):
    with pytest.raises(ValueError, match=match):
        datasets.standardize(bad, "x")
