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
    ax.text(x + w / 2, y + h - 0.17, title, ha="center", va="top", fontsize=13,
            weight="bold")
    ax.text(x + w / 2, y + h - 0.55 - 0.3 * title.count("\n"), body, ha="center", va="top",
            fontsize=10.5, linespacing=1.4)


def arrow(ax, start, end, label=None, dashed=False):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2,
                                 color="#333333", linestyle="--" if dashed else "-"))
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.1, label,
                ha="center", va="bottom", fontsize=8, style="italic", color="#333333")


def main():
    plt.rcParams["svg.fonttype"] = "none"  # keep text as text: small, crisp, searchable
    plt.rcParams["font.family"] = "DejaVu Sans"
    fig, ax = plt.subplots(figsize=(10.5, 5.7))
    ax.set_xlim(0, 10.5)
    ax.set_ylim(0, 5.7)
    ax.axis("off")

    # Top row: the pipeline.
    top, height = 3.15, 2.45
    box(ax, 0.05, top, 1.75, height, "Videos X",
        "files,\nframe folders,\nuint8 arrays\n(T frames each)", GREY)
    box(ax, 2.2, top, 2.55, height, "SpatioTemporal-\nOverSampler",
        "fit only\n\u2308\u03b4 / n\u2c7c\u2309 clips per video\nRandDown / UpSample\n"
        "RandAug per clip", ORANGE)
    box(ax, 5.15, top, 2.45, height, "Inception-\nFeaturizer",
        "\u03b1 frames, 299\u00d7299\nInceptionV3 pool\n2048 per frame\ncached on disk",
        BLUE)
    box(ax, 8.0, top, 2.45, height, "ResBiLSTM-\nClassifier",
        "(n, \u03b1 \u00d7 2048)\n\u2192 (n, \u03b1, 2048)\nskorch / PyTorch\n"
        "(module below)", GREEN)
    mid = top + height / 2
    arrow(ax, (1.85, mid), (2.15, mid))
    arrow(ax, (4.8, mid), (5.1, mid), "clips")
    arrow(ax, (7.65, mid), (7.95, mid))
    # Predict path bypasses the oversampler.
    ax.plot([0.9, 0.9, 6.35], [top - 0.05, top - 0.35, top - 0.35], color="#777777", lw=1.0,
            ls="--")
    ax.add_patch(FancyArrowPatch((6.35, top - 0.35), (6.35, top - 0.02), arrowstyle="-|>",
                                 mutation_scale=12, lw=1.0, color="#777777", linestyle="--"))
    ax.text(3.6, top - 0.72, "predict: \u03b1 evenly spaced frames, no oversampling",
            ha="center", fontsize=10, style="italic", color="#555555")

    # Bottom row: the temporal module.
    layers = [("BiLSTM 1", "2 \u00d7 1024\n+ its input"),
              ("BiLSTM 2", "2 \u00d7 1024\n+ its input"),
              ("last step", "batch norm"),
              ("FC 1024", "ReLU,\ndropout 0.5"),
              ("FC", "one output\nper class")]
    x0, w, gap = 0.05, 1.75, 0.42
    for i, (title, body) in enumerate(layers):
        x = x0 + i * (w + gap)
        box(ax, x, 0.05, w, 1.45, title, body, GREEN)
        if i:
            arrow(ax, (x - gap + 0.03, 0.75), (x - 0.03, 0.75))
    ax.text(0.05, 1.68, "ResBiLSTM module (the paper's sizes; residual: input added to output)",
            fontsize=10.5, weight="bold", color="#2f6b2f")
    fig.savefig(OUT, bbox_inches="tight", metadata={"Date": None})
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
