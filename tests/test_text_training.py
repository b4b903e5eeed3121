"""Training on a tiny configuration, and the save/load round trip of what it writes."""

import json
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from models.text.train import TrainConfig, bigram_perplexity, split_corpus, train
from core.paths import BUNDLED_TEXT_MODEL, SHAKESPEARE_CORPUS


def test_tiny_training_run_saves_a_loadable_model(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(SHAKESPEARE_CORPUS.read_text()[:60_000])
    out = tmp_path / "model"
    cfg = TrainConfig(
        corpus=corpus,
        out_dir=out,
        vocab_size=400,
        hidden_size=32,
        num_layers=1,
        num_heads=2,
        intermediate_size=64,
        context=32,
        batch_size=4,
        steps=30,
        warmup_steps=5,
        lr=1e-2,
    )
    report = train(cfg, progress=False)
    assert report.final_train_loss < 5.5  # from ln(400) ~ 6.0 at random init
    assert report.heldout_perplexity > 1 and report.bigram_baseline_perplexity > 1
    assert json.loads((out / "train_report.json").read_text())["report"]["steps"] == 30

    model = AutoModelForCausalLM.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    ids = tokenizer("ROMEO: hello there", return_tensors="pt")["input_ids"]
    assert tokenizer.decode(ids[0]) == "ROMEO: hello there"
    model.save_pretrained(tmp_path / "again")
    reloaded = AutoModelForCausalLM.from_pretrained(tmp_path / "again")
    with torch.no_grad():
        assert torch.equal(model(ids).logits, reloaded(ids).logits)


def test_split_keeps_whole_lines():
    train_text, heldout = split_corpus("one\ntwo\nthree\nfour\n", 0.3)
    assert train_text + heldout == "one\ntwo\nthree\nfour\n"
    assert train_text.endswith("\n")


def test_bigram_baseline_prefers_seen_pairs():
    train_ids = [0, 1, 0, 1, 0, 1]
    assert bigram_perplexity(train_ids, [0, 1, 0, 1], 4) < bigram_perplexity(train_ids, [1, 1, 1, 1], 4)


def test_bundled_checkpoint_is_small_and_beats_the_baseline():
    size = sum(os.path.getsize(p) for p in BUNDLED_TEXT_MODEL.iterdir())
    assert size <= 25 * 2**20
    report = json.loads((BUNDLED_TEXT_MODEL / "train_report.json").read_text())["report"]
    assert report["heldout_perplexity"] < report["bigram_baseline_perplexity"]
