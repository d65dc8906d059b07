"""The distribution chart of `revdesk forecast run`: an HTML page (plotly) and a PNG (matplotlib).

Methods with a simulated distribution (Markov, win probability) are drawn as histograms of
their simulated totals with their P10 and P90 marked; every method's point forecast is a
vertical line, and the submitted best case too. The HTML file embeds plotly.js, so it opens with
no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

import plotly.graph_objects as go

from revdesk.forecast.model import MethodResult

__all__ = ["chart_paths", "write_charts"]

_COLOURS: Final = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#E45756", "#72B7B2")


def chart_paths(target: Path) -> tuple[Path, Path]:
    """The PNG and HTML files for `target` (its suffix, if any, is replaced)."""
    return target.with_suffix(".png"), target.with_suffix(".html")


def _figure(results: Sequence[MethodResult], heading: str, currency: str) -> go.Figure:
    figure = go.Figure()
    for number, result in enumerate(r for r in results if r.ran):
        colour = _COLOURS[number % len(_COLOURS)]
        if result.samples is not None:
            figure.add_trace(
                go.Histogram(
                    x=result.samples,
                    name=f"{result.method.heading} (simulated)",
                    histnorm="probability",
                    opacity=0.5,
                    nbinsx=60,
                    marker_color=colour,
                )
            )
            for label, value in (("P10", result.p10), ("P90", result.p90)):
                if value is not None:
                    figure.add_vline(
                        x=float(value), line_dash="dot", line_color=colour, annotation_text=label
                    )
        assert result.point is not None
        figure.add_vline(
            x=float(result.point),
            line_color=colour,
            annotation_text=result.method.heading,
            annotation_textangle=-90,
        )
        if result.best_case is not None:
            figure.add_vline(
                x=float(result.best_case),
                line_dash="dash",
                line_color=colour,
                annotation_text="best case",
            )
    figure.update_layout(
        title=heading,
        xaxis_title=f"won in the period ({currency})",
        yaxis_title="share of simulations",
        barmode="overlay",
    )
    return figure


def _png(results: Sequence[MethodResult], heading: str, currency: str, path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - heavy, and only this command draws

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    fig, axis = plt.subplots(figsize=(10, 5.5))
    for number, result in enumerate(r for r in results if r.ran):
        colour = _COLOURS[number % len(_COLOURS)]
        if result.samples is not None:
            axis.hist(
                result.samples,
                bins=60,
                alpha=0.45,
                color=colour,
                density=True,
                label=f"{result.method.heading} (simulated)",
            )
            for value in (result.p10, result.p90):
                if value is not None:
                    axis.axvline(float(value), color=colour, linestyle=":")
        assert result.point is not None
        axis.axvline(
            float(result.point),
            color=colour,
            label=f"{result.method.heading}: {float(result.point):,.0f}",
        )
        if result.best_case is not None:
            axis.axvline(
                float(result.best_case),
                color=colour,
                linestyle="--",
                label=f"best case: {float(result.best_case):,.0f}",
            )
    axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    axis.set_title(heading)
    axis.set_xlabel(f"won in the period ({currency})")
    axis.set_yticks([])
    axis.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_charts(
    results: Sequence[MethodResult], target: Path, *, heading: str, currency: str
) -> list[Path]:
    """Write the PNG and the self-contained HTML chart; return their paths."""
    png, page = chart_paths(target)
    _png(results, heading, currency, png)
    _figure(results, heading, currency).write_html(page, include_plotlyjs=True, full_html=True)
    return [png, page]
