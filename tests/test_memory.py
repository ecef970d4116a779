"""tinynn.memory.keep_freed_memory: glibc keeps a step's freed memory for the next step."""
import subprocess
import sys

import pytest


def test_not_applied_on_import_only_by_the_entry_points():
    """Importing tinynn leaves the process's allocator alone (M_TRIM_THRESHOLD stays dynamic):
    a freed 64 MiB block is given back to the system, so the resident size falls again."""
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc only")
    code = """
import tinynn, tinynn.memory, ctypes, sys
def rss():
    return int(open('/proc/self/statm').read().split()[1]) * 4096
def churn():
    import numpy as np
    a = np.ones(64 << 17)   # 64 MiB of float64, touched
    del a
    return rss()
before = rss(); after_default = churn()
if sys.argv[1] == 'keep':
    assert tinynn.memory.keep_freed_memory()
    churn(); print(churn() - before > (48 << 20))
else:
    print(after_default - before > (48 << 20))
"""
    def run(mode):
        done = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=True)
        return done.stdout.split()

    assert run("default") == ["False"]  # the default allocator returned the block
    assert run("keep") == ["True"]  # kept for the next step


def test_keep_freed_memory_is_safe_to_call_twice():
    from tinynn.memory import keep_freed_memory

    first, second = keep_freed_memory(), keep_freed_memory()
    assert first == second
