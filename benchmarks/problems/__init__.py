"""Benchmark problems: test functions and learning curves for the simulated executor."""
