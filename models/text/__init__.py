"""Text generation: the bundled model, its training, and a batched/streaming generator."""
