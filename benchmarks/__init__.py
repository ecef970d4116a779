"""Benchmarks: tinynn against the NumPy floor, naive hand-written NumPy and PyTorch, judged
against issue 17's goals. Run ``python -m benchmarks`` (``--quick`` for a one-minute check).

Files, one concern each: run.py (command line, writing the results), sections.py (what is
measured), registry.py (the tinynn-vs-PyTorch rows: add a benchmark there), goals.py
(issue 17's goals and verdicts), report.py (markdown), timing.py (interleaved turns, paired
ratios), machine.py (CPU, BLAS, threads), mlp.py / floor.py / numpy_mlp.py (the MLP step
four ways), bench_layers.py (the layer cases), overhead.py, memory.py, external.py (the
sections run in a child process).
"""
