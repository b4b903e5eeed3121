"""Turn a growing list of token ids into text deltas, honouring stop strings.

Byte-level tokenizers can split one character over several tokens, and a stop
string can span tokens, so the scanner holds back a tail that may still change:
an incomplete character, or a suffix that could be the start of a stop string.
"""

from __future__ import annotations

_INCOMPLETE = "\ufffd"


class StopScanner:
    def __init__(self, tokenizer, stop: list[str]):
        self._tokenizer = tokenizer
        self._stop = stop
        self._text = ""
        self._sent = 0

    def feed(self, tokens: list[int]) -> tuple[str, bool]:
        """Return ``(new text safe to send, whether a stop string was reached)``."""
        self._text = self._tokenizer.decode(tokens, skip_special_tokens=True)
        hits = [i for i in (self._text.find(s) for s in self._stop) if i >= 0]
        if hits:
            end = min(hits)
            delta = self._text[self._sent : end]
            self._sent = max(self._sent, end)
            return delta, True
        end = len(self._text.rstrip(_INCOMPLETE))
        end -= self._stop_prefix_length(self._text[:end])
        delta = self._text[self._sent : end] if end > self._sent else ""
        self._sent = max(self._sent, end)
        return delta, False

    def flush(self) -> str:
        """The held-back tail, once generation has ended without a stop string."""
        delta = self._text[self._sent :]
        self._sent = len(self._text)
        return delta

    def _stop_prefix_length(self, text: str) -> int:
        """Length of the longest suffix of ``text`` that is a proper prefix of a stop string."""
        best = 0
        for stop in self._stop:
            for n in range(min(len(stop) - 1, len(text)), best, -1):
                if text.endswith(stop[:n]):
                    best = n
                    break
        return best
