"""The report: the results of a run as markdown (what is printed and written to results.md).

First a summary table with one row per benchmark and its issue-17 goal and verdict (the
table the README copies), then the machine, then each section in detail.

>>> fmt_ratio({"median": 1.074, "p25": 1.031, "p75": 1.12})
'1.07× (1.03–1.12)'
>>> fmt_ms({"median": 0.0012345})
'1.234 ms'
"""
from __future__ import annotations

NOISY_IQR = 0.5  # single steps spread by more than ±25% around the median: the machine was busy
NAMES = {"floor": "floor", "naive": "naive NumPy", "tinynn": "tinynn", "torch": "PyTorch"}


# --------------------------------------------------------------------------- cells
def fmt_ratio(r, bold=False):
    """A paired ratio: median and quartiles over the turns."""
    if not r:
        return "—"
    core = f"{r['median']:.2f}×"
    return f"{'**' + core + '**' if bold else core} ({r['p25']:.2f}–{r['p75']:.2f})"


def fmt_ms(r):
    return f"{r['median'] * 1e3:.3f} ms" if r else "—"


def fmt_us(r):
    return f"{r['median'] * 1e6:.1f} µs" if r else "—"


def spread(r):
    return f"±{(r['p75'] - r['p25']) / 2 / r['median'] * 100:.0f}%"


def _goals(row):
    marks = row.get("goals") or []
    if not marks:
        return "—", "—"
    verdict = "; ".join(f"**{g['verdict']}**" if g["verdict"].startswith("NOT") else g["verdict"] for g in marks)
    return "; ".join(g["goal"] for g in marks), verdict


def _noisy(r):
    return (r["p75"] - r["p25"]) / r["median"] > NOISY_IQR


def _noisy_note(names):
    return (f"**Noisy** ({', '.join(names)}: single calls spread by more than ±{NOISY_IQR * 50:.0f}%): another "
            "process was competing for the cores; these figures are unreliable, run again on a quiet machine.")


def _kib(b):
    return f"{b / 1024:+.1f} KiB"


def _mib(b):
    return f"{b / 2**20:.2f} MiB"


# --------------------------------------------------------------------------- summary
SUMMARY_HEAD = ["| benchmark | tinynn | floor | naive NumPy | PyTorch | tinynn / floor | tinynn / naive "
                "| tinynn / PyTorch | goal (issue 17) | verdict |",
                "|---|---|---|---|---|---|---|---|---|---|"]


def summary(results):
    lines = list(SUMMARY_HEAD)
    for r in results.get("mlp", []):
        goal, verdict = _goals(r)
        lines.append(f"| MLP step, {r['size']} {r['widths']}, batch {r['batch']} | {fmt_ms(r['tinynn'])} | "
                     f"{fmt_ms(r['floor'])} | {fmt_ms(r['naive'])} | {fmt_ms(r.get('torch'))} | "
                     f"{fmt_ratio(r['tinynn/floor'], bold=True)} | {fmt_ratio(r['tinynn/naive'])} | "
                     f"{fmt_ratio(r.get('tinynn/torch'))} | {goal} | {verdict} |")
    for r in results.get("overhead", []):
        if "goals" not in r:
            continue
        goal, verdict = _goals(r)
        lines.append(f"| `(a*b+a).sum()` fwd+bwd, {r['shape']} | {fmt_us(r['tinynn'])} | | | "
                     f"{fmt_us(r.get('torch'))} | | | {fmt_ratio(r.get('tinynn/torch'))} | {goal} | {verdict} |")
    for r in results.get("rows", []):
        goal, verdict = _goals(r)
        lines.append(f"| {r['name']}, {r['detail']} | {fmt_ms(r['tinynn'])} | | | {fmt_ms(r.get('torch'))} | | | "
                     f"{fmt_ratio(r.get('tinynn/torch'))} | {goal} | {verdict} |")
    mem = results.get("memory")
    if mem:
        goal, verdict = _goals(mem)
        t = mem["tinynn"]
        lines.append(f"| memory, {mem['steps']:,} medium steps | {_kib(t['traced_growth'])} traced, "
                     f"RSS {_kib(t['rss_growth'])} | {_kib(mem['floor']['traced_growth'])} | "
                     f"{_kib(mem['naive']['traced_growth'])} | "
                     f"{'RSS ' + _kib(mem['torch']['rss_growth']) if 'torch' in mem else '—'} | | | | "
                     f"{goal} | {verdict} |")
    return lines


def large_note(results):
    """Why the large MLP is judged against the floor only, with this run's GEMM figures."""
    gemm = results.get("gemm") or {}
    m = results["machine"]
    words = ["At the large size nearly all the time is in the matrix products, so the step runs at the "
             "speed of the BLAS. PyTorch uses " + m.get("torch_blas", "its own BLAS") + "; NumPy uses "
             + ", ".join(f"{b['library']} {b['version'] or ''}".strip() for b in m["blas"]) + "."]
    if "numpy/torch" in gemm:
        ratio = gemm["numpy/torch"]
        faster = "faster" if ratio["median"] > 1 else "not faster"
        words.append(f"On this machine one float32 product {gemm['shape']} takes {fmt_ms(gemm['numpy'])} in "
                     f"NumPy and {fmt_ms(gemm['torch'])} in PyTorch (NumPy / PyTorch {fmt_ratio(ratio)}): "
                     f"PyTorch's GEMM is {faster} here.")
    words.append("Where PyTorch's MKL GEMM is faster than OpenBLAS (on the Intel Xeon of issue 17, by about "
                 "1.25× at this size), matching PyTorch at large would mean outrunning NumPy's BLAS itself, "
                 "which no NumPy engine can do: there the floor, not PyTorch, is the honest target, and the "
                 "large row's goal is against the floor only.")
    return " ".join(words)


def gpt_blas_note(results):
    """How much of the GPT row's distance to PyTorch is the BLAS: the same Linear products timed bare."""
    gemm = results.get("gemm_gpt") or {}
    gpt = next((r for r in results.get("rows", []) if r["name"].startswith("GPT step") and r.get("torch")), None)
    if "numpy/torch" not in gemm or gpt is None:
        return ""
    gap = gpt["tinynn"]["median"] - gpt["torch"]["median"]
    blas = gemm["numpy"]["median"] - gemm["torch"]["median"]
    share = f"{blas / gap:.0%} of it" if gap > 0 else "while tinynn is not behind"
    return (f"The GPT step's {gemm['products']} Linear products alone, timed bare on ({gemm['rows']}, ·) "
            f"inputs: {fmt_ms(gemm['numpy'])} in NumPy, {fmt_ms(gemm['torch'])} in PyTorch (NumPy / PyTorch "
            f"{fmt_ratio(gemm['numpy/torch'])}). Of tinynn's {gap * 1e3:+.1f} ms against PyTorch in the GPT row, "
            f"the BLAS itself is {blas * 1e3:+.1f} ms ({share}); the rest is attention, GELU, LayerNorm, "
            "AdamW and the engine, against PyTorch's C++ kernels.")


# --------------------------------------------------------------------------- details
def machine_lines(results):
    m = results["machine"]
    blas = "; ".join(f"{b['library']} {b['version'] or ''} ({b['architecture'] or 'kernels unknown'}, "
                     f"threads: {b['threads'] or '?'})" for b in m["blas"])
    env = ", ".join(f"{k}={v}" for k, v in m["thread_env"].items() if v) or "none of " + \
        "/".join(m["thread_env"]) + " set"
    lines = [f"- Machine: {m['cpu']}, {m['cores']} cores ({m['platform']}); Python {m['python']}; "
             f"load average at start {m['load_average']}, 1-minute load after each section "
             f"{results.get('load_during')}",
             f"- NumPy {m['numpy']}; BLAS: {blas}"]
    if "torch" in m:
        lines.append(f"- PyTorch {m['torch']}; BLAS: {m['torch_blas']}")
    lines += [f"- Threads: NumPy's BLAS {m['blas_threads']}"
              + (f", PyTorch {m['torch_threads']}" if "torch" in m else ", PyTorch not installed")
              + f"; environment: {env}",
              f"- tinynn commit: {m.get('tinynn_commit') or 'unknown'}"]
    return lines


def mlp_lines(results):
    rows = results["mlp"]
    lines = ["## MLP training step (float32; forward, softmax cross-entropy, backward, SGD)", "",
             "Median time per step (± half the interquartile range of single steps). *floor*: the step by "
             "hand in NumPy with every buffer preallocated and every op in place (benchmarks/floor.py); "
             "*naive*: the same step by hand in plain NumPy, allocating as ordinary code does "
             "(benchmarks/numpy_mlp.py). tinynn, floor and naive take short turns back to back; PyTorch "
             "takes paused turns with tinynn in a second pass (tinynn's time in that pass is shown too). "
             "Ratios are paired turn by turn: median (quartiles).", "",
             "| model | turns × steps | floor | naive NumPy | tinynn | PyTorch | tinynn, paused turns "
             "| tinynn / floor | naive / floor | tinynn / floor, fastest 10% |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{fmt_ms(r[k])} {spread(r[k])}" if r.get(k) else "—"
                 for k in ("floor", "naive", "tinynn", "torch", "tinynn, paused turns")]
        lines.append(f"| {r['size']} {r['widths']}, batch {r['batch']} | {r['turns']} × {r['steps per turn']} | "
                     + " | ".join(cells) + f" | {fmt_ratio(r['tinynn/floor'])} | {fmt_ratio(r['naive/floor'])} | "
                     f"{r['tinynn/floor fastest 10%']:.2f}× |")
    lines.append("")
    noisy = [r["size"] for r in rows if any(_noisy(r[k]) for k in ("floor", "tinynn", "torch") if k in r)]
    if noisy:
        lines += [_noisy_note(noisy), ""]
    return lines


def overhead_lines(results):
    lines = ["## Per-op overhead: `(a*b + a).sum()` forward + backward", "",
             "Four ops, four backward nodes, two leaf gradients: on one element the arithmetic is free, "
             "so this is the engine's own cost per op.", "",
             "| arrays | tinynn | PyTorch | tinynn / PyTorch | goal | verdict |", "|---|---|---|---|---|---|"]
    for r in results["overhead"]:
        goal, verdict = _goals(r)
        lines.append(f"| {r['shape']} | {fmt_us(r['tinynn'])} | {fmt_us(r.get('torch'))} | "
                     f"{fmt_ratio(r.get('tinynn/torch'))} | {goal} | {verdict} |")
    return lines + [""]


def memory_lines(results):
    mem = results["memory"]
    lines = [f"## Memory over {mem['steps']:,} steps of the medium MLP", "",
             "| | growth (traced) | growth, 2nd half | held between steps | peak in a step | RSS growth |",
             "|---|---|---|---|---|---|"]
    for name in ("tinynn", "floor", "naive", "torch"):
        if name in mem:
            r = mem[name]
            traced = (_kib(r["traced_growth"]), _kib(r["traced_growth_second_half"]), _mib(r["traced_held"]),
                      _mib(r["traced_peak"])) if "traced_growth" in r else ("—",) * 4
            lines.append(f"| {NAMES[name]} | {' | '.join(traced)} | {_kib(r['rss_growth'])} |")
    goal, verdict = _goals(mem)
    return lines + ["", "Traced: every allocation made after tracing started (weights and data are older and "
                        "not counted); PyTorch's allocator is invisible to tracemalloc, so only its RSS is shown. "
                        f"Goal: {goal}: {verdict}.", ""]


def rows_lines(results):
    rows = results["rows"]
    throughput = any("throughput" in r for r in rows)
    lines = ["## Layers and models (benchmarks/registry.py)", "",
             "Forward + backward (or one training step), tinynn and PyTorch taking turns with a pause before each; "
             "ratio paired turn by turn. A row is one entry of registry.ROWS.", "",
             "| row | shape | turns | tinynn | PyTorch | tinynn / PyTorch |" + (" throughput |" if throughput else "")
             + " goal | verdict |",
             "|---|---|---|---|---|---|" + ("---|" if throughput else "") + "---|---|"]
    noisy = [r["name"] for r in rows if any(_noisy(r[k]) for k in ("tinynn", "torch") if k in r)]
    for r in rows:
        goal, verdict = _goals(r)
        cell = ""
        if throughput:
            t = r.get("throughput")
            cell = (" " + ", ".join(f"{NAMES[k]} {v:,.0f}" for k, v in t.items()) + f" {r['throughput unit']} |"
                    if t else " — |")
        lines.append(f"| {r['name']} | {r['detail']} | {r['turns']} | {fmt_ms(r['tinynn'])} {spread(r['tinynn'])} | "
                     + (f"{fmt_ms(r['torch'])} {spread(r['torch'])}" if "torch" in r else "—")
                     + f" | {fmt_ratio(r.get('tinynn/torch'))} |{cell} {goal} | {verdict} |")
    lines.append("")
    if noisy:
        lines += [_noisy_note(noisy), ""]
    return lines


def demo_lines(results):
    d = results["demo"]
    lines = ["## Training to accuracy: the `python -m tinynn` demo", ""]
    if "skipped" in d:
        return lines + [f"Skipped: {d['skipped']}.", ""]
    acc = f"{d['accuracy']:.1%}" if d["accuracy"] is not None else "(not found in its output)"
    train = f", of which {d['training_s']:.1f} s training" if d["training_s"] is not None else ""
    return lines + [f"`{d['command']}`: **{d['wall_s']:.1f} s** wall for the whole process (imports, data, "
                    f"training, evaluation, saving the checkpoint and PNGs{train}) to test accuracy **{acc}** "
                    f"(exit code {d['returncode']}).", "", f"> {d['setup']}", ""]


def coretype_lines(results):
    c = results["coretype"]
    lines = ["## OPENBLAS_CORETYPE", ""]
    if "skipped" in c:
        return lines + [f"{c['skipped']}.", ""]
    arch = [b.get("architecture") for b in c["other_machine"]["blas"]]
    lines += [f"The MLP section again in a subprocess with {c['label']} (OpenBLAS kernels there: "
              f"{arch[0] if arch and arch[0] else 'unknown'}):", "",
              "| model | floor (this run → other) | tinynn | PyTorch | tinynn / floor |", "|---|---|---|---|---|"]
    for a, b in zip(c["this_run"], c["other"]):
        def cell(k, a=a, b=b):
            return f"{fmt_ms(a[k])} → {fmt_ms(b[k])}" if k in a and k in b else "—"
        lines.append(f"| {a['size']} | {cell('floor')} | {cell('tinynn')} | {cell('torch')} | "
                     f"{a['tinynn/floor']['median']:.2f}× → {b['tinynn/floor']['median']:.2f}× |")
    return lines + [""]


def baseline_lines(results):
    b = results["baseline"]
    lines = [f"## Before and after: this checkout against `{b['baseline']}`", "",
             "Each version in its own process, the two taking turns round after round (benchmarks/baseline.py); "
             "ratio = this / baseline per round, median (quartiles). Issue 11's goal: no step more than 3 % slower.",
             "", "| step | this | baseline | this / baseline | ≤ 1.03× |", "|---|---|---|---|---|"]
    for r in b["rows"]:
        ok = "met" if r["ratio"]["median"] <= 1.03 else "not met"
        lines.append(f"| {r['step']} | {r['this'] * 1e6:,.1f} µs | {r['baseline'] * 1e6:,.1f} µs | "
                     f"{fmt_ratio(r['ratio'])} | {ok} |")
    return lines + [""]


SECTIONS = [("mlp", mlp_lines), ("overhead", overhead_lines), ("memory", memory_lines), ("rows", rows_lines),
            ("demo", demo_lines), ("coretype", coretype_lines), ("baseline", baseline_lines)]


def busy_warning(results):
    """A warning when other processes competed for the CPU: the 1-minute load average above half
    the cores before the run, or during it above this run's own threads plus half the cores."""
    m = results["machine"]
    start = (m.get("load_average") or [0])[0]
    during = max(results.get("load_during") or [0])
    own = max(m.get("blas_threads") or 1, m.get("torch_threads") or 1)
    if start <= m["cores"] / 2 and during <= own + m["cores"] / 2:
        return []
    return [f"**Busy machine**: 1-minute load average {start:.2f} at the start and up to {during:.2f} during "
            f"the run (this run's own threads: {own}; cores: {m['cores']}): other processes were competing for "
            "the CPU. Times are inflated and ratios less reliable; run again on a quiet machine before quoting "
            "them.", ""]


def render(results):
    """The whole report as markdown."""
    lines = ["# tinynn benchmarks", "",
             f"Measured {results['date']} with `{results['command']}`"
             + (" (**--quick**: few turns, figures indicative only)" if results.get("quick") else "") + ".", "",
             *machine_lines(results), "", *busy_warning(results),
             "## Summary against issue 17's goals", "",
             "Times are medians; ratios are paired turn by turn, median (quartiles). A verdict uses the "
             "median; \"on the line\" means the quartiles straddle the goal, so another run may land on the "
             "other side.", "",
             *summary(results), ""]
    if any(r["size"] == "large" for r in results.get("mlp", [])):
        lines += [large_note(results), ""]
    if gpt_blas_note(results):
        lines += [gpt_blas_note(results), ""]
    for key, section in SECTIONS:
        if key in results:
            lines += section(results)
    return "\n".join(lines)
