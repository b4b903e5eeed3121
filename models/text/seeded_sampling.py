"""Per-request reproducible sampling inside transformers' continuous batching.

Continuous batching samples every row of the batch with one global RNG, so a
request's tokens would depend on what else is in the batch. This processor runs
last: for each row whose request carries a ``seed`` it draws the token itself
from a generator seeded with ``(seed, position)`` and masks every other token,
so the batch-wide ``multinomial`` can only pick that one. Rows without a seed
(argument ``-1``) are left untouched.
"""

from __future__ import annotations

import torch
from transformers.generation.continuous_batching.cb_logits_processors import (
    ContinuousBatchingLogitsProcessor,
    ContinuousBatchingLogitsProcessorList,
)

_NO_SEED = -1
_POSITION_STRIDE = 1_000_003  # a prime, so (seed, position) pairs map to distinct generator seeds


class SeededSampler(ContinuousBatchingLogitsProcessor):
    supported_kwargs: dict[str, type] = {"seed": int}
    ignored_kwargs: tuple[str, ...] = ()

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.fill_(_NO_SEED)

    def prepare_tensor_args(self, requests_with_new_token: list) -> torch.Tensor:
        seeds = []
        for request in requests_with_new_token:
            seed = request.state.logit_processor_kwargs.get("seed")
            if seed is None:
                seeds.append(_NO_SEED)
            else:
                position = len(request.state.generated_tokens)
                seeds.append((seed * _POSITION_STRIDE + position) % (2**31 - 1))
        return torch.tensor(seeds, dtype=torch.int32)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        seeds = tensor_arg[: scores.size(0)].tolist()
        for row, seed in enumerate(seeds):
            if seed == _NO_SEED:
                continue
            probs = torch.softmax(scores[row].float(), dim=-1)
            token = torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(seed))
            chosen = scores[row, token].clone()
            scores[row].fill_(float("-inf"))
            scores[row, token] = chosen
        return scores


def install_seeded_sampler(processors: ContinuousBatchingLogitsProcessorList) -> None:
    """Append the sampler to a manager's processor list; call before the manager starts."""
    processors.logits_processor.append(SeededSampler())
    processors.tensors_required += 1
    processors.supported_keys["seed"] = int
    processors.do_processing = True
