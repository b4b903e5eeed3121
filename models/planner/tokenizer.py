"""The planner's tokenizer: byte-level BPE trained on the generated corpus, with the contract's markers."""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from models.planner.replies import CALL_CLOSE, CALL_OPEN

EOS, PAD, REQUEST, PLAN = "<|endoftext|>", "<|pad|>", "<|request|>", "<|plan|>"
TOOL_NAMES = (
    "generate_text",
    "search_catalogue",
    "recommend",
    "register_work",
    "set_license_terms",
    "buy_license",
    "grant_license",
    "withdraw_royalties",
    "verify_license",
    "work_details",
    "my_works",
    "my_account",
)
ARG_NAMES = (
    "topic",
    "form",
    "length",
    "language",
    "query",
    "limit",
    "like_item",
    "k",
    "title",
    "content",
    "origin",
    "model_id",
    "prompt",
    "co_authors",
    "address",
    "share_percent",
    "work_id",
    "template",
    "price_eth",
    "rev_share_percent",
    "duration_days",
    "max_fee_wei",
    "holder",
    "use",
)
REF_PATHS = ("title", "text", "model_id", "prompt", "id", "items.0.id", "terms.fee_wei")
# The plans' JSON boilerplate, one token each, so that a plan is short: each call's head, each argument's key,
# and the references to earlier calls' results.
PLAN_PIECES = (
    [f'{{"name": "{name}", "arguments": {{' for name in TOOL_NAMES]
    + [f'{{"name": "{name}", "arguments": {{}}}}' for name in TOOL_NAMES]
    + [f'{sep}"{arg}": ' for sep in ("", ", ") for arg in ARG_NAMES]
    + [f'{sep}"${n}.{path}"' for sep in ("", ", ") for n in (1, 2, 3) for path in REF_PATHS]
)

# Only the user's words, joined by new lines, after the request marker; then the plan marker (the contract).
CHAT_TEMPLATE = (
    "{{ '" + REQUEST + "' }}"
    "{% for m in messages if m['role'] == 'user' %}{% if not loop.first %}{{ '\\n' }}{% endif %}"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for part in m['content'] if part['type'] == 'text' %}{{ part['text'] }}{% endfor %}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '" + PLAN + "' }}{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """BPE over the corpus's texts. ``<tool_call>``, ``</tool_call>`` and the plan pieces are single,
    non-special tokens, so that a decode that skips special tokens keeps them for the server's Hermes parser."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS, PAD, REQUEST, PLAN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator((_without_pieces(t) for t in texts), trainer)
    tok.add_tokens(
        [AddedToken(piece, special=False, normalized=False) for piece in (CALL_OPEN, CALL_CLOSE, *PLAN_PIECES)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOS,
        bos_token=EOS,
        pad_token=PAD,
        padding_side="left",
        additional_special_tokens=[REQUEST, PLAN],
        chat_template=CHAT_TEMPLATE,
    )


def _without_pieces(text: str) -> str:
    """The text left for BPE to learn from once the added tokens are taken out."""
    for piece in (CALL_OPEN, CALL_CLOSE, *PLAN_PIECES):
        text = text.replace(piece, " ")
    return text
