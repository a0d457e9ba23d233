"""Small SVG charts of the office's own (matplotlib's SVG backend, text kept as text), for
what the report's chart does not draw: counts over time."""

from __future__ import annotations

import io
import threading

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

_DRAWING = threading.Lock()  # pyplot keeps global state: one chart at a time
# colour-blind safe (Okabe-Ito), as the report's chart
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")


def lines_svg(columns: list[str], series: dict[str, list[int]], title: str) -> str:
    """One line per series over ``columns`` (days or weeks); "" when there is nothing."""
    if not columns or not series:
        return ""
    with _DRAWING, matplotlib.rc_context({"svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=96)
        try:
            for number, (name, values) in enumerate(series.items()):
                ax.plot(range(len(columns)), values, marker="o", linewidth=2, markersize=3,
                        color=COLOURS[number % len(COLOURS)], label=name)
            # at most 7 labels (14 days' ran into each other), counted back from the last
            step = -(-len(columns) // 7)
            ticks = list(range(len(columns) - 1, -1, -step))[::-1]
            ax.set_xticks(ticks, [columns[i] for i in ticks])
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.set_ylim(bottom=0)
            ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            ax.grid(axis="y", color="#dddddd", linewidth=0.8)
            ax.legend(fontsize=9, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
            fig.tight_layout()
            out = io.StringIO()
            fig.savefig(out, format="svg")
        finally:
            plt.close(fig)
    markup = out.getvalue()
    start = markup.find("<svg")
    return markup[start:] if start >= 0 else ""
