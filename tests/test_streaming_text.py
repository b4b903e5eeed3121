from models.text.streaming_text import StopScanner


class CharTokenizer:
    """Each token id is one character's code point: enough to drive the scanner exactly."""

    def decode(self, tokens, skip_special_tokens=True):
        return "".join(chr(t) for t in tokens)


def feed_all(text: str, stop: list[str]) -> tuple[list[str], bool]:
    scanner = StopScanner(CharTokenizer(), stop)
    deltas, tokens = [], []
    for ch in text:
        tokens.append(ord(ch))
        delta, hit = scanner.feed(tokens)
        deltas.append(delta)
        if hit:
            return deltas, True
    deltas.append(scanner.flush())
    return deltas, False


def test_no_stop_streams_everything():
    deltas, hit = feed_all("hello world", [])
    assert "".join(deltas) == "hello world" and not hit


def test_stop_string_spanning_tokens_is_never_sent():
    deltas, hit = feed_all("to be or not to be", ["not"])
    assert hit
    assert "".join(deltas) == "to be or "
    assert all("n" not in d for d in deltas[-3:])  # the held-back "n", "no" were never emitted


def test_earliest_of_several_stops_wins():
    deltas, hit = feed_all("abcXYdefXZ", ["XZ", "Y"])
    assert hit and "".join(deltas) == "abcX"


def test_partial_stop_prefix_is_released_when_it_does_not_complete():
    deltas, hit = feed_all("ab-c", ["-d"])
    assert not hit and "".join(deltas) == "ab-c"
