"""Run every benchmark side by side in one process, print the table, write results.md/.json.

    python -m benchmarks              # the full run (a few minutes on 2 cores)
    python -m benchmarks --quick      # fewer steps: a smoke test of the whole thing
    python -m benchmarks --threads 1  # pin every library to one thread

Sections: MLP training step (tinynn vs hand NumPy vs PyTorch), per-op overhead, memory over
many steps, the ``python -m tinynn`` demo's wall time to accuracy, the Conv2d/LSTM layer
benchmarks (``benchmarks/bench_layers.py``), and, where ``OPENBLAS_CORETYPE`` is set, the
MLP figures again in a subprocess without it.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

from benchmarks import machine, memory, mlp, overhead, timing

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

# target: (max tinynn / hand-NumPy ratio, must tinynn beat PyTorch?) -- from issue 7
MLP_TARGETS = {"small": (2.0, True), "medium": (1.10, True), "large": (1.05, False)}
NOISY_IQR = 0.5  # interquartile range above half the median: the machine was busy
OVERHEAD_TARGET_US = 20.0  # (a*b+a).sum() fwd+bwd on one element
MEMORY_TARGET_BYTES = 1 << 20  # growth over the run must stay below 1 MB

SETTLE = 0.25  # seconds of quiet before each turn: BLAS/OpenMP threads stop spinning (timing.py)

# timed steps per contender (full run, --quick) and steps per turn. tinynn and hand NumPy share
# one BLAS thread pool, so they take short turns with no pause: a steady training loop each.
# PyTorch has its own pool: it is compared with tinynn in a second pass, pausing before each
# turn so that neither pool's spinning threads steal the other's CPU.
MLP_STEPS = {"small": (3000, 300), "medium": (1500, 150), "large": (120, 12)}
MLP_BLOCK = {"small": 50, "medium": 10, "large": 2}
TORCH_STEPS = {"small": (1500, 150), "medium": (600, 60), "large": (60, 8)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few steps: checks everything runs")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for every library (default: what the BLAS uses already)")
    p.add_argument("--only", nargs="+", default=None,
                   choices=["mlp", "overhead", "memory", "demo", "layers", "coretype"],
                   help="run only these sections")
    p.add_argument("--sizes", nargs="+", default=list(mlp.SIZES), choices=list(mlp.SIZES))
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it imports")
    p.add_argument("--out", default=str(HERE), help="directory for results.md and results.json")
    p.add_argument("--no-write", action="store_true", help="print only; write no files")
    p.add_argument("--compare-coretype", metavar="NAME", default=None,
                   help="also run the MLP section in a subprocess with OPENBLAS_CORETYPE=NAME")
    p.add_argument("--child-json", default=None, help=argparse.SUPPRESS)  # subprocess mode
    return p.parse_args(argv)


def import_torch(args, threads):
    if args.no_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


# --------------------------------------------------------------------------- sections
def bench_mlp(args, torch):
    rows = []
    for size in args.sizes:
        widths, batch = mlp.SIZES[size]
        data = mlp.batches(widths, batch)
        warmup = 3 if size == "large" else 20
        tinynn_step = mlp.tinynn_step(widths, data)
        calls = MLP_STEPS[size][1 if args.quick else 0]
        res = timing.interleaved({"numpy": mlp.numpy_step(widths, data), "tinynn": tinynn_step},
                                 calls, warmup=warmup, block=MLP_BLOCK[size])
        row = {"size": size, "widths": "-".join(map(str, widths)), "batch": batch, "steps": calls}
        for name, r in res.items():
            row[name] = r
        t_np, t_tn = res["numpy"]["median"], res["tinynn"]["median"]
        # ratios turn by turn (timing.paired_ratio): steadier than a ratio of overall medians
        row["tinynn/numpy"] = timing.paired_ratio(res["tinynn"], res["numpy"])
        row["tinynn/numpy of medians"] = t_tn / t_np
        row["tinynn/numpy fastest 10%"] = res["tinynn"]["p10"] / res["numpy"]["p10"]  # least disturbed
        limit, beat_torch = MLP_TARGETS[size]
        ok = row["tinynn/numpy"]["median"] <= limit
        if torch is not None:
            torch_calls = TORCH_STEPS[size][1 if args.quick else 0]
            vs = timing.interleaved({"tinynn": tinynn_step, "torch": mlp.torch_step(widths, data, torch)},
                                    torch_calls, warmup=warmup, block=max(2, torch_calls // 15), settle=SETTLE)
            row["torch"], row["tinynn, paused turns"] = vs["torch"], vs["tinynn"]
            row["tinynn/torch"] = timing.paired_ratio(vs["tinynn"], vs["torch"])
            row["tinynn/torch of medians"] = vs["tinynn"]["median"] / vs["torch"]["median"]
            if beat_torch:
                ok = ok and row["tinynn/torch"]["median"] < 1.0
        row["target"] = f"<= {limit:.2f}x NumPy" + (", < PyTorch" if beat_torch else "")
        row["met"] = ok
        rows.append(row)
        print(f"  mlp {size}: numpy {t_np * 1e3:.3f} ms, tinynn {t_tn * 1e3:.3f} ms"
              + (f", torch {row['torch']['median'] * 1e3:.3f} ms" if torch is not None else "")
              + f"; tinynn/numpy {row['tinynn/numpy']['median']:.2f}x", flush=True)
    return rows


def bench_overhead(args, torch):
    rows = []
    calls = 2000 if args.quick else 20000
    for label, shape in overhead.SHAPES.items():
        contenders = {"tinynn": overhead.tinynn_fn(shape)}
        if torch is not None:
            contenders["torch"] = overhead.torch_fn(shape, torch)
        res = timing.interleaved(contenders, calls, warmup=200, block=100, per_call=False)
        row = {"shape": label, "calls": calls, **res}
        if torch is not None:
            row["tinynn/torch"] = timing.paired_ratio(res["tinynn"], res["torch"])
        if shape == (1,):
            row["target"] = f"<= {OVERHEAD_TARGET_US:.0f} us"
            row["met"] = res["tinynn"]["median"] * 1e6 <= OVERHEAD_TARGET_US
        rows.append(row)
        print(f"  overhead {label}: tinynn {res['tinynn']['median'] * 1e6:.1f} us"
              + (f", torch {res['torch']['median'] * 1e6:.1f} us" if torch is not None else ""),
              flush=True)
    return rows


def bench_memory(args, torch):
    widths, batch = mlp.SIZES["medium"]
    data = mlp.batches(widths, batch)
    steps = 200 if args.quick else 1000
    out = {"steps": steps, "tinynn": memory.measure(mlp.tinynn_step(widths, data), steps)}
    out["numpy"] = memory.measure(mlp.numpy_step(widths, data), steps)
    if torch is not None:  # tracemalloc cannot see PyTorch's allocator: RSS only
        out["torch"] = memory.measure(mlp.torch_step(widths, data, torch), steps, trace=False)
    growth = out["tinynn"]["traced_growth"]
    out["target"] = "< 1 MB growth"
    out["met"] = abs(growth) < MEMORY_TARGET_BYTES
    print(f"  memory: tinynn traced growth {growth / 1024:.1f} KiB over {steps} steps, "
          f"peak {out['tinynn']['traced_peak'] / 2**20:.2f} MiB", flush=True)
    return out


def demo_has_options():
    """True once ``python -m tinynn`` is the real demo (it takes command-line options)."""
    src = (ROOT / "tinynn" / "__main__.py")
    return src.exists() and "argparse" in src.read_text(encoding="utf-8")


DEMO_ARGS = ["--quiet"]  # the demo's own defaults (the run a learner sees), without progress bars


def bench_demo(args):
    """Wall time of ``python -m tinynn`` (a fresh process, as a learner runs it) to its accuracy."""
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
           "accuracy": float(acc.group(1)) if acc else None, "returncode": proc.returncode,
           "setup": first}
    print(f"  demo: {wall:.1f} s wall, accuracy {out['accuracy']}", flush=True)
    return out


def bench_layers(args):
    try:
        from benchmarks import bench_layers as layers
    except ImportError as e:
        return {"skipped": f"benchmarks/bench_layers.py not importable ({e})"}
    kwargs = {}
    if "quick" in inspect.signature(layers.run).parameters:
        kwargs["quick"] = args.quick
    rows = [dict(r) if not isinstance(r, dict) else r for r in layers.run(**kwargs)]
    print(f"  layers: {len(rows)} rows", flush=True)
    return {"rows": rows}


def coretype_comparison(args, current_rows):
    """The MLP section again in a subprocess with OPENBLAS_CORETYPE removed (or set)."""
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
    child_json = pathlib.Path(args.out) / ".coretype_child.json"
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
    child_json.unlink()
    return {"label": label, "this_run": current_rows, "other": child["mlp"],
            "other_machine": child["machine"]}


# --------------------------------------------------------------------------- reporting
def _ms(r):
    return f"{r['median'] * 1e3:.3f}"


def _us(r):
    return f"{r['median'] * 1e6:.1f}"


def _spread(r):
    return f"±{(r['p75'] - r['p25']) / 2 / r['median'] * 100:.0f}%"


def _ratio(r, bold=False):
    """A paired ratio as 1.07x (1.03-1.12): median and quartiles over the turns."""
    core = f"{r['median']:.2f}x"
    return f"{'**' + core + '**' if bold else core} ({r['p25']:.2f}–{r['p75']:.2f})"


def render(results):
    """The whole report as markdown (also what is printed)."""
    m = results["machine"]
    blas = "; ".join(f"{b['library']} {b['version'] or ''} ({b['architecture'] or '?'}, "
                     f"{b['threads'] or '?'} threads)" for b in m["blas"])
    lines = ["# tinynn benchmarks", "",
             f"Measured {results['date']} with `{results['command']}`.", "",
             f"- Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}; load average "
             f"at start {m['load_average']}",
             f"- NumPy {m['numpy']}; BLAS: {blas}",
             f"- Threads: BLAS {m['blas_threads']}" + (f", PyTorch {m['torch_threads']} "
                                                      f"(torch {m['torch']})" if "torch" in m else ""),
             "- Thread env: " + ", ".join(f"{k}={v}" for k, v in m["thread_env"].items() if v)
             if any(m["thread_env"].values()) else "- Thread env: none of OPENBLAS/OMP/MKL_NUM_THREADS, "
             "OPENBLAS_CORETYPE set", ""]
    if "mlp" in results:
        has_torch = any("torch" in r for r in results["mlp"])
        lines += ["## MLP training step (float32; forward, softmax cross-entropy, backward, SGD)", "",
                  "Median ms per step (± half the interquartile range of single steps), all in one "
                  "process. tinynn and hand NumPy share one BLAS thread pool and take short turns "
                  "(10 steps at medium) with no pause, each a steady training loop. PyTorch has its "
                  "own thread pool: it takes turns with tinynn in a second pass with a pause before "
                  "each turn, so neither pool's spinning threads steal the other's CPU. Ratios: the "
                  "median over turns of the ratio between neighbouring turns (quartiles in brackets). "
                  "The last column compares the fastest tenth of each one's steps, those least "
                  "disturbed by other processes.", "",
                  "| model | batch | hand NumPy | tinynn | PyTorch | tinynn / NumPy | tinynn / PyTorch "
                  "| target | met | tinynn / NumPy, fastest 10% |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in results["mlp"]:
            torch_cells = (f"{_ms(r['torch'])} {_spread(r['torch'])}", _ratio(r["tinynn/torch"])) \
                if has_torch and "torch" in r else ("—", "—")
            lines.append(f"| {r['size']} {r['widths']} | {r['batch']} | {_ms(r['numpy'])} "
                         f"{_spread(r['numpy'])} | {_ms(r['tinynn'])} {_spread(r['tinynn'])} | "
                         f"{torch_cells[0]} | {_ratio(r['tinynn/numpy'], bold=True)} | {torch_cells[1]} | "
                         f"{r['target']} | {'yes' if r['met'] else 'NO'} | "
                         f"{r['tinynn/numpy fastest 10%']:.2f}x |")
        lines.append("")
        noisy = [r["size"] for r in results["mlp"]
                 if any((r[k]["p75"] - r[k]["p25"]) / r[k]["median"] > NOISY_IQR for k in ("numpy", "tinynn"))]
        if noisy:
            lines += [f"**Noisy run** ({', '.join(noisy)}: single steps spread by more than "
                      f"±{NOISY_IQR * 50:.0f}%): another process was competing for the cores; the "
                      "ratios above are unreliable, run again on a quiet machine.", ""]
    if "overhead" in results:
        lines += ["## Per-op overhead: `(a*b + a).sum()` forward + backward", "",
                  "| arrays | tinynn µs | PyTorch µs | tinynn / PyTorch | target | met |",
                  "|---|---|---|---|---|---|"]
        for r in results["overhead"]:
            t = r.get("torch")
            lines.append(f"| {r['shape']} | {_us(r['tinynn'])} | {_us(t)} | {_ratio(r['tinynn/torch'])} | "
                         if t else f"| {r['shape']} | {_us(r['tinynn'])} | — | — | ")
            lines[-1] += f"{r.get('target', '—')} | {('yes' if r['met'] else 'NO') if 'met' in r else '—'} |"
        lines.append("")
    if "memory" in results:
        mem = results["memory"]
        kib = lambda b: f"{b / 1024:+.1f} KiB"  # noqa: E731
        mib = lambda b: f"{b / 2**20:.2f} MiB"  # noqa: E731
        lines += [f"## Memory over {mem['steps']} steps of the medium MLP", "",
                  "| | growth (traced) | growth, 2nd half | held between steps | peak in a step | RSS growth |",
                  "|---|---|---|---|---|---|"]
        for name in ("tinynn", "numpy", "torch"):
            if name in mem:
                r = mem[name]
                traced = (kib(r["traced_growth"]), kib(r["traced_growth_second_half"]),
                          mib(r["traced_held"]), mib(r["traced_peak"])) if "traced_growth" in r else ("—",) * 4
                lines.append(f"| {name} | {' | '.join(traced)} | {kib(r['rss_growth'])} |")
        lines += ["", "Traced: every allocation made after tracing started (weights and data are older "
                      "and not counted); PyTorch's allocator is invisible to tracemalloc, so only its RSS is "
                      f"shown. Target: tinynn's traced growth {mem['target']}: "
                      f"{'met' if mem['met'] else 'NOT met'}.", ""]
    if "demo" in results:
        d = results["demo"]
        lines += ["## Training to accuracy: the `python -m tinynn` demo", ""]
        if "skipped" in d:
            lines += [f"Skipped: {d['skipped']}.", ""]
        else:
            acc = f"{d['accuracy']:.1%}" if d["accuracy"] is not None else "(not found in its output)"
            train = f", of which {d['training_s']:.1f} s training" if d["training_s"] is not None else ""
            lines += [f"`{d['command']}`: **{d['wall_s']:.1f} s** wall for the whole process (imports, "
                      f"data, training, evaluation, saving the checkpoint and PNGs{train}) to test "
                      f"accuracy **{acc}** (exit code {d['returncode']}).", "", f"> {d['setup']}", ""]
    if "layers" in results:
        lay = results["layers"]
        lines += ["## Layers (from benchmarks/bench_layers.py)", ""]
        if "skipped" in lay:
            lines += [f"Skipped: {lay['skipped']}.", ""]
        elif lay["rows"]:
            keys = list(dict.fromkeys(k for r in lay["rows"] for k in r))
            lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
            for r in lay["rows"]:
                lines.append("| " + " | ".join(_cell(r.get(k, "")) for k in keys) + " |")
            lines.append("")
    if "coretype" in results:
        c = results["coretype"]
        lines += ["## OPENBLAS_CORETYPE", ""]
        if "skipped" in c:
            lines += [f"{c['skipped']}.", ""]
        else:
            arch = [b.get("architecture") for b in c["other_machine"]["blas"] if b.get("library") == "openblas"]
            lines += [f"The MLP section again in a subprocess with {c['label']} "
                      f"(OpenBLAS kernels there: {arch[0] if arch else 'unknown'}):", "",
                      "| model | NumPy ms (this run → other) | tinynn ms | PyTorch ms | tinynn / NumPy |",
                      "|---|---|---|---|---|"]
            for a, b in zip(c["this_run"], c["other"]):
                cell = lambda k: f"{_ms(a[k])} → {_ms(b[k])}" if k in a and k in b else "—"  # noqa: E731, B023
                lines.append(f"| {a['size']} | {cell('numpy')} | {cell('tinynn')} | {cell('torch')} | "
                             f"{a['tinynn/numpy']['median']:.2f}x → {b['tinynn/numpy']['median']:.2f}x |")
            lines.append("")
    return "\n".join(lines)


def _cell(v):
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, dict) and "median" in v:
        return f"{v['median'] * 1e3:.3f} ms"
    return str(v)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        machine.request_threads(args.threads)
    threads = args.threads or machine.blas_threads()
    torch = import_torch(args, threads)
    sections = args.only or ["mlp", "overhead", "memory", "demo", "layers", "coretype"]
    results = {"date": time.strftime("%Y-%m-%d %H:%M"),
               "command": " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]),
               "machine": machine.describe(torch), "quick": args.quick}
    print(f"tinynn benchmarks on {results['machine']['cpu']} ({results['machine']['cores']} cores), "
          f"BLAS threads {threads}" + (f", torch threads {torch.get_num_threads()}" if torch else ""),
          flush=True)
    if "mlp" in sections or "coretype" in sections:
        results["mlp"] = bench_mlp(args, torch)
    if "overhead" in sections:
        results["overhead"] = bench_overhead(args, torch)
    if "memory" in sections:
        results["memory"] = bench_memory(args, torch)
    if "demo" in sections:
        results["demo"] = bench_demo(args)
    if "layers" in sections:
        results["layers"] = bench_layers(args)
    if "coretype" in sections and results.get("mlp"):
        results["coretype"] = coretype_comparison(args, results["mlp"])
    if args.child_json:
        pathlib.Path(args.child_json).write_text(json.dumps(results, default=str))
        return 0
    report = render(results)
    print()
    print(report)
    if not args.no_write:
        out = pathlib.Path(args.out)
        (out / "results.md").write_text(report + "\n", encoding="utf-8")
        (out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n",
                                          encoding="utf-8")
        print(f"wrote {out / 'results.md'} and {out / 'results.json'}")
    return 0
