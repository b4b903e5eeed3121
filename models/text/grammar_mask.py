"""Grammar-constrained rows inside the continuous batch: one llguidance matcher per request, one token mask
per step (the way vLLM does it).

The serving side compiles a request's grammar into a matcher before the request joins the batch
(:meth:`GrammarMasks.matcher`: a refused grammar is a ``ValueError``), registers it under the request id
(:meth:`attach`) and removes it when the request's stream ends, however it ends (:meth:`detach`). Inside the
generation loop, which prepares a batch and then runs it in one thread, :meth:`prepare_tensor_args` advances
each constrained row's matcher by the tokens generated since the last step and remembers which rows are
constrained; :meth:`__call__` then fills their bitmasks in parallel (llguidance's executor, off the GIL) and
sets the disallowed logits to ``-inf`` before the fused sampler draws. Once a grammar is complete, only EOS
is allowed, so the request ends there. A matcher that fails (a token it cannot take) allows only EOS too:
the request ends with ``finish_reason`` "stop" and the text it has. Rows without a grammar cost one dict
look-up per step; a batch without any costs nothing more.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import llguidance
import llguidance.hf
import torch
from llguidance._tokenizer import TokenizerWrapper
from llguidance.torch import allocate_token_bitmask, fill_next_token_bitmask_par
from transformers import PreTrainedTokenizerFast
from transformers.generation.continuous_batching.cb_logits_processors import ContinuousBatchingLogitsProcessor

from models.text.grammar import LIMITS

log = logging.getLogger(__name__)

_BITS = torch.arange(32, dtype=torch.int32)


@dataclass
class _Row:
    matcher: llguidance.LLMatcher
    consumed: int = 0  # generated tokens the matcher has taken

    def advance(self, state) -> None:
        """Feed the matcher the tokens generated since the last step (``state``: the request's state)."""
        # A soft reset (cache offloading) moves generated tokens into the prompt, after _true_initial_tokens.
        moved = state.initial_tokens[state._true_initial_tokens :] if state._true_initial_tokens else []
        total = len(moved) + len(state.generated_tokens)
        if total > self.consumed:
            new = (moved + state.generated_tokens)[self.consumed :]
            self.consumed = total
            if not self.matcher.consume_tokens(new):
                log.warning(
                    "request %s left its grammar, ending it: %s", state.request_id, self.matcher.get_error()[:300]
                )


class _AddedTokensAsText:
    """What ``llguidance.LLTokenizer`` reads from a tokenizer (``TokenizerWrapper``'s duck type): every token's
    bytes, and which ids are special."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast, vocab_size: int):
        loaded = llguidance.hf.from_tokenizer(tokenizer, n_vocab=vocab_size)
        self._tokenizer = tokenizer
        self.eos_token_id = tokenizer.eos_token_id
        self.bos_token_id = tokenizer.bos_token_id
        self.special_token_ids = sorted(set(tokenizer.all_special_ids))
        self.tokens = [loaded.decode_bytes([i]) for i in range(vocab_size)]

    def __call__(self, text: str) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens=False)


def text_tokenizer(tokenizer: PreTrainedTokenizerFast, vocab_size: int) -> llguidance.LLTokenizer:
    """llguidance's view of ``tokenizer`` in which added tokens that are not special are text, as they are to
    transformers (a decode that skips special tokens keeps them). llguidance's own loader makes every added token
    special, reachable only by name in a grammar: a model whose tool-call markers or JSON pieces are added tokens
    (muse-planner's ``<tool_call>`` and ``{"name": "generate_text", "arguments": {``, Qwen's ``<tool_call>``)
    could then write a constrained call only by spelling it in pieces it never learned."""
    return llguidance.LLTokenizer(
        TokenizerWrapper(_AddedTokensAsText(tokenizer, vocab_size)),
        n_vocab=vocab_size,
        eos_token=tokenizer.eos_token_id,
    )


def unpack_bitmask(bitmask: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """``[rows, ceil(V / 32)]`` int32 bitmask (bit ``t % 32`` of word ``t // 32``) -> ``[rows, V]`` allowed."""
    bits = (bitmask.unsqueeze(-1) >> _BITS.to(bitmask.device)) & 1
    return bits.flatten(1)[:, :vocab_size].bool()


class GrammarMasks(ContinuousBatchingLogitsProcessor):
    """Masks the logits of grammar-constrained rows; install it before the sampler."""

    supported_kwargs: dict[str, type] = {}
    ignored_kwargs: tuple[str, ...] = ()

    def __init__(self, tokenizer: PreTrainedTokenizerFast, vocab_size: int):
        """``vocab_size``: the width of the model's logits, which may exceed the tokenizer's vocabulary (the
        extra ids are never allowed)."""
        if tokenizer.eos_token_id is None:
            raise ValueError("grammar-constrained decoding needs a tokenizer with an EOS token")
        self.tokenizer = text_tokenizer(tokenizer, max(vocab_size, len(tokenizer)))
        self._eos = tokenizer.eos_token_id
        self._executor = llguidance.LLExecutor()
        self._bitmask = allocate_token_bitmask(1, self.tokenizer.vocab_size)
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._batch: list[tuple[int, _Row]] = []  # (row in the scores, its matcher) of the step being run

    # Request lifecycle (the serving thread).

    def matcher(self, grammar: str) -> llguidance.LLMatcher:
        """Compile ``grammar`` for this tokenizer (up to a second for huge grammars: call it off the event loop)."""
        matcher = llguidance.LLMatcher(self.tokenizer, grammar, log_level=0, limits=LIMITS)
        if matcher.is_error():
            raise ValueError(f"the grammar was refused: {matcher.get_error()[:500]}")
        return matcher

    def attach(self, request_id: str, matcher: llguidance.LLMatcher) -> None:
        with self._lock:
            self._rows[request_id] = _Row(matcher)

    def detach(self, request_id: str) -> None:
        with self._lock:
            self._rows.pop(request_id, None)

    @property
    def active(self) -> int:
        """Requests whose matcher is held."""
        return len(self._rows)

    # The generation loop (its thread).

    def fill_defaults(self, int32_tensor: torch.Tensor) -> None:
        int32_tensor.zero_()

    def prepare_tensor_args(self, requests_with_new_token: list) -> torch.Tensor:
        """Each row's flag (1: constrained). The matchers stay here, in ``_batch``, for :meth:`__call__`."""
        with self._lock:
            constrained = [
                (i, self._rows.get(r.state.request_id), r.state) for i, r in enumerate(requests_with_new_token)
            ]
        self._batch = [(i, row) for i, row, _ in constrained if row is not None]
        for _, row, state in constrained:
            if row is not None:
                row.advance(state)
        return torch.tensor([row is not None for _, row, _ in constrained], dtype=torch.int32)

    def __call__(self, scores: torch.Tensor, tensor_arg: torch.Tensor) -> torch.Tensor:
        if not self._batch:
            return scores
        bitmask = self._bitmask_for(len(self._batch))
        fill_next_token_bitmask_par(
            self._executor, [(row.matcher, i) for i, (_, row) in enumerate(self._batch)], bitmask
        )
        allowed = unpack_bitmask(bitmask.to(scores.device), scores.size(-1))
        allowed[~allowed.any(dim=1), self._eos] = True  # never expected: the sampler must have a token to draw
        index = torch.tensor([i for i, _ in self._batch], device=scores.device)
        scores[index] = scores[index].masked_fill(~allowed, float("-inf"))
        return scores

    def _bitmask_for(self, rows: int) -> torch.Tensor:
        if self._bitmask.size(0) < rows:
            self._bitmask = allocate_token_bitmask(rows, self.tokenizer.vocab_size)
        return self._bitmask[:rows]
