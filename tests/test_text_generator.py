"""The bundled model through TextGenerator: streaming, batching, sampling controls, limits."""

import asyncio
import re

import pytest

from models.text.params import MAX_PROMPT_CHARS, GenerationParams, PromptTooLong
from core.paths import SHAKESPEARE_CORPUS

GREEDY = GenerationParams(max_new_tokens=24, temperature=0)


def run(coro):
    return asyncio.run(coro)


async def collect(generator, prompt, params):
    return [chunk async for chunk in generator.stream(prompt, params)]


def test_stream_adds_up_to_the_completion(generator):
    chunks = run(collect(generator, "ROMEO:\n", GREEDY))
    completion = run(generator.complete("ROMEO:\n", GREEDY))
    assert "".join(c.text for c in chunks) == completion.text
    assert sum(c.tokens for c in chunks) == completion.completion_tokens == 24
    assert [c.finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert chunks[-1].finish_reason == "length"


def test_greedy_output_is_the_same_alone_and_inside_a_batch(generator):
    prompts = ["ROMEO:\n", "JULIET:\nO Romeo", "KING RICHARD III:\n", "First Citizen:\nWe are"]
    alone = [run(generator.complete(p, GREEDY)).text for p in prompts]

    async def batched():
        long_neighbour = generator.complete("HAMLET:\n", GenerationParams(max_new_tokens=80))
        results = await asyncio.gather(generator.complete_many(prompts, GREEDY), long_neighbour)
        return [c.text for c in results[0]]

    assert run(batched()) == alone


def test_seed_makes_sampling_reproducible_whatever_runs_beside_it(generator):
    seeded = GenerationParams(max_new_tokens=24, temperature=1.0, seed=1234)
    first = run(generator.complete("GLOUCESTER:\n", seeded)).text
    in_batch = run(generator.complete_many(["KING:\n", "GLOUCESTER:\n", "QUEEN:\n"], seeded))[1].text
    other_seed = run(generator.complete("GLOUCESTER:\n", seeded.model_copy(update={"seed": 99}))).text
    assert first == in_batch
    assert first != other_seed


def test_stop_string_ends_the_text_before_it(generator):
    full = run(generator.complete("ROMEO:\n", GREEDY)).text
    word = re.findall(r"[A-Za-z]{3,}", full)[1]
    stopped = run(generator.complete("ROMEO:\n", GREEDY.model_copy(update={"stop": [word]})))
    assert stopped.finish_reason == "stop"
    assert stopped.text == full[: full.index(word)]


def test_prompts_that_do_not_fit_are_refused(generator):
    with pytest.raises(PromptTooLong, match="characters"):
        generator.encode("a" * (MAX_PROMPT_CHARS + 1), GREEDY)
    with pytest.raises(PromptTooLong, match="context"):
        generator.encode("word " * 1000, GenerationParams(max_new_tokens=512))


def test_chat_messages_render_as_a_play(generator):
    prompt = generator.chat_prompt([{"role": "user", "content": "Speak of love."}])
    assert prompt == "USER:\nSpeak of love.\n\nMUSE:\n"


def test_bundled_model_writes_words_from_shakespeare(generator):
    vocabulary = set(re.findall(r"[a-z]+", SHAKESPEARE_CORPUS.read_text().lower()))
    text = run(generator.complete("ROMEO:\n", GenerationParams(max_new_tokens=120, seed=7))).text
    words = re.findall(r"[a-z]+", text.lower())
    assert len(words) >= 40
    known = sum(w in vocabulary for w in words) / len(words)
    assert known >= 0.85, f"only {known:.0%} of words are English/Shakespearean: {text!r}"


def test_a_template_that_refuses_the_messages_is_bad_input(generator, monkeypatch):
    refusing = "{{ raise_exception('roles must alternate') }}"
    monkeypatch.setattr(generator.tokenizer, "chat_template", refusing)
    with pytest.raises(ValueError, match="roles must alternate"):
        generator.chat_prompt([{"role": "user", "content": "x"}])


def test_tools_reach_the_chat_template(generator, monkeypatch):
    monkeypatch.setattr(
        generator.tokenizer,
        "chat_template",
        "{% for t in tools %}{{ t['function']['name'] }};{% endfor %}{{ messages[0]['content'] }}",
    )
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    assert generator.chat_prompt([{"role": "user", "content": "hi"}], tools) == "get_weather;hi"
