import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

from course_lib.core.plots import LossPlot, show_heatmaps  # noqa: E402


class FakeOutput:
    """Stands in for ipywidgets.Output: records what LossPlot does with it."""

    def __init__(self):
        self.calls = []

    def __enter__(self):
        self.calls.append("enter")
        return self

    def __exit__(self, *exc):
        self.calls.append("exit")

    def clear_output(self, wait=False):
        self.calls.append(f"clear(wait={wait})")


def test_loss_plot_keeps_every_series_and_draws_them_all():
    plot = LossPlot(title="demo", live=False)
    for step in range(1, 4):
        plot.add(step, train=1.0 / step)
    plot.add(3, eval=0.5)
    assert plot.series["train"] == ([1, 2, 3], [1.0, 0.5, 1 / 3]) and plot.series["eval"] == ([3], [0.5])
    axes = plot.figure().axes[0]
    assert [line.get_label() for line in axes.lines] == ["train", "eval"] and axes.get_title() == "demo"


def test_live_plot_redraws_every_n_calls_into_a_widget_output(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda figure, **kwargs: shown.append(figure))
    output = FakeOutput()
    plot = LossPlot(every=2, output=output)
    for step in range(1, 6):
        plot.add(step, train=0.7)
    assert len(shown) == 2  # calls 2 and 4
    assert repr(shown[0]).startswith("<Figure size 700x350") and shown[0]._repr_png_().startswith(b"\x89PNG")
    assert output.calls == ["enter", "clear(wait=True)", "exit"] * 2  # replaced in place, never stacked
    assert plot.handle is None  # display handles are not used inside widget outputs


def test_show_heatmaps_draws_one_panel_per_matrix_with_labels():
    figure = show_heatmaps([torch.eye(3), torch.ones(3, 3)], xlabels=list("abc"), ylabels=list("xyz"), titles=["I", "1"])
    panels = [ax for ax in figure.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["I", "1"]
    assert [t.get_text() for t in panels[0].get_xticklabels()] == ["a", "b", "c"]
