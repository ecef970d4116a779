"""Benchmarks: tinynn against hand-written NumPy backprop and PyTorch. Run ``python -m benchmarks``."""
