"""``python -m benchmarks [--quick] [--threads N] [--update-results]``: see benchmarks/run.py."""
import sys

from benchmarks import machine

# Thread counts must be in the environment before NumPy (and its BLAS) loads: read them here,
# before anything imports NumPy, instead of waiting for argparse.
for i, arg in enumerate(sys.argv):
    if arg == "--threads" and i + 1 < len(sys.argv):
        machine.request_threads(int(sys.argv[i + 1]))
    elif arg.startswith("--threads="):
        machine.request_threads(int(arg.split("=", 1)[1]))

from benchmarks.run import main  # noqa: E402  (after the thread settings, on purpose)
from tinynn.memory import keep_freed_memory  # noqa: E402

keep_freed_memory()  # as python -m tinynn does; one process, so PyTorch runs with it too

raise SystemExit(main())
