"""Pure ML for Muse: text generation and recommendations. No serving code here."""
