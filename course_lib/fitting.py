"""The one small optimizer loop behind the helpers that train a few tensors on inputs computed once.

`course_lib.train` fine-tunes a classifier on a Dataset. The QA span head of lesson 04, the linear probe of
lesson 05 and the scripts that build the pocket heads train on cached encoder outputs with their own loss;
they all call `optimize` instead of writing zero_grad / backward / step again.
"""
import torch

from .validation import check_positive


def optimize(parameters, loss_of, batches, *, lr: float, optimizer=torch.optim.Adam, weight_decay: float = 0.0,
             schedule=None, clip_norm: float | None = None, max_steps: int | None = None) -> list[float]:
    """Minimise `loss_of(batch)` for each batch of `batches` with a torch optimizer; returns the loss of every step.

    `schedule(optimizer)` may return a learning-rate scheduler (stepped after each optimizer step);
    `clip_norm` clips the gradient norm; `max_steps` stops early (for smoke runs).
    """
    parameters = [p for p in parameters if p.requires_grad]
    check_positive(lr, "lr", 1e-3, integer=False)
    opt = optimizer(parameters, lr=lr, weight_decay=weight_decay)
    scheduler = schedule(opt) if schedule is not None else None
    losses = []
    for batch in batches:
        if max_steps is not None and len(losses) >= max_steps:
            break
        loss = loss_of(batch)
        opt.zero_grad()
        loss.backward()
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(parameters, clip_norm)
        opt.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return losses


def shuffled_batches(size: int, batch_size: int, epochs: int, seed: int = 0):
    """Yield index tensors: `epochs` seeded shuffles of range(size), cut into batches of `batch_size`."""
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(size, generator=generator)
        yield from order.split(batch_size)
