import pytest
from pydantic import ValidationError

from models.text.params import MAX_NEW_TOKENS_CAP, GenerationParams


@pytest.mark.parametrize(
    "field,value",
    [
        ("max_new_tokens", 0),
        ("max_new_tokens", MAX_NEW_TOKENS_CAP + 1),
        ("temperature", -0.1),
        ("temperature", 2.5),
        ("top_p", 0.0),
        ("top_p", 1.5),
        ("top_k", -1),
        ("seed", -3),
        ("stop", ["a", "b", "c", "d", "e"]),
        ("stop", [""]),
        ("unknown_field", 1),
    ],
)
def test_invalid_parameter_names_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        GenerationParams(**{field: value})
    assert info.value.errors()[0]["loc"][0] == field


def test_defaults_and_coercions():
    params = GenerationParams(stop="\n\n", temperature=0)
    assert params.stop == ["\n\n"]
    assert params.greedy
    assert not GenerationParams().greedy
    assert GenerationParams(temperature=2.7e-54).greedy  # found by the fuzz test: 1/T overflowed to inf
    assert GenerationParams().max_new_tokens == 64
