"""Before and after, side by side: this checkout against an earlier revision of tinynn.

``python -m benchmarks --baseline REV`` (REV: a git revision, e.g. ``HEAD~5``, or a folder
holding another checkout) times the engine-bound steps of both versions in one run: each
version runs in its own Python process (two versions of one package cannot share one), and
the two processes take turns, round after round, so a slow spell on a shared machine hits
both alike. The figure per step is the median over rounds of (this / baseline).

The steps use only the API both versions have (tn.tensor, nn.Linear, F.cross_entropy, the
optimizers), so any revision since the first can be the baseline.
"""
from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

# name -> (setup code defining step(), steps per turn); runs inside the child process
STEPS = {
    "(a*b+a).sum() fwd+bwd, 1 element": ("""
a = tn.tensor(np.ones(1, np.float32), requires_grad=True); b = tn.tensor(np.ones(1, np.float32), requires_grad=True)
def step():
    a.grad = b.grad = None
    (a * b + a).sum().backward()
""", 2000),
    "small MLP step, SGD (64-256-10, batch 32)": ("MLP = (64, 256, 10); BATCH = 32; OPT = optim.SGD", 300),
    "small MLP step, Adam (64-256-10, batch 32)": ("MLP = (64, 256, 10); BATCH = 32; OPT = optim.Adam", 300),
    "medium MLP step, SGD (784-256-256-10, batch 256)": ("MLP = (784, 256, 256, 10); BATCH = 256; OPT = optim.SGD", 20),
}

MLP_STEP = """
tn.manual_seed(0)
layers = []
for i in range(len(MLP) - 1):
    layers += [nn.Linear(MLP[i], MLP[i + 1])] + ([nn.ReLU()] if i < len(MLP) - 2 else [])
model = nn.Sequential(*layers)
opt = OPT(model.parameters(), lr=1e-3)
rng = np.random.default_rng(0)
x = tn.tensor(rng.random((BATCH, MLP[0]), dtype=np.float32)); y = tn.tensor(rng.integers(0, 10, BATCH))
def step():
    opt.zero_grad(); F.cross_entropy(model(x), y).backward(); opt.step()
"""

CHILD = """
import json, sys, time
import numpy as np
import tinynn as tn
from tinynn import nn, optim
import tinynn.functional as F
setup, calls, turns = json.loads(sys.argv[1])
exec(setup + ("" if "def step" in setup else MLP_STEP))
for _ in range(max(3, calls // 10)):
    step()
out = []
for _ in range(turns):
    t0 = time.perf_counter()
    for _ in range(calls):
        step()
    out.append((time.perf_counter() - t0) / calls)
print(json.dumps(out))
"""


def checkout(baseline):
    """A folder holding the baseline's tinynn: ``baseline`` itself, or a git worktree of it."""
    path = pathlib.Path(baseline)
    if (path / "tinynn" / "__init__.py").is_file():
        return path, None
    tmp = tempfile.mkdtemp(prefix="tinynn-baseline-")
    subprocess.run(["git", "worktree", "add", "--detach", "-f", tmp, baseline], cwd=ROOT, check=True,
                   capture_output=True, text=True)
    return pathlib.Path(tmp), tmp


def run_child(root, name, turns, threads):
    setup, calls = STEPS[name]
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONHASHSEED="0")
    if threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
    code = CHILD.replace("MLP_STEP", repr(MLP_STEP))
    done = subprocess.run([sys.executable, "-c", code, json.dumps([setup, calls, turns])], env=env, cwd=root,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(baseline, rounds=8, turns=5, threads=None):
    """{step: {"this", "baseline" (median seconds), "ratio": {median, p25, p75}}} for every step."""
    other, tmp = checkout(baseline)
    try:
        rows = []
        for name in STEPS:
            mine, theirs, ratios = [], [], []
            for r in range(rounds):  # alternate which version goes first
                pair = [(ROOT, mine), (other, theirs)][:: 1 if r % 2 == 0 else -1]
                for root, out in pair:
                    out.append(statistics.median(run_child(root, name, turns, threads)))
                ratios.append(mine[-1] / theirs[-1])
            q = statistics.quantiles(ratios, n=4)
            rows.append({"step": name, "this": statistics.median(mine), "baseline": statistics.median(theirs),
                         "ratio": {"median": statistics.median(ratios), "p25": q[0], "p75": q[2], "n": rounds}})
            print(f"  {name}: {rows[-1]['ratio']['median']:.3f}x the baseline", flush=True)
        return {"baseline": baseline, "rows": rows}
    finally:
        if tmp:
            subprocess.run(["git", "worktree", "remove", "--force", tmp], cwd=ROOT, capture_output=True)
