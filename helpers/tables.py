"""Plain-text tables for a lesson's printed results (pure Python: no numpy, no TensorFlow)."""

__all__ = ["text_table"]


def text_table(header, rows):
    """Columns padded to their widest cell, a rule under the header; one string.

    Parameters
    ----------
    header : sequence of str
        The column names.
    rows : sequence of sequences of str
        One entry per column in each row (format the numbers first).

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If a cell is not a string.
    ValueError
        If ``header`` is empty or a row has another number of cells.

    Examples
    --------
    >>> print(text_table(["run", "final loss"], [["SGD at 1e-4", "500"], ["Adam", "615"]]))
    run          final loss
    -----------  ----------
    SGD at 1e-4  500
    Adam         615
    """
    header = list(header)
    if not header:
        raise ValueError("header must name at least one column, got an empty sequence")
    rows = [list(row) for row in rows]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] must have {len(header)} cells (one per column), got {len(row)}")
    for row in [header, *rows]:
        for cell in row:
            if not isinstance(cell, str):
                raise TypeError(f"every cell must be a str (format numbers first), got {cell!r}")
    widths = [max(len(row[j]) for row in [header, *rows]) for j in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
