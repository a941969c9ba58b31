"""Plot helpers shared by the lessons (d2l-style `show_heatmaps` and a live loss plot)."""
import io

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure


def new_figure(figsize, **subplots_kwargs):
    """A figure and its axes kept out of pyplot's registry, for figures drawn from widget callbacks.

    JupyterLab sends widget messages to a kernel subshell, a second thread, and after each message the inline
    backend draws every figure in pyplot's registry: a registered figure could be drawn by two threads at once.
    """
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(**subplots_kwargs)


def figure_png(fig) -> bytes:
    """A figure as PNG bytes, trimmed like the notebook's inline plots (a pyplot figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


class FigurePNG:
    """A figure drawn once to PNG: a notebook shows the image, plain text shows `<Figure size ...>` (as for a figure)."""

    def __init__(self, fig):
        self.png, self.text = figure_png(fig), repr(fig)

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return self.text


def show_heatmaps(matrices, xlabels=None, ylabels=None, titles=None, cmap="viridis", figsize=(4, 4),
                  vmin=None, vmax=None, colorbar_label=None):
    """Plot 2-D matrices side by side on ONE shared colour scale (so equal colours mean equal values) and one colorbar."""
    matrices = [m.detach().float().cpu() if isinstance(m, torch.Tensor) else torch.as_tensor(m, dtype=torch.float32)
                for m in matrices]
    vmin = min(m.min().item() for m in matrices) if vmin is None else vmin
    vmax = max(m.max().item() for m in matrices) if vmax is None else vmax
    fig, axes = plt.subplots(1, len(matrices), figsize=(figsize[0] * len(matrices), figsize[1]), squeeze=False,
                             layout="constrained")
    for i, (ax, matrix) in enumerate(zip(axes[0], matrices)):
        image = ax.imshow(matrix.numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
        if xlabels is not None:
            ax.set_xticks(range(len(xlabels)), xlabels, rotation=90)
        if ylabels is not None:
            ax.set_yticks(range(len(ylabels)) if i == 0 else [], ylabels if i == 0 else [])
        if titles:
            ax.set_title(titles[i])
    fig.colorbar(image, ax=list(axes[0]), shrink=0.7, label=colorbar_label)
    return fig


class LossPlot:
    """A live loss curve: call `add(step, **series)`; it redraws in place in a notebook."""

    def __init__(self, title="training loss", xlabel="step", ylabel="loss", every=1, live=True, output=None):
        self.title, self.xlabel, self.ylabel, self.every, self.live = title, xlabel, ylabel, every, live
        self.output = output  # an ipywidgets.Output to draw into (display updates do not reach widget outputs)
        self.series: dict[str, tuple[list, list]] = {}
        self.handle = None
        self.calls = 0

    def add(self, x, **values):
        """Append points, e.g. `add(step, train=0.7)`, and redraw every `every` calls."""
        for name, y in values.items():
            xs, ys = self.series.setdefault(name, ([], []))
            xs.append(x)
            ys.append(float(y))
        self.calls += 1
        if self.live and self.calls % self.every == 0:
            self.redraw()

    def figure(self):
        """A matplotlib figure of everything recorded so far."""
        fig, ax = new_figure(figsize=(7, 3.5))
        for name, (xs, ys) in self.series.items():
            ax.plot(xs, ys, label=name, marker="o" if len(xs) < 30 else None)
        ax.set(title=self.title, xlabel=self.xlabel, ylabel=self.ylabel)
        if self.series:  # outside the axes, on the right: a legend never covers a curve
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig

    def redraw(self):
        """Show the figure, replacing the previous one (a display handle in Jupyter)."""
        from IPython.display import display

        image = FigurePNG(self.figure())
        if self.output is not None:
            with self.output:
                self.output.clear_output(wait=True)
                display(image)
        elif self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)


def panel(children, text: str):
    """A VBox whose stored text form is `text`, not a `VBox(children=...)` repr, where no widget can render."""
    import ipywidgets as widgets

    class Panel(widgets.VBox):
        def __repr__(self) -> str:
            return text

    return Panel(children)
