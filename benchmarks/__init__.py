"""Benchmarks of the course: `make bench` (benchmarks/run.py) and the older single-topic scripts."""
