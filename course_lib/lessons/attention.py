"""Attention weights: get them safely, pick one layer and head, plot it, explore it with sliders."""
from numbers import Integral

from ..core.errors import CourseError
from ..core.plots import figure_png, show_heatmaps

EAGER_FIX = ("load the model with attn_implementation='eager', e.g. session.load_model('encoder', AutoModel, "
             "attn_implementation='eager'), and call it with output_attentions=True")


def get_attentions(outputs, model=None):
    """The tuple of attention tensors ([batch, heads, seq, seq] per layer), or a CourseError saying how to get them."""
    attentions = getattr(outputs, "attentions", None)
    if attentions is None:
        raise CourseError("The model outputs have no attention weights (outputs.attentions is None).", EAGER_FIX + ".")
    if len(attentions) == 0 or any(a is None for a in attentions):
        implementation = getattr(getattr(model, "config", None), "_attn_implementation", None)
        used = f" (this model uses attn_implementation={implementation!r})" if implementation else ""
        raise CourseError(
            f"The model returned no attention weights{used}: fused SDPA/flash attention hands back only softmax(QKᵀ/√d)V, never the attention weights.",
            EAGER_FIX + ".",
        )
    return attentions


def check_layer_head(attentions, layer: int, head: int) -> None:
    """Raise a CourseError listing the valid range if `layer` or `head` does not exist."""
    num_layers, num_heads = len(attentions), attentions[0].shape[1]
    for name, value in (("layer", layer), ("head", head)):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise CourseError(f"{name} must be a whole number, but got {type(value).__name__} {value!r}.",
                              f"pass e.g. {name}=0 (int({name}) turns a float or a string into a whole number).")
    if not 0 <= layer < num_layers:
        raise CourseError(f"There is no layer {layer}: this model has {num_layers} layers.",
                          f"pick a layer from 0 to {num_layers - 1} (model.config.num_hidden_layers - 1).")
    if not 0 <= head < num_heads:
        raise CourseError(f"There is no head {head}: each layer has {num_heads} heads.",
                          f"pick a head from 0 to {num_heads - 1} (model.config.num_attention_heads - 1).")


def attention_matrix(attentions, layer: int, head: int, index: int = 0):
    """The [seq, seq] attention weights of one layer and head for batch item `index` (rows: queries)."""
    check_layer_head(attentions, layer, head)
    return attentions[layer][index, head]


def plot_attention(attentions, tokens: list[str], layer: int, head: int, index: int = 0, figsize=(5, 5)):
    """Heatmap of one layer and head, tokens on both axes (rows attend to columns); returns the figure."""
    n = len(tokens)
    matrix = attention_matrix(attentions, layer, head, index)[:n, :n]
    fig = show_heatmaps([matrix], xlabels=tokens, ylabels=tokens, titles=[f"layer {layer}, head {head}"],
                        cmap="Reds", figsize=figsize)
    fig.axes[0].set(xlabel="attended to (key)", ylabel="attending (query)")
    return fig


def attention_explorer(attentions, tokens: list[str], layer: int = 0, head: int = 0, index: int = 0):
    """Sliders for layer and head that redraw the heatmap.

    Returns a VBox with `.layer`/`.head` sliders, the `.image` widget (PNG) and `.shown` = (layer, head) on display;
    the picture is an Image widget, not an Output widget, so it renders the same in JupyterLab, Colab and tests.
    """
    import ipywidgets as widgets

    from ..core.plots import panel

    check_layer_head(attentions, layer, head)
    layer_slider = widgets.IntSlider(value=layer, min=0, max=len(attentions) - 1, description="layer")
    head_slider = widgets.IntSlider(value=head, min=0, max=attentions[0].shape[1] - 1, description="head")
    image = widgets.Image(format="png")
    explorer = panel([widgets.HBox([layer_slider, head_slider]), image], "[attention explorer: move the layer and head sliders in JupyterLab or Colab]")
    explorer.layer, explorer.head, explorer.image = layer_slider, head_slider, image

    def redraw(change=None):
        image.value = figure_png(plot_attention(attentions, tokens, layer_slider.value, head_slider.value, index))
        explorer.shown = (layer_slider.value, head_slider.value)

    layer_slider.observe(redraw, names="value")
    head_slider.observe(redraw, names="value")
    redraw()
    return explorer
