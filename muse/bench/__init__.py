"""Benchmarks that drive a running Muse over HTTP and compare against a baseline measured in the same run."""

# ``muse bench load``'s defaults, here so that ``muse --help`` can show them without importing the benchmark.
# Generation-heavy, so that the ramp crosses the Generator's scaling target (8 ongoing requests per replica).
LOAD_MIX = "generate=6,recommend=2,verify=1,chat=1"
LOAD_LEVELS = "1,8,32,48"
