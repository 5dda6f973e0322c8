"""Print a benchmark's rows as an aligned table on stderr (shared by every benchmark)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any


def print_table(title: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Columns are the keys of the first row; floats are shown with 3 significant digits."""
    print(f"\n{title}", file=sys.stderr)
    if not rows:
        print("  (no rows)", file=sys.stderr)
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    for row in [columns, *cells]:
        line = "  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True))
        print(f"  {line}", file=sys.stderr)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
