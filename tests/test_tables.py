"""helpers.tables: the plain-text table a lesson prints."""

import pytest

from helpers.tables import text_table


def test_columns_are_padded_to_the_widest_cell_and_ruled_under_the_header():
    lines = text_table(["a", "bb"], [["long cell", "1"], ["x", "22"]]).splitlines()
    assert lines == ["a          bb", "---------  --", "long cell  1", "x          22"]


@pytest.mark.parametrize("header, rows, error, words", [
    ([], [], ValueError, "header"),
    (["a", "b"], [["1"]], ValueError, "rows[0] must have 2 cells"),
    (["a"], [[1.5]], TypeError, "1.5"),
])
def test_bad_arguments_are_named(header, rows, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        text_table(header, rows)
