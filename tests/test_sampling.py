"""The fused sampler's arithmetic on hand-made scores (the bundled-model tests cover it end to end)."""

from types import SimpleNamespace

import torch

from models.text.sampling import NO_SEED, FusedSampler

SCORES = torch.tensor([[0.0, 3.0, 2.0, 1.0, -1.0]])  # token 1 is the best, then 2, 3, 0, 4


def sample(temperature: float, top_k: int, top_p: float, seed: int = NO_SEED, scores=SCORES) -> int:
    received = {
        "temperature": torch.tensor([temperature]),
        "top_k": torch.tensor([top_k], dtype=torch.int32),
        "top_p": torch.tensor([top_p]),
    }
    masked = FusedSampler(received)(scores.clone(), torch.tensor([seed], dtype=torch.int32))
    assert int(torch.isfinite(masked).sum()) == 1  # exactly one token survives for the argmax
    return int(masked.argmax())


def test_top_k_one_is_greedy():
    assert {sample(1.0, 1, 1.0) for _ in range(20)} == {1}


def test_top_k_limits_the_candidates():
    assert {sample(5.0, 2, 1.0) for _ in range(200)} == {1, 2}


def test_top_p_keeps_the_smallest_set_reaching_the_mass():
    probs = torch.softmax(SCORES[0], -1)  # token 1 alone has ~0.64 of the mass
    assert probs[1] > 0.6
    assert {sample(1.0, 5, 0.6) for _ in range(100)} == {1}
    assert {sample(1.0, 5, 0.8) for _ in range(300)} == {1, 2}


def test_a_vanishing_top_p_still_draws_the_best_token():
    assert {sample(1.0, 5, 1.58e-185) for _ in range(20)} == {1}  # found by the fuzz test: 0.0 in float32


def test_seeded_rows_repeat_and_unseeded_vary():
    flat = torch.zeros(1, 50)
    assert len({sample(1.0, 50, 1.0, seed=42, scores=flat) for _ in range(10)}) == 1
    assert len({sample(1.0, 50, 1.0, scores=flat) for _ in range(30)}) > 5


def test_seed_arguments_depend_on_seed_and_position():
    sampler = FusedSampler({})

    def request(seed, generated):
        return SimpleNamespace(
            state=SimpleNamespace(
                logit_processor_kwargs={"seed": seed} if seed is not None else {}, generated_tokens=[0] * generated
            )
        )

    args = sampler.prepare_tensor_args([request(1, 0), request(1, 1), request(2, 0), request(None, 3)]).tolist()
    assert len(set(args[:3])) == 3 and args[3] == NO_SEED
