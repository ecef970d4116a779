"""The sections that run a separate Python process.

* ``demo``: the wall time of ``python -m tinynn`` (a fresh process, as a learner runs it) to
  its test accuracy;
* ``coretype``: the MLP section again in a child process with ``OPENBLAS_CORETYPE`` removed
  (when this run has it) or set (``--compare-coretype NAME``): OpenBLAS's kernel choice can
  move every MLP figure.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO_ARGS = ["--quiet"]  # the demo's own defaults (the run a learner sees), without progress bars


def demo_has_options():
    """True once ``python -m tinynn`` is the real demo (it takes command-line options)."""
    src = ROOT / "tinynn" / "__main__.py"
    return src.exists() and "argparse" in src.read_text(encoding="utf-8")


def bench_demo():
    if not demo_has_options():
        return {"skipped": "tinynn/__main__.py is still the stub (no command-line options)"}
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "tinynn", *DEMO_ARGS, "--out", out]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        wall = time.perf_counter() - t0
    text = proc.stdout + proc.stderr
    acc = re.search(r"test accuracy\s+([0-9.]+)", text)
    train = re.search(r"time:\s+([0-9.]+)\s*s training", text)
    first = text.strip().splitlines()[0] if text.strip() else ""
    out = {"command": "python -m tinynn " + " ".join(DEMO_ARGS), "wall_s": wall,
           "training_s": float(train.group(1)) if train else None,
           "accuracy": float(acc.group(1)) if acc else None, "returncode": proc.returncode, "setup": first}
    print(f"  demo: {wall:.1f} s wall, accuracy {out['accuracy']}", flush=True)
    return out


def coretype_comparison(args, current_rows):
    env = dict(os.environ)
    current = env.get("OPENBLAS_CORETYPE")
    if current is not None:
        env.pop("OPENBLAS_CORETYPE")
        label = f"OPENBLAS_CORETYPE unset (this run: {current})"
    elif args.compare_coretype:
        env["OPENBLAS_CORETYPE"] = args.compare_coretype
        label = f"OPENBLAS_CORETYPE={args.compare_coretype} (this run: unset)"
    else:
        return {"skipped": "OPENBLAS_CORETYPE is not set (use --compare-coretype NAME to try one)"}
    with tempfile.TemporaryDirectory() as tmp:
        child_json = pathlib.Path(tmp) / "coretype_child.json"
        cmd = [sys.executable, "-m", "benchmarks", "--only", "mlp", "--no-write",
               "--child-json", str(child_json), "--sizes", *args.sizes]
        if args.quick:
            cmd.append("--quick")
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        if args.no_torch:
            cmd.append("--no-torch")
        print(f"  coretype: subprocess with {label} ...", flush=True)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        child = json.loads(child_json.read_text())
    return {"label": label, "this_run": current_rows, "other": child["mlp"], "other_machine": child["machine"]}
