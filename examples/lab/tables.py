"""Text helpers for the experiments' tables: Markdown tables and summaries over seeds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def mean_spread(values: Sequence[float], fmt: str = "{:.3g}", scale: float = 1.0,
                missing: str = "never") -> str:
    """``"mean ± std"`` of the finite values (population std), or ``"—"`` when none.

    NaN values (a run that never reached 100%, or diverged) are left out and counted
    with the word ``missing``, so a table shows ``"120 ± 30 (2 never)"`` rather than
    hiding them.
    """
    array = np.asarray(values, dtype=float) * scale
    finite = array[np.isfinite(array)]
    n_missing = array.size - finite.size
    if finite.size == 0:
        return "—" if array.size == 0 else f"{missing} ({n_missing}/{array.size})"
    text = f"{fmt.format(finite.mean())} ± {fmt.format(finite.std())}"
    if n_missing:
        text += f" ({n_missing} {missing})"
    return text


def mean_range(values: Sequence[float], fmt: str = "{:.3g}") -> str:
    """``"mean [min–max]"`` of the finite values; NaNs counted as diverged."""
    array = np.asarray(values, dtype=float)
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return f"diverged ({array.size}/{array.size})"
    text = fmt.format(finite.mean())
    if finite.size > 1:
        text += f" [{fmt.format(finite.min())}–{fmt.format(finite.max())}]"
    if finite.size < array.size:
        text += f" ({array.size - finite.size} diverged)"
    return text


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table, columns padded to line up (a ``|`` inside a cell
    is escaped, so it can't split the cell)."""
    rows = [[str(cell).replace("|", "\\|") for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
