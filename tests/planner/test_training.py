"""A tiny training run of the planner writes a complete, loadable transformers folder."""

import json

from transformers import AutoModelForCausalLM, AutoTokenizer

from models.planner.train import TrainConfig, train

FILES = {
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "README.md",
    "train_report.json",
}


def test_tiny_run_writes_the_model_folder(tmp_path):
    cfg = TrainConfig(
        out_dir=tmp_path,
        train_examples=300,
        heldout_examples=4,
        vocab_size=400,
        hidden_size=32,
        num_layers=1,
        num_heads=2,
        intermediate_size=64,
        batch_size=8,
        steps=4,
        warmup_steps=2,
    )
    report = train(cfg, progress=False)
    assert FILES <= {p.name for p in tmp_path.iterdir()}
    saved = json.loads((tmp_path / "train_report.json").read_text())
    assert saved["report"]["steps"] == 4 and saved["report"]["heldout_examples"] == 4
    assert report.final_train_loss > 0 and 0 <= report.heldout_valid <= 1
    assert "muse-planner" in (tmp_path / "README.md").read_text()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert AutoModelForCausalLM.from_pretrained(tmp_path).config.vocab_size == len(tokenizer)
    assert (
        tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
        == "<|request|>hi<|plan|>"
    )
