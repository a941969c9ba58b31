"""Head-only training on cached features: run the frozen backbone once, then train the head on what it saw.

The features are exactly what the head receives in the full model (captured with a forward pre-hook
on the head), so the trained head drops back into the model unchanged.
"""
import torch
from datasets import Dataset
from torch import nn
from tqdm.auto import tqdm

from .errors import CourseError
from .freezing import find_encoder
from .training import make_loader, tokenize


def head_of(model: nn.Module) -> nn.Module:
    """The module(s) outside the encoder: the classification head (e.g. `classifier`)."""
    prefix, encoder = find_encoder(model)
    outside = [module for name, module in model.named_children()
               if module is not encoder and not prefix.startswith(name + ".") and any(True for _ in module.parameters())]
    if len(outside) != 1:
        raise CourseError(f"Expected one head module outside the encoder, found {len(outside)}.",
                          "give your model a single head module (e.g. self.classifier = nn.Linear(...)).")
    return outside[0]


class HeadOnFeatures(nn.Module):
    """Wraps the model's head so that `train()` can feed it cached features instead of tokens."""

    def __init__(self, head: nn.Module, num_labels: int):
        super().__init__()
        self.head, self.num_labels = head, num_labels

    def forward(self, features):
        return self.head(features)


@torch.no_grad()
def cache_features(model, dataset, tokenizer, device, batch_size: int = 64, max_length: int = 128,
                   progress: bool = True) -> Dataset:
    """Run the (frozen) model once and keep, for every row, the tensor its head receives; with the labels."""
    head, captured = head_of(model), []
    hook = head.register_forward_pre_hook(lambda module, args: captured.append(args[0][:, :1] if args[0].dim() == 3 else args[0]))
    model.eval()
    try:
        loader = make_loader(tokenize(dataset, tokenizer, max_length), tokenizer, batch_size, shuffle=False)
        for batch in tqdm(loader, desc="caching features", disable=not progress, leave=False):
            model(**{k: v.to(device) for k, v in batch.items() if k != "labels"})
    finally:
        hook.remove()
    features = torch.cat(captured).float().cpu()
    return Dataset.from_dict({"features": features.numpy(), "label": list(dataset["label"])}).with_format("torch")
