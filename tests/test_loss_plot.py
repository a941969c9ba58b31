import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from course_lib.plots import LossPlot  # noqa: E402


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
