"""Benchmarks run by `make bench`: each writes its figures to var/bench/results.json."""
