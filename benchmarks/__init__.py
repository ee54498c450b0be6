"""Benchmarks: scripts and modules (``python -m benchmarks.compare``); never timed in tests."""
