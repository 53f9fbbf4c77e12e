"""Draw ``_static/model_diagram.svg``, the data-flow figure of the user guide.

Run from ``docs/`` after changing it: ``python sphinxext/draw_model_diagram.py``.  The
SVG is committed, so the docs build does not depend on running this.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "_static" / "model_diagram.svg"

BLUE, ORANGE, GREEN, GREY = "#dbe9f6", "#fde3c8", "#d9f0d3", "#eeeeee"


def box(ax, x, y, w, h, title, body, color):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec="#444444", lw=1.0))
    ax.text(x + w / 2, y + h - 0.17, title, ha="center", va="top", fontsize=10.5,
            weight="bold")
    ax.text(x + w / 2, y + h - 0.50 - 0.25 * title.count("\n"), body, ha="center", va="top", fontsize=8.6,
            linespacing=1.45)


def arrow(ax, start, end, label=None, dashed=False):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2,
                                 color="#333333", linestyle="--" if dashed else "-"))
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.1, label,
                ha="center", va="bottom", fontsize=8, style="italic", color="#333333")


def main():
    plt.rcParams["svg.fonttype"] = "none"  # keep text as text: small, crisp, searchable
    plt.rcParams["font.family"] = "DejaVu Sans"
    fig, ax = plt.subplots(figsize=(10.5, 4.6))
    ax.set_xlim(0, 10.5)
    ax.set_ylim(0, 4.6)
    ax.axis("off")

    # Top row: the pipeline.
    box(ax, 0.1, 2.55, 1.75, 1.75, "Videos X",
        "files, frame folders,\nuint8 arrays\n(T frames each)", GREY)
    box(ax, 2.35, 2.55, 2.45, 1.75, "SpatioTemporal-\nOverSampler",
        "fit only, \u2308\u03b4 / n\u2c7c\u2309 clips per video\nRandDown / UpSample \u2192 \u03b1 frames\n"
        "RandAug: one draw per clip", ORANGE)
    box(ax, 5.3, 2.55, 2.2, 1.75, "InceptionFeaturizer",
        "\u03b1 frames \u2192 299\u00d7299\nInceptionV3, last pool\n2048 per frame\n"
        "(cached on disk)", BLUE)
    box(ax, 8.0, 2.55, 2.4, 1.75, "ResBiLSTMClassifier",
        "(n, \u03b1 \u00d7 2048)\nfolded to (n, \u03b1, 2048)\nskorch / PyTorch\n"
        "see below", GREEN)
    arrow(ax, (1.9, 3.55), (2.3, 3.55))
    arrow(ax, (4.85, 3.55), (5.25, 3.55), "clips")
    arrow(ax, (7.55, 3.55), (7.95, 3.55))
    # Predict path bypasses the oversampler.
    ax.plot([1.0, 1.0, 6.4], [2.5, 2.25, 2.25], color="#777777", lw=1.0, ls="--")
    ax.add_patch(FancyArrowPatch((6.4, 2.25), (6.4, 2.52), arrowstyle="-|>", mutation_scale=12,
                                 lw=1.0, color="#777777", linestyle="--"))
    ax.text(3.6, 1.98, "predict: \u03b1 evenly spaced frames, no oversampling", ha="center",
            fontsize=8, style="italic", color="#555555")

    # Bottom row: the temporal module.
    layers = [("BiLSTM 1", "2 \u00d7 1024\n+ input (residual)"),
              ("BiLSTM 2", "2 \u00d7 1024\n+ input (residual)"),
              ("last step", "BatchNorm"),
              ("FC 1024", "ReLU,\ndropout 0.5"),
              ("FC", "one output\nper class")]
    x0, w, gap = 0.55, 1.55, 0.45
    for i, (title, body) in enumerate(layers):
        x = x0 + i * (w + gap)
        box(ax, x, 0.15, w, 1.3, title, body, GREEN)
        if i:
            arrow(ax, (x - gap + 0.03, 0.8), (x - 0.03, 0.8))
    ax.text(0.1, 1.62, "ResBiLSTM module (paper's sizes)", fontsize=9, weight="bold",
            color="#2f6b2f")
    fig.savefig(OUT, bbox_inches="tight", metadata={"Date": None})
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
