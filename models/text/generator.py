"""A text generator over any Hugging Face causal LM, with continuous batching and token streaming.

Requests from many callers share one background generation loop
(transformers' continuous batching): each decoding step runs every active
request together, and a request joins or leaves the batch between steps, so a
short request never waits for a long one. Each request streams its own tokens.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from jinja2 import TemplateError
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    ContinuousBatchingConfig,
    GenerationConfig,
)

from models.text.grammar_mask import GrammarMasks
from models.text.params import MAX_PROMPT_CHARS, GenerationParams, PromptTooLong
from models.text.sampling import install_sampler
from models.text.streaming_text import StopScanner
from models.text.tokenizer import CHAT_TEMPLATE

log = logging.getLogger(__name__)

# Continuous-batching sizes for CPU serving: a paged KV cache of num_blocks * page_size tokens,
# and at most max_batch_tokens tokens (prefill chunks plus one per decoding request) per step.
CPU_BATCHING = dict(
    num_blocks=1024, page_size=32, max_batch_tokens=512, q_padding_interval_size=16, kv_padding_interval_size=64
)
# The sampler's seeds and the grammar masks read each request's tokens when a step is prepared, so the
# previous step must be complete by then: no asynchronous batching (sdpa never chose it anyway).
SYNC_BATCHING = dict(use_async_batching=False)


# A whole completion is still read in chunks, so that stop strings end generation early.
COMPLETE_CHECK_INTERVAL_S = 0.05


@dataclass(frozen=True)
class TextChunk:
    """New text of one streamed step; the last chunk has a ``finish_reason``."""

    text: str
    tokens: int
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None = None  # "stop" (EOS or stop string) or "length"


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def pick_device(device: str | None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pick_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """``auto``: bf16 on a GPU, float32 on a CPU (bf16 pays off on CPUs with AVX512-BF16 or AMX: say so)."""
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be auto or one of {sorted(DTYPES)}, not {dtype!r}")
    return DTYPES[dtype]


class TextGenerator:
    """Load a causal LM from a folder or hub id and serve concurrent generation requests.

    Call :meth:`close` to stop the background generation loop.
    """

    def __init__(
        self, model: str | Path, device: str | None = None, dtype: str = "auto", torch_threads: int | None = None
    ):
        if torch_threads:
            torch.set_num_threads(torch_threads)
        self.device = pick_device(device)
        dtype = pick_dtype(dtype, self.device)
        self.model_path = str(model)
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        self.model = AutoModelForCausalLM.from_pretrained(self.model_path, dtype=dtype, attn_implementation="sdpa")
        self.model.to(self.device).eval()
        self.context_length = int(getattr(self.model.config, "max_position_embeddings", 2048))
        self.eos_token_id = self.tokenizer.eos_token_id
        # Sampling is Muse's fused sampler (see sampling.py); the manager itself only takes the argmax.
        generation_config = GenerationConfig(
            do_sample=False,
            eos_token_id=self.eos_token_id if self.eos_token_id is not None else -1,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        batching = CPU_BATCHING if self.device.type == "cpu" else {}
        self._manager = self.model.init_continuous_batching(
            generation_config=generation_config,
            continuous_batching_config=ContinuousBatchingConfig(**batching, **SYNC_BATCHING),
        )
        self._grammar_masks, self._no_grammar_reason = None, ""
        try:
            self._grammar_masks = GrammarMasks(self.tokenizer, self.model.config.vocab_size)
        except ValueError as exc:
            self._no_grammar_reason = str(exc)
            log.warning("%s cannot follow grammars: %s", self.model_path, exc)
        install_sampler(self._manager.logit_processor, self._grammar_masks)
        self._manager.start()
        log.info(
            "text generator ready: %s on %s (%s), context %d", self.model_path, self.device, dtype, self.context_length
        )

    @property
    def model_id(self) -> str:
        return Path(self.model_path).name if Path(self.model_path).exists() else self.model_path

    def healthy(self) -> bool:
        return self._manager.is_running()

    def close(self) -> None:
        self._manager.stop(block=True, timeout=10)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def chat_prompt(self, messages: list[dict[str, Any]], tools: list[dict] | None = None) -> str:
        """Render chat messages with the model's chat template (a plain one if it has none). ``tools`` (JSON
        schemas of functions) go to the template, which may show them to the model or ignore them."""
        template = None if self.tokenizer.chat_template else CHAT_TEMPLATE
        try:
            return self.tokenizer.apply_chat_template(
                messages, tools=tools or None, chat_template=template, tokenize=False, add_generation_prompt=True
            )
        except TemplateError as exc:  # a template may refuse a conversation (roles out of order...): bad input
            raise ValueError(f"the model's chat template refused the messages: {exc}") from exc

    def encode(self, prompt: str, params: GenerationParams) -> list[int]:
        """Token ids of the prompt, refusing prompts that do not fit the context."""
        if len(prompt) > MAX_PROMPT_CHARS:
            raise PromptTooLong(f"prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}")
        ids = self.tokenizer(prompt)["input_ids"] or [self.tokenizer.bos_token_id or 0]
        if len(ids) + params.max_new_tokens > self.context_length:
            raise PromptTooLong(
                f"prompt has {len(ids)} tokens; with max_new_tokens={params.max_new_tokens} that exceeds "
                f"the model's context of {self.context_length} tokens"
            )
        return ids

    def grammar_matcher(self, grammar: str):
        """A fresh llguidance matcher for ``grammar``; ``ValueError`` if the grammar (or this model) cannot."""
        if self._grammar_masks is None:
            raise ValueError(f"model {self.model_id} cannot follow grammars: {self._no_grammar_reason}")
        return self._grammar_masks.matcher(grammar)

    @property
    def constrained_requests(self) -> int:
        """Requests whose grammar matcher is held (0 when none is running)."""
        return self._grammar_masks.active if self._grammar_masks else 0

    def _sampling_kwargs(self, params: GenerationParams) -> dict:
        if params.greedy:
            kwargs = {"temperature": 1.0, "top_k": 1, "top_p": 1.0}
        else:
            top_k = params.top_k or len(self.tokenizer)
            kwargs = {"temperature": params.temperature, "top_k": top_k, "top_p": params.top_p}
        if params.seed is not None:
            kwargs["seed"] = params.seed
        return kwargs

    async def stream(self, prompt: str, params: GenerationParams, interval_s: float = 0.0) -> AsyncIterator[TextChunk]:
        """Yield the text as it is generated: the first chunk at once, then at most one chunk per
        ``interval_s`` holding every token produced meanwhile (0: a chunk per decoding step).

        A longer interval means less work per token for the caller and for this process (decoding,
        stop-string checks, messages), which matters when many streams share a small CPU.
        """
        ids = self.encode(prompt, params)
        matcher = await asyncio.to_thread(self.grammar_matcher, params.grammar) if params.grammar else None
        request_id = uuid.uuid4().hex
        outputs: asyncio.Queue = asyncio.Queue()
        scanner = StopScanner(self.tokenizer, params.stop)
        sent_tokens, last_sent = 0, 0.0
        model_done = finished = False
        try:
            if matcher is not None:
                self._grammar_masks.attach(request_id, matcher)
            self._manager.register_result_handler(request_id, outputs.put_nowait)
            self._manager.add_request(
                ids,
                request_id=request_id,
                max_new_tokens=params.max_new_tokens,
                streaming=True,
                **self._sampling_kwargs(params),
            )
            while not finished:
                output = await outputs.get()
                while not outputs.empty():  # coalesce what arrived meanwhile
                    output = outputs.get_nowait()
                if output.error:
                    raise RuntimeError(f"generation failed: {output.error}")
                model_done = output.is_finished()
                if not model_done and time.monotonic() - last_sent < interval_s:
                    continue
                tokens = output.generated_tokens
                text, hit_stop = scanner.feed(tokens)
                finished = hit_stop or model_done
                reason = None
                if finished:
                    text += "" if hit_stop else scanner.flush()
                    reason = self._finish_reason(tokens, hit_stop)
                yield TextChunk(text, len(tokens) - sent_tokens, len(ids), len(tokens), reason)
                sent_tokens, last_sent = len(tokens), time.monotonic()
        finally:
            if not model_done:  # stop string reached, or the caller went away
                self._manager.cancel_request(request_id)
            self._manager.output_router.result_handlers.pop(request_id, None)
            if matcher is not None:
                self._grammar_masks.detach(request_id)

    def _finish_reason(self, tokens: list[int], hit_stop: bool) -> str:
        if hit_stop or (tokens and tokens[-1] == self.eos_token_id):
            return "stop"
        return "length"

    async def complete(self, prompt: str, params: GenerationParams) -> Completion:
        parts: list[str] = []
        async for chunk in self.stream(prompt, params, interval_s=COMPLETE_CHECK_INTERVAL_S):
            parts.append(chunk.text)
        return Completion("".join(parts), chunk.finish_reason or "length", chunk.prompt_tokens, chunk.completion_tokens)

    async def complete_many(self, prompts: list[str], params: GenerationParams) -> list[Completion]:
        """Generate several prompts; they run in the same continuous batch."""
        for prompt in prompts:  # validate all before starting any
            self.encode(prompt, params)
        if params.grammar:
            await asyncio.to_thread(self.grammar_matcher, params.grammar)
        return list(await asyncio.gather(*(self.complete(p, params) for p in prompts)))
