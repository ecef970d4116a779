"""Run every benchmark side by side in one process, print the report, write results.md/.json.

    python -m benchmarks                    # the full run (several minutes on 2 cores)
    python -m benchmarks --quick            # few turns, small sizes: checks everything runs (< 1 min)
    python -m benchmarks --threads 1        # every library on one thread
    python -m benchmarks --only overhead --baseline b6bb6ac   # before/after against a revision
    python -m benchmarks --update-results   # a full run that rewrites the committed benchmarks/results.*
                                            # and the README's performance table
    python -m benchmarks --readme           # the README's table again from the committed results.json

By default the files go to ``benchmarks-out/`` (ignored by git) so a run leaves the checkout
clean; ``--out DIR`` chooses another folder.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

from benchmarks import baseline, external, machine, mlp, readme, report, sections

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "benchmarks-out"
ALL_SECTIONS = ["mlp", "overhead", "memory", "layers", "demo", "coretype"]
QUICK_SIZES = ["small", "medium"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few turns, small and medium MLP, no demo: < 1 minute")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for every library (default: what NumPy's BLAS uses already)")
    p.add_argument("--only", nargs="+", default=None, choices=ALL_SECTIONS, help="run only these sections")
    p.add_argument("--sizes", nargs="+", default=None, choices=list(mlp.SIZES),
                   help="MLP sizes (default: all; small and medium with --quick)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it imports")
    p.add_argument("--out", default=None, help=f"folder for results.md and results.json (default {DEFAULT_OUT.name}/)")
    p.add_argument("--update-results", action="store_true",
                   help="write the committed benchmarks/results.md and .json (a full run only)")
    p.add_argument("--readme", action="store_true",
                   help="rewrite the README's performance table from the committed results.json; measure nothing")
    p.add_argument("--no-write", action="store_true", help="print only; write no files")
    p.add_argument("--compare-coretype", metavar="NAME", default=None,
                   help="also run the MLP section in a subprocess with OPENBLAS_CORETYPE=NAME")
    p.add_argument("--baseline", metavar="REV", default=None,
                   help="also time the engine-bound steps of another revision (git rev or checkout folder), "
                        "side by side (benchmarks/baseline.py)")
    p.add_argument("--child-json", default=None, help=argparse.SUPPRESS)  # coretype's subprocess mode
    args = p.parse_args(argv)
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else list(mlp.SIZES)
    if args.update_results and (args.quick or args.only or args.no_torch or len(args.sizes) < len(mlp.SIZES)):
        p.error("--update-results rewrites the committed report, so it needs a full run: "
                "drop --quick, --only, --sizes and --no-torch")
    if args.update_results and args.out:
        p.error("--update-results writes into benchmarks/; leave out --out")
    return args


def import_torch(args, threads):
    if args.no_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def measure(args, torch):
    """Run the chosen sections; returns the results dict (without the header fields), with the
    1-minute load average sampled after each section (``load_during``: was the machine busy?)."""
    chosen = args.only or [s for s in ALL_SECTIONS if not (args.quick and s == "demo")]
    results, loads = {"load_during": []}, []

    def section(key, run):
        results[key] = run()
        loads.append((machine.load_average() or [None])[0])

    if "mlp" in chosen or "coretype" in chosen:
        section("mlp", lambda: sections.bench_mlp(args.sizes, args.quick, torch))
        if "large" in args.sizes:
            section("gemm", lambda: sections.bench_gemm(args.quick, torch))
    if "overhead" in chosen:
        section("overhead", lambda: sections.bench_overhead(args.quick, torch))
    if "memory" in chosen:
        section("memory", lambda: sections.bench_memory(args.quick, torch))
    if "layers" in chosen:
        section("rows", lambda: sections.bench_rows(args.quick, torch))
        section("gemm_gpt", lambda: sections.bench_gemm_gpt(args.quick, torch))
    if "demo" in chosen:
        section("demo", external.bench_demo)
    if "coretype" in chosen:
        section("coretype", lambda: external.coretype_comparison(args, results["mlp"]))
    if args.baseline:
        section("baseline", lambda: baseline.compare(args.baseline, rounds=4 if args.quick else 8,
                                                     threads=args.threads))
    results["load_during"] = [x for x in loads if x is not None]
    return results


def write(results, text, folder):
    folder.mkdir(parents=True, exist_ok=True)
    if folder != HERE and not (folder / ".gitignore").exists():
        (folder / ".gitignore").write_text("# benchmark output: not part of the repository\n*\n", encoding="utf-8")
    (folder / "results.md").write_text(text + "\n", encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"wrote {folder / 'results.md'} and {folder / 'results.json'}")


def main(argv=None):
    args = parse_args(argv)
    if args.readme:
        readme.update()
        return 0
    if args.threads:
        machine.request_threads(args.threads)  # a no-op when __main__ set them before NumPy loaded
    threads = args.threads or machine.blas_threads()
    torch = import_torch(args, threads)
    results = {"date": time.strftime("%Y-%m-%d %H:%M"),
               "command": " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]),
               "machine": machine.describe(torch), "quick": args.quick}
    m = results["machine"]
    print(f"tinynn benchmarks on {m['cpu']} ({m['cores']} cores), BLAS threads {m['blas_threads']}"
          + (f", torch threads {m['torch_threads']}" if torch is not None else ", no PyTorch"), flush=True)
    t0 = time.perf_counter()
    results.update(measure(args, torch))
    results["wall_s"] = time.perf_counter() - t0
    if args.child_json:
        pathlib.Path(args.child_json).write_text(json.dumps(results, default=str))
        return 0
    text = report.render(results)
    print()
    print(text)
    if not args.no_write:
        write(results, text, HERE if args.update_results else pathlib.Path(args.out or DEFAULT_OUT))
    if args.update_results:
        readme.update(json.loads(json.dumps(results, default=str)))  # as results.json holds them
    print(f"({results['wall_s']:.0f} s)")
    return 0
