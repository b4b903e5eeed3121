"""Benchmarks that drive a running Muse over HTTP and compare against a baseline measured in the same run."""
