import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from course_lib.core.plots import LossPlot  # noqa: E402


def test_legend_sits_outside_the_curves():
    plot = LossPlot(live=False)
    for step in range(50):
        plot.add(step, train=1.0 - step / 100, eval=0.9 - step / 120)
    figure = plot.figure()
    canvas = FigureCanvasAgg(figure)  # a closed figure has no drawing canvas of its own
    canvas.draw()
    renderer = canvas.get_renderer()
    axes_box = figure.axes[0].get_window_extent(renderer)
    legend_box = figure.axes[0].get_legend().get_window_extent(renderer)
    assert legend_box.x0 >= axes_box.x1  # to the right of the plotting area: it cannot hide data
    assert legend_box.x1 <= figure.bbox.x1 + 1  # and still inside the saved figure


def test_widget_figures_stay_out_of_pyplots_registry(monkeypatch):
    """JupyterLab handles widget messages on a second kernel thread that draws every registered pyplot figure
    after each message; the live loss plot and the freezing widget's runs plot must never be among them."""
    import pandas as pd
    from matplotlib._pylab_helpers import Gcf

    from course_lib.lessons.widgets import FreezingWidget

    registered = []  # every figure pyplot registers, even one closed again before the function returns
    monkeypatch.setattr(Gcf, "_set_new_active_manager", classmethod(lambda cls, manager: registered.append(manager)))
    plot = LossPlot(live=False)
    plot.add(1, train=0.7)
    runs = [{"run": 1, "mode": "head_only", "groups": "head", "trainable params": 770, "seconds": 2.0,
             "eval accuracy": 0.7}]
    widget = FreezingWidget.__new__(FreezingWidget)  # only its runs are needed to draw the runs plot
    widget.runs = runs
    figures = [plot.figure(), widget.runs_figure()]
    assert registered == []
    for figure in figures:
        FigureCanvasAgg(figure).draw()  # and they still draw: one line, one labelled point on a log axis
    assert len(figures[0].axes[0].lines) == 1
    assert pd.Series([t.get_text() for t in figures[1].axes[0].texts]).str.contains("head_only").any()
