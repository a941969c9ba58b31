"""A freezing widget: tick the groups to train, watch the trainable count, click to run a short training."""
import copy

import ipywidgets as widgets
from IPython.display import display

from .freezing import MODES, freeze, freeze_report, groups_for_mode, parameter_groups
from .plots import LossPlot
from .training import train


class FreezingWidget:
    """One checkbox per group (embeddings, layer.i, pooler, head), a mode menu, a live count and a Train button."""

    def __init__(self, model, train_data=None, eval_data=None, tokenizer=None, device="cpu", **train_kwargs):
        self.model, self.train_data, self.eval_data, self.tokenizer = model, train_data, eval_data, tokenizer
        self.device, self.train_kwargs, self.result = device, train_kwargs, None
        self.applying_mode = False  # True while a mode ticks its boxes: those ticks are not "custom"
        self.initial_weights = copy.deepcopy(model.state_dict())
        groups = parameter_groups(model)
        self.checkboxes = {g: widgets.Checkbox(value=any(p.requires_grad for p in ps), description=g, indent=False)
                           for g, ps in groups.items()}
        self.mode = widgets.Dropdown(options=["custom", *MODES], value="custom", description="mode")
        self.count = widgets.HTML()
        self.button = widgets.Button(description="Train (short run)", button_style="primary",
                                     disabled=train_data is None)
        self.plot_output, self.output = widgets.Output(), widgets.Output()
        for box in self.checkboxes.values():
            box.observe(self.on_checkbox, names="value")
        self.mode.observe(self.on_mode, names="value")
        self.button.on_click(self.on_train)
        self.update_count()

    def chosen(self) -> list[str]:
        """The groups whose checkbox is ticked."""
        return [g for g, box in self.checkboxes.items() if box.value]

    def update_count(self) -> None:
        """Apply the checkboxes to the model and show the trainable parameter count."""
        report = freeze(self.model, self.chosen())
        trainable, total = report.loc["total", "trainable"], report.loc["total", "total"]
        self.count.value = f"<b>trainable: {trainable:,} of {total:,} parameters ({trainable / total:.1%})</b>"

    def on_checkbox(self, change) -> None:
        """A checkbox changed by hand: it is no longer the picked mode, so show "custom", and recount."""
        if self.applying_mode:
            return  # on_mode recounts once, after ticking all its boxes
        self.mode.value = "custom"
        self.update_count()

    def on_mode(self, change) -> None:
        """A mode was picked: tick its groups."""
        if change["new"] == "custom":
            return
        wanted = groups_for_mode(self.model, change["new"])
        self.applying_mode = True
        try:
            for group, box in self.checkboxes.items():
                box.value = group in wanted
        finally:
            self.applying_mode = False
        self.update_count()

    def on_train(self, button=None) -> None:
        """Reset to the initial weights, freeze as ticked, train briefly with a live loss plot."""
        self.model.load_state_dict(self.initial_weights)
        self.update_count()
        self.output.clear_output()
        self.plot_output.clear_output()
        with self.output:
            plot = LossPlot(title=f"training {', '.join(self.chosen())}", every=2, output=self.plot_output)
            self.result = train(self.model, self.train_data, self.eval_data, self.tokenizer, device=self.device,
                                plot=plot, **self.train_kwargs)
            print(f"eval accuracy: {self.result.history[-1]['eval_accuracy']:.3f}")

    def report(self):
        """The per-group trainable/total table for the current ticks."""
        return freeze_report(self.model)

    def show(self):
        """Display the widget."""
        boxes = widgets.GridBox(list(self.checkboxes.values()),
                                layout=widgets.Layout(grid_template_columns="repeat(3, 180px)"))
        display(widgets.VBox([self.mode, boxes, self.count, self.button, self.plot_output, self.output]))
