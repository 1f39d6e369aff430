"""Reproducible benchmarks; each module runs with `python -m benchmarks.<name>` and has a `main()`."""
