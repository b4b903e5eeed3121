"""The qwen-planner profile: the Generator serves a Qwen2-architecture instruct model from a local folder, with its
chat template (tools included) and the hermes parser. A tiny randomly initialised Qwen2 checkpoint, written here
with a Qwen-style tokenizer and template, stands in for the operator's weights (CPU, no download)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from core.paths import SERVE_CONFIG
from core.users import connect
from deployments.api import create_api
from deployments.generator import Generator
from deployments.served_models import ServedModel
from deployments.text_service import TextService
from muse.serve_config import load_config
from tests.local_handle import LocalHandle

# Qwen2.5's template, cut down to what the test needs: tools in the system turn, calls as hermes blocks.
TEMPLATE = (
    "{%- if tools %}{{ '<|im_start|>system\\nYou may call functions.\\n<tools>' }}"
    "{%- for tool in tools %}{{ '\\n' }}{{ tool | tojson }}{%- endfor %}"
    '{{ \'\\n</tools>\\nFor each call, return <tool_call>\\n{"name": <function-name>, "arguments": '
    "<args-json-object>}\\n</tool_call><|im_end|>\\n' }}{%- endif %}"
    "{%- for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)
TOOL = {
    "type": "function",
    "function": {
        "name": "generate_text",
        "parameters": {
            "type": "object",
            "properties": {"topic": {"type": "string", "maxLength": 12}, "form": {"enum": ["poem", "lullaby"]}},
            "required": ["topic", "form"],
            "additionalProperties": False,
        },
    },
}


def qwen_entry() -> dict:
    config = load_config(SERVE_CONFIG, ["qwen-planner"])
    args = config["applications"][0]["args"]
    assert args["assistant_planner"] == "model"
    return next(m for m in args["models"] if m["name"] == args["assistant_model"])


def tiny_qwen(folder: Path) -> None:
    """A Qwen2 checkpoint of a few thousand parameters, logits wider than its tokenizer (as Qwen2.5's are)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    text = ['{"name": "generate_text", "arguments": {"topic": "the moon", "form": "poem"}}', "Write a poem."]
    tokenizer.train_from_iterator(
        text,
        trainers.BpeTrainer(
            vocab_size=400,
            special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in ("<tool_call>", "</tool_call>")])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>", chat_template=TEMPLATE
    )
    fast.save_pretrained(folder)
    config = Qwen2Config(
        vocab_size=len(fast) + 37,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=True,
    )
    Qwen2ForCausalLM(config).save_pretrained(folder)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[TestClient, Generator, str]:
    folder = tmp_path_factory.mktemp("qwen")
    tiny_qwen(folder)
    model = ServedModel(**{**qwen_entry(), "path": str(folder)})
    generator = Generator.func_or_class(models=[model], torch_threads=1)
    db = connect(tmp_path_factory.mktemp("home") / "muse.db")
    api = create_api(TextService(LocalHandle(generator), [model]), recommender=None, ledger=None, status=dict, db=db)
    return TestClient(api, raise_server_exceptions=False), generator, model.name


def test_the_profile_names_a_local_qwen_with_the_hermes_parser():
    entry = qwen_entry()
    assert entry["tool_parser"] == "hermes"
    assert Path(entry["path"]).is_absolute()  # the operator's folder: never a hub id fetched at run time


def test_the_chat_template_renders_the_tools(served):
    _, generator, name = served
    prompt = generator._pick(name).chat_prompt([{"role": "user", "content": "Write a poem"}], [TOOL])
    assert "<tools>" in prompt and '"generate_text"' in prompt and prompt.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize("seed", range(3))
def test_a_forced_call_from_the_random_model_parses_and_follows_the_schema(served, seed):
    client, _, name = served
    answer = client.post(
        "/v1/chat/completions",
        json={
            "model": name,
            "messages": [{"role": "user", "content": "Write a poem about the moon"}],
            "tools": [TOOL],
            "tool_choice": "required",
            "parallel_tool_calls": False,
            "temperature": 1.0,
            "seed": seed,
            "max_tokens": 200,
        },
    )
    assert answer.status_code == 200, answer.text
    choice = answer.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls", choice
    call = choice["message"]["tool_calls"][0]["function"]
    assert call["name"] == "generate_text"
    jsonschema.validate(json.loads(call["arguments"]), TOOL["function"]["parameters"])


def test_strict_tools_under_auto_give_text_or_a_valid_call(served):
    client, _, name = served
    strict = {**TOOL, "function": {**TOOL["function"], "strict": True}}
    for seed in range(3):
        answer = client.post(
            "/v1/chat/completions",
            json={
                "model": name,
                "messages": [{"role": "user", "content": "Write a poem"}],
                "tools": [strict],
                "temperature": 1.0,
                "seed": seed,
                "max_tokens": 120,
            },
        ).json()
        message = answer["choices"][0]["message"]
        for call in message.get("tool_calls") or []:
            jsonschema.validate(json.loads(call["function"]["arguments"]), TOOL["function"]["parameters"])
        assert "<tool_call>" not in (message["content"] or "")  # no call left unread in the text
