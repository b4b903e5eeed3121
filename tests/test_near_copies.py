"""Text fingerprints and the near-copy index, alone (no chain): what counts as the same text, what as a
near-copy, and that the index comes back whole from its file."""

from __future__ import annotations

import hashlib
import string

import numpy as np
from hypothesis import given, settings, strategies as st

from ledger.nearcopies import NearCopyIndex
from ledger.similarity import SimilaritySettings, fingerprint, jaccard, normalise, shingles

SETTINGS = SimilaritySettings()
ODE = (
    "Season of mists and mellow fruitfulness,\nClose bosom-friend of the maturing sun;\n"
    "Conspiring with him how to load and bless\nWith fruit the vines that round the thatch-eves run;"
)
OTHER = (
    "Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
    "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;"
)
JING_YE_SI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_normalising_sets_case_spacing_and_punctuation_aside():
    assert normalise("Hello,   World!\n") == normalise("hello world") == "helloworld"
    assert normalise("ＨＥＬＬＯ　ｗｏｒｌｄ") == "helloworld"  # full-width letters and the ideographic space
    assert normalise("he\u200bllo\u200d wor\ufeffld") == "helloworld"  # zero-width characters are invisible
    assert normalise("Straße") == normalise("STRASSE")  # case folding, not lowering
    assert normalise("“Café” — №3 ☕") == "caféno3"  # symbols and emoji go; letters and numbers stay


def test_chinese_punctuation_and_spacing_are_set_aside_too():
    assert normalise(JING_YE_SI) == "床前明月光疑是地上霜举头望明月低头思故乡"
    assert normalise("床前明月光, 疑是地上霜.\n举头望明月! 低头思故乡?") == normalise(JING_YE_SI)
    assert normalise("「床前明月光」《疑是地上霜》") == "床前明月光疑是地上霜"


def test_nothing_left_has_no_fingerprint():
    assert fingerprint("!?… ☕ \n\t", SETTINGS) is None


def test_shingles_and_jaccard():
    assert shingles("abcdef", 5).size == 2 and shingles("abc", 5).size == 1  # a short text is one shingle
    assert np.array_equal(shingles("abcabc", 3), shingles("cabcab", 3))  # the same three 3-grams
    a, b = shingles(normalise(ODE), 5), shingles(normalise(OTHER), 5)
    assert jaccard(a, a) == 1.0 and jaccard(a, b) < 0.05
    one_word = shingles(normalise(ODE.replace("maturing", "ripening")), 5)
    assert 0.7 < jaccard(a, one_word) < 1.0


def index_of(tmp_path, *texts: str) -> NearCopyIndex:
    index = NearCopyIndex(tmp_path / "fingerprints.sqlite3", SETTINGS)
    for work_id, text in enumerate(texts, start=1):
        prints = fingerprint(text, SETTINGS)
        index.remember(digest(text), prints)
        index.add(work_id, digest(text), prints)
    return index


def test_the_index_finds_equal_and_near_texts_and_not_others(tmp_path):
    index = index_of(tmp_path, ODE, OTHER, JING_YE_SI)
    assert [(m.work_id, m.similarity) for m in index.matches(fingerprint(ODE.upper(), SETTINGS))] == [(1, 1.0)]
    near = index.matches(fingerprint(ODE.replace("mellow", "yellow").replace("bless", "press"), SETTINGS))
    assert [m.work_id for m in near] == [1] and SETTINGS.threshold <= near[0].similarity < 1.0
    reordered = "\n".join(reversed(OTHER.split("\n")))
    assert [m.work_id for m in index.matches(fingerprint(reordered, SETTINGS))] == [2]
    assert [
        m.work_id for m in index.matches(fingerprint("床前明月光　疑是地上霜\n举头望明月　低头思故乡", SETTINGS))
    ] == [3]
    assert (
        index.matches(fingerprint("A different poem entirely, about the winter sea and its grey gulls.", SETTINGS))
        == []
    )


def test_the_index_comes_back_from_its_file(tmp_path):
    index_of(tmp_path, ODE, OTHER).close()
    reopened = NearCopyIndex(tmp_path / "fingerprints.sqlite3", SETTINGS)
    assert reopened.load([(7, digest(OTHER)), (8, digest("never registered"))]) == 1  # only works with a fingerprint
    assert [m.work_id for m in reopened.matches(fingerprint(OTHER.lower(), SETTINGS))] == [7]
    assert reopened.matches(fingerprint(ODE, SETTINGS)) == []  # not among the works loaded
    other_settings = NearCopyIndex(tmp_path / "fingerprints.sqlite3", SimilaritySettings(shingle_chars=3))
    assert other_settings.load([(7, digest(OTHER))]) == 0  # signatures of other settings are not comparable


PUNCTUATION = string.punctuation + "，。！？；：「」《》、…—“”‘’"
SPACES = " \t\n\u3000\u200b"


@st.composite
def variants(draw) -> str:
    """ODE or the Chinese poem with any case changes and any whitespace and punctuation added or removed."""
    text = draw(st.sampled_from([ODE, JING_YE_SI]))
    out = []
    for ch in text:
        if ch in PUNCTUATION or ch.isspace():
            if draw(st.booleans()):
                continue  # dropped
        out.append(ch.upper() if draw(st.booleans()) else ch.lower())
        out.append(draw(st.text(alphabet=PUNCTUATION + SPACES, max_size=2)))
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(variant=variants())
def test_any_case_spacing_or_punctuation_variant_is_caught(tmp_path_factory, variant):
    index = index_of(tmp_path_factory.mktemp("variants"), ODE, JING_YE_SI)
    expected = 1 if normalise(variant) == normalise(ODE) else 2
    assert [(m.work_id, m.similarity) for m in index.matches(fingerprint(variant, SETTINGS))] == [(expected, 1.0)]
