"""One fused sampler for transformers' continuous batching: temperature, top-k, top-p and seeds per request.

Why not transformers' own per-request warpers: on a small model served from a CPU they dominate the step
(each sorts the whole vocabulary for every row), and none of them can make a request's sampling
reproducible, because the batch is sampled with one global RNG. Here the batch takes ``torch.topk`` once,
applies each row's temperature, top-k and top-p on those few candidates, and draws each row's token: rows
with a ``seed`` from a generator seeded with ``(seed, position)``, so their text does not depend on what
else is in the batch. The result is a mask that leaves only the chosen token, so the manager's greedy
``argmax`` (the generation config has ``do_sample=False``) picks it.

The processor API passes one int32 per row per processor, so three small carriers pass temperature, top-k
and top-p to the sampler, which runs last and receives the seed itself. Grammar-constrained rows are masked
before all of them (``grammar_mask.GrammarMasks``), so the sampler only ever draws an allowed token.
"""

from __future__ import annotations

import torch
from transformers.generation.continuous_batching.cb_logits_processors import (
    ContinuousBatchingLogitsProcessor,
    ContinuousBatchingLogitsProcessorList,
)

NO_SEED = -1
_POSITION_STRIDE = 1_000_003  # a prime, so (seed, position) pairs map to distinct generator seeds


def _as_int32(values: list, dtype: torch.dtype) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype).view(torch.int32)


class _ArgumentCarrier(ContinuousBatchingLogitsProcessor):
    """Hands one per-request argument to the sampler for the current step; leaves the scores alone."""

    ignored_kwargs: tuple[str, ...] = ()

    def __init__(self, name: str, dtype: torch.dtype, default: float, received: dict):
        self.name, self.dtype, self.default, self.received = name, dtype, default, received
        self.supported_kwargs = {name: float if dtype == torch.float32 else int}

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.copy_(torch.full(int32_tensor.shape, self.default, dtype=self.dtype).view(torch.int32))

    def prepare_tensor_args(self, requests_with_new_token: list) -> torch.Tensor:
        values = [r.state.logit_processor_kwargs.get(self.name, self.default) for r in requests_with_new_token]
        return _as_int32(values, self.dtype)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        self.received[self.name] = tensor_arg[: scores.size(0)].view(self.dtype)
        return scores


class FusedSampler(ContinuousBatchingLogitsProcessor):
    supported_kwargs: dict[str, type] = {"seed": int}
    ignored_kwargs: tuple[str, ...] = ()

    def __init__(self, received: dict):
        self.received = received

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.fill_(NO_SEED)

    def prepare_tensor_args(self, requests_with_new_token: list) -> torch.Tensor:
        seeds = []
        for request in requests_with_new_token:
            seed = request.state.logit_processor_kwargs.get("seed")
            position = len(request.state.generated_tokens)
            seeds.append(NO_SEED if seed is None else (seed * _POSITION_STRIDE + position) % (2**31 - 1))
        return torch.tensor(seeds, dtype=torch.int32)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        rows = scores.size(0)
        temperature, top_k, top_p = (self.received[k] for k in ("temperature", "top_k", "top_p"))
        top_k = top_k.clamp(1, scores.size(-1))
        candidates, token_ids = torch.topk(scores, int(top_k.max()), dim=-1)  # sorted, best first
        rank = torch.arange(candidates.size(-1))
        logits = (candidates / temperature[:, None]).masked_fill(rank[None, :] >= top_k[:, None], float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        mass_before = probs.cumsum(-1) - probs  # keep a candidate while the mass above it is below top_p,
        # and always the best one: a top_p too small for float32 (0.0 there) must not leave nothing to draw
        probs = probs.masked_fill((mass_before >= top_p[:, None]) & (rank[None, :] > 0), 0.0)
        choice = torch.multinomial(probs, 1)
        for row, seed in enumerate(tensor_arg[:rows].tolist()):
            if seed != NO_SEED:
                choice[row] = torch.multinomial(probs[row], 1, generator=torch.Generator().manual_seed(seed))
        chosen = token_ids.gather(1, choice)
        return torch.full_like(scores, float("-inf")).scatter_(1, chosen, 0.0)


def install_sampler(
    processors: ContinuousBatchingLogitsProcessorList, grammar_masks: ContinuousBatchingLogitsProcessor | None = None
) -> None:
    """Make ``processors`` (a manager's ``logit_processor``) sample with :class:`FusedSampler`, after
    ``grammar_masks`` when given.

    Call before the manager starts, on a manager whose generation config has ``do_sample=False``
    (so that transformers adds no warpers of its own).
    """
    received: dict[str, torch.Tensor] = {}
    added = [grammar_masks] if grammar_masks is not None else []
    added += [
        _ArgumentCarrier("temperature", torch.float32, 1.0, received),
        _ArgumentCarrier("top_k", torch.int32, 1, received),
        _ArgumentCarrier("top_p", torch.float32, 1.0, received),
        FusedSampler(received),
    ]
    processors.logits_processor.extend(added)
    processors.tensors_required += len(added)
    for processor in added:
        processors.supported_keys.update(processor.supported_kwargs)
    processors.do_processing = True
