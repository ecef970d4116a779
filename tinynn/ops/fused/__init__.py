"""Fused kernels: one graph node where the plain composition would be several, kept because a
benchmark shows the gain. Each module's docstring names its reference composition, and
tests/test_fused.py proves kernel and reference equal in value and gradient."""
