"""A freezing widget: tick the groups to train, watch the trainable count, press Train, compare the runs.

Frozen layers below the lowest ticked layer are never re-run: their output is cached once (per split
point) and the ticked top trains on it (`course_lib.core.cached`), so a run takes seconds. Only a
ticked `embeddings` group needs the whole encoder every step. Both run the same engine, `train()`.
Every run adds a row to a table and a point to a plot: mode, trainable parameters, seconds, accuracy.
"""
import copy
import time

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from ..core.cached import TopLayers, cache_hidden_states
from ..core.freezing import MODES, freeze, freeze_report, groups_for_mode, num_layers, parameter_groups
from ..core.plots import FigurePNG, LossPlot, new_figure, panel
from ..core.checkpoints import count_parameters
from ..core.training import train
from .modes import LORA_RANK, add_lora

LORA = "lora"  # the mode menu's LoRA choice
LORA_WHOLE = ("pooler", "head")  # the groups add_lora trains whole beside the adapters (where the model has them)

def lowest_trained_layer(groups: list[str], n_layers: int) -> int:
    """Where the trained top starts: 0 if the embeddings train, else the lowest ticked layer (n if none)."""
    if "embeddings" in groups:
        return 0
    layers = [int(g.split(".")[1]) for g in groups if g.startswith("layer.")]
    return min(layers, default=n_layers)


def point_label(runs) -> str:
    """'1: head_only (2 s)', or '1, 3: head_only' for runs that landed on the same point (the same ticks)."""
    if len(runs) == 1:
        return f"{runs.index[0]}: {runs['mode'].iloc[0]} ({runs['seconds'].iloc[0]:.0f} s)"
    return f"{', '.join(str(run) for run in runs.index)}: {' / '.join(dict.fromkeys(runs['mode']))}"


class FreezingWidget:
    """One checkbox per group (embeddings, layer.i, pooler, head), a mode menu, a live count, Train and a run table."""

    def __init__(self, model, train_data=None, eval_data=None, tokenizer=None, device="cpu", max_length: int = 128,
                 **train_kwargs):
        self.model, self.train_data, self.eval_data, self.tokenizer = model, train_data, eval_data, tokenizer
        self.device, self.max_length, self.train_kwargs, self.result = device, max_length, train_kwargs, None
        self.applying_mode = False  # True while a mode ticks its boxes: those ticks are not "custom"
        self.initial_weights = copy.deepcopy(model.state_dict())
        self.caches, self.runs = {}, []  # split point -> (train, eval) cached states; one dict per finished run
        groups = parameter_groups(model)
        self.checkboxes = {g: widgets.Checkbox(value=any(p.requires_grad for p in ps), description=g, indent=False)
                           for g, ps in groups.items()}
        self.mode = widgets.Dropdown(options=["custom", *MODES, LORA], value="custom", description="mode")
        self.count = widgets.Label()
        self.button = widgets.Button(description="Train (short run)", button_style="primary",
                                     disabled=train_data is None)
        self.plot_output, self.output, self.table_output = widgets.Output(), widgets.Output(), widgets.Output()
        for box in self.checkboxes.values():
            box.observe(self.on_checkbox, names="value")
        self.mode.observe(self.on_mode, names="value")
        self.button.on_click(self.on_train)
        self.update_count()

    def chosen(self) -> list[str]:
        """The groups whose checkbox is ticked."""
        return [g for g, box in self.checkboxes.items() if box.value]

    def lora(self) -> bool:
        """True when the LoRA mode is picked: adapters on every layer instead of ticked groups."""
        return self.mode.value == LORA

    def lora_model(self):
        """A copy of the (reset) model with LoRA adapters (course_lib.lessons.modes.add_lora)."""
        return add_lora(copy.deepcopy(self.model))

    def trainable(self) -> int:
        """Trainable parameters for the current choice."""
        if self.lora():
            return count_parameters(self.lora_model(), trainable_only=True)
        return int(freeze_report(self.model).loc["total", "trainable"])

    def update_count(self) -> None:
        """Apply the choice to the model and show the trainable parameter count."""
        if self.lora():
            adapted = self.lora_model()
            trainable, total = count_parameters(adapted, trainable_only=True), count_parameters(adapted)
            self.count.value = (f"trainable: {trainable:,} of {total:,} parameters ({trainable / total:.1%}): "
                                f"rank-{LORA_RANK} adapters on every layer's query and value, the pooler and the head")
            return
        report = freeze(self.model, self.chosen())
        trainable, total = report.loc["total", "trainable"], report.loc["total", "total"]
        self.count.value = f"trainable: {trainable:,} of {total:,} parameters ({trainable / total:.1%})"

    def on_checkbox(self, change) -> None:
        """A checkbox changed by hand: it is no longer the picked mode, so show "custom", and recount."""
        if self.applying_mode:
            return  # on_mode recounts once, after ticking all its boxes
        self.mode.value = "custom"
        self.update_count()

    def on_mode(self, change) -> None:
        """A mode was picked: tick its groups (LoRA: the adapters are no group; only the pooler and head stay ticked)."""
        if change["new"] == "custom":
            return
        wanted = ([g for g in LORA_WHOLE if g in self.checkboxes] if change["new"] == LORA
                  else groups_for_mode(self.model, change["new"]))
        self.applying_mode = True
        try:
            for group, box in self.checkboxes.items():
                box.value = group in wanted
        finally:
            self.applying_mode = False
        self.update_count()

    def cached(self, first_layer: int):
        """Train and eval states entering `first_layer`, computed once from the pretrained bottom and kept."""
        if first_layer not in self.caches:
            self.caches[first_layer] = tuple(
                cache_hidden_states(self.model, data, self.tokenizer, self.device, first_layer,
                                    max_length=self.max_length, progress=False)
                for data in (self.train_data, self.eval_data))
        return self.caches[first_layer]

    def run_once(self, plot: LossPlot):
        """Train the ticked groups: on cached states when the bottom is frozen, else on tokens (train() seeds dropout)."""
        if self.lora():  # adapters sit in every layer: the whole encoder runs every step, on tokens
            return train(self.lora_model(), self.train_data, self.eval_data, self.tokenizer, device=self.device,
                         max_length=self.max_length, plot=plot, **self.train_kwargs)
        first = lowest_trained_layer(self.chosen(), num_layers(self.model))
        if first == 0:
            return train(self.model, self.train_data, self.eval_data, self.tokenizer, device=self.device,
                         max_length=self.max_length, plot=plot, **self.train_kwargs)
        return train(TopLayers(self.model, first), *self.cached(first), device=self.device, plot=plot,
                     **self.train_kwargs)

    def on_train(self, button=None) -> None:
        """Reset to the initial weights, freeze as ticked, train with a live loss plot, add a row to the run table."""
        self.model.load_state_dict(self.initial_weights)
        self.update_count()
        self.output.clear_output()
        with self.output:
            plot = LossPlot(title=f"training {self.groups_text()}", every=5, output=self.plot_output)
            start = time.perf_counter()
            self.result = self.run_once(plot)
            self.add_run(time.perf_counter() - start)
        self.show_runs()

    def groups_text(self) -> str:
        """What trains, in words: the ticked groups (and, for LoRA, the adapters beside them)."""
        return ", ".join(([f"rank-{LORA_RANK} adapters"] if self.lora() else []) + self.chosen())

    def add_run(self, seconds: float) -> None:
        """Record the finished run: mode, groups, trainable parameters, seconds, accuracy of the kept epoch."""
        best = max(self.result.history, key=lambda h: (h["eval_accuracy"], -h["eval_loss"]))
        self.runs.append({"run": len(self.runs) + 1, "mode": self.mode.value, "groups": self.groups_text(),
                          "trainable params": self.trainable(), "seconds": round(seconds, 1),
                          "eval accuracy": round(best["eval_accuracy"], 3)})

    def runs_table(self) -> pd.DataFrame:
        """One row per Train press."""
        return pd.DataFrame(self.runs, columns=["run", "mode", "groups", "trainable params", "seconds", "eval accuracy"]
                            ).set_index("run")

    def runs_figure(self):
        """Accuracy against trainable parameters, one labelled point per run."""
        fig, ax = new_figure(figsize=(6, 3.2))
        table = self.runs_table()
        ax.scatter(table["trainable params"], table["eval accuracy"], color="tab:blue")
        for (params, accuracy), same in table.groupby(["trainable params", "eval accuracy"], sort=False):
            ax.annotate(point_label(same), (params, accuracy), textcoords="offset points", xytext=(5, 5), fontsize=8)
        ax.set(xscale="log", xlabel="trainable parameters (log scale)", ylabel="eval accuracy", title="your runs")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig

    def show_runs(self) -> None:
        """Redraw the run table and plot below the widget."""
        with self.table_output:
            self.table_output.clear_output(wait=True)
            display(self.runs_table().style.format({"trainable params": "{:,}", "seconds": "{:.1f}",
                                                    "eval accuracy": "{:.1%}"}))
            display(FigurePNG(self.runs_figure()))

    def report(self):
        """The per-group trainable/total table for the current ticks."""
        return freeze_report(self.model)

    def show(self):
        """Display the widget."""
        boxes = widgets.GridBox(list(self.checkboxes.values()),
                                layout=widgets.Layout(grid_template_columns="repeat(3, 180px)"))
        display(panel([self.mode, boxes, self.count, self.button, self.plot_output, self.output, self.table_output],
                      "[freezing widget: tick groups and press Train in JupyterLab or Colab]"))
