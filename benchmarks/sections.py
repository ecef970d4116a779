"""The sections of a benchmark run. Each measures one thing and returns plain dicts (JSON-ready),
with the verdict on its issue-17 goal already attached.

* ``mlp``: the MLP training step, tinynn against the floor, the naive NumPy and PyTorch;
* ``gemm``: one bare matrix product, NumPy's BLAS against PyTorch's (what bounds the large MLP);
* ``gemm_gpt``: the matrix products of one GPT step's Linear layers, NumPy's BLAS against PyTorch's
  (the part of the GPT row that no engine on NumPy can make faster);
* ``overhead``: ``(a*b + a).sum()`` forward + backward on tiny arrays (the engine's own cost);
* ``memory``: 1,000 medium MLP steps, does anything pile up;
* ``rows``: every entry of ``registry.ROWS`` (the layers; later the GPT).

How contenders share the machine: tinynn and the two hand-written NumPy steps use one BLAS
thread pool, so they take short turns back to back with no pause, each a steady training
loop. PyTorch has its own pool; it takes turns with tinynn in a second pass with a pause
before each turn (``SETTLE``), so neither pool's spinning threads steal the other's CPU.
Every ratio is paired turn by turn (``timing.paired_ratio``).
"""
from __future__ import annotations

import numpy as np

import tinynn as tn
from benchmarks import goals, memory, mlp, overhead, registry, timing

SETTLE = 0.25  # seconds of quiet before each paused turn (see timing.interleaved)

# (turns, steps per turn): full run, --quick
MLP_TURNS = {"small": ((60, 50), (6, 20)), "medium": ((150, 10), (10, 5)), "large": ((60, 2), (4, 1))}
TORCH_TURNS = {"small": ((15, 100), (4, 25)), "medium": ((15, 40), (4, 10)), "large": ((15, 4), (3, 1))}
WARMUP = {"small": 20, "medium": 20, "large": 3}
GEMM_SHAPE = (512, 1024, 1024)  # the large MLP's biggest product: (batch, 1024) @ (1024, 1024)


def _schedule(table, size, quick):
    turns, block = table[size][1 if quick else 0]
    return turns * block, block


def judge(goal_list, measured):
    """[{goal, metric, verdict}] for each goal against the measured dict."""
    return [{"goal": g.text, "metric": g.metric, "verdict": g.verdict(measured)} for g in goal_list]


def bench_mlp(sizes, quick, torch):
    rows = []
    for size in sizes:
        widths, batch = mlp.SIZES[size]
        data = mlp.batches(widths, batch)
        tinynn_step = mlp.tinynn_step(widths, data)
        calls, block = _schedule(MLP_TURNS, size, quick)
        res = timing.interleaved({"floor": mlp.floor_step(widths, data), "naive": mlp.naive_step(widths, data),
                                  "tinynn": tinynn_step}, calls, warmup=WARMUP[size], block=block)
        row = {"size": size, "widths": "-".join(map(str, widths)), "batch": batch, "turns": calls // block,
               "steps per turn": block, **res,
               "tinynn/floor": timing.paired_ratio(res["tinynn"], res["floor"]),
               "tinynn/naive": timing.paired_ratio(res["tinynn"], res["naive"]),
               "naive/floor": timing.paired_ratio(res["naive"], res["floor"]),
               "tinynn/floor fastest 10%": res["tinynn"]["p10"] / res["floor"]["p10"]}
        if torch is not None:
            calls, block = _schedule(TORCH_TURNS, size, quick)
            vs = timing.interleaved({"tinynn": tinynn_step, "torch": mlp.torch_step(widths, data, torch)},
                                    calls, warmup=WARMUP[size], block=block, settle=SETTLE)
            row["torch"], row["tinynn, paused turns"] = vs["torch"], vs["tinynn"]
            row["tinynn/torch"] = timing.paired_ratio(vs["tinynn"], vs["torch"])
        row["goals"] = judge(goals.MLP[size], row)
        rows.append(row)
        print(f"  mlp {size}: floor {res['floor']['median'] * 1e3:.3f} ms, naive {res['naive']['median'] * 1e3:.3f}"
              f" ms, tinynn {res['tinynn']['median'] * 1e3:.3f} ms"
              + (f", torch {row['torch']['median'] * 1e3:.3f} ms" if torch is not None else "")
              + f"; tinynn/floor {row['tinynn/floor']['median']:.2f}x", flush=True)
    return rows


def bench_gemm(quick, torch):
    """float32 ``a @ b`` into a preallocated output, NumPy against PyTorch, paused turns."""
    if torch is None:
        return {"skipped": "PyTorch is not installed"}
    m, k, n = GEMM_SHAPE
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
    c = np.empty((m, n), np.float32)
    at, bt, ct = torch.from_numpy(a.copy()), torch.from_numpy(b.copy()), torch.empty((m, n))
    turns, block = (3, 2) if quick else (15, 4)
    res = timing.interleaved({"numpy": lambda: np.matmul(a, b, out=c), "torch": lambda: torch.mm(at, bt, out=ct)},
                             turns * block, warmup=3, block=block, settle=SETTLE)
    out = {"shape": f"({m}, {k}) @ ({k}, {n})", **res,
           "numpy/torch": timing.paired_ratio(res["numpy"], res["torch"])}
    print(f"  gemm {out['shape']}: numpy {res['numpy']['median'] * 1e3:.2f} ms, "
          f"torch {res['torch']['median'] * 1e3:.2f} ms", flush=True)
    return out


def gpt_linear_shapes():
    """(in, out, how many) of the GPT benchmark's Linear layers, and the rows (batch x block) they see."""
    from benchmarks.gpt import RECIPE

    c, layers = RECIPE["n_embd"], RECIPE["n_layer"]
    shapes = [(c, 3 * c, layers), (c, c, layers), (c, 4 * c, layers), (4 * c, c, layers), (c, 65, 1)]
    return shapes, RECIPE["batch_size"] * RECIPE["block_size"]


def bench_gemm_gpt(quick, torch):
    """Every product of one GPT step's Linear layers (forward x Wᵀ, backward g W and gᵀ x), float32,
    allocating as each library's Linear does; NumPy against PyTorch, paused turns."""
    if torch is None:
        return {"skipped": "PyTorch is not installed"}
    shapes, rows = gpt_linear_shapes()
    rng = np.random.default_rng(0)
    arrays = [(rng.standard_normal((rows, i)).astype(np.float32), rng.standard_normal((o, i)).astype(np.float32),
               rng.standard_normal((rows, o)).astype(np.float32), count) for i, o, count in shapes]
    tensors = [tuple(torch.from_numpy(a) for a in group[:3]) + (group[3],) for group in arrays]

    def products(groups):
        def run():
            for x, w, g, count in groups:
                for _ in range(count):
                    x @ w.T, g @ w, g.T @ x
        return run
    turns, block = (3, 2) if quick else (15, 4)
    res = timing.interleaved({"numpy": products(arrays), "torch": products(tensors)}, turns * block, warmup=2,
                             block=block, settle=SETTLE)
    out = {"products": 3 * sum(count for *_, count in shapes), "rows": rows, **res,
           "numpy/torch": timing.paired_ratio(res["numpy"], res["torch"])}
    print(f"  gemm_gpt: numpy {res['numpy']['median'] * 1e3:.2f} ms, torch {res['torch']['median'] * 1e3:.2f} ms",
          flush=True)
    return out


def bench_overhead(quick, torch):
    rows = []
    calls = 2000 if quick else 20000
    for label, shape in overhead.SHAPES.items():
        contenders = {"tinynn": overhead.tinynn_fn(shape)}
        if torch is not None:
            contenders["torch"] = overhead.torch_fn(shape, torch)
        res = timing.interleaved(contenders, calls, warmup=200, block=100, per_call=False)
        row = {"shape": label, "calls": calls, **res}
        if torch is not None:
            row["tinynn/torch"] = timing.paired_ratio(res["tinynn"], res["torch"])
        if shape == (1,):
            row["goals"] = judge([goals.OVERHEAD], row)
        rows.append(row)
        print(f"  overhead {label}: tinynn {res['tinynn']['median'] * 1e6:.1f} us"
              + (f", torch {res['torch']['median'] * 1e6:.1f} us" if torch is not None else ""), flush=True)
    return rows


def bench_memory(quick, torch):
    widths, batch = mlp.SIZES["medium"]
    data = mlp.batches(widths, batch)
    steps = 200 if quick else 1000
    out = {"steps": steps, "tinynn": memory.measure(mlp.tinynn_step(widths, data), steps),
           "floor": memory.measure(mlp.floor_step(widths, data), steps),
           "naive": memory.measure(mlp.naive_step(widths, data), steps)}
    if torch is not None:  # tracemalloc cannot see PyTorch's allocator: RSS only
        out["torch"] = memory.measure(mlp.torch_step(widths, data, torch), steps, trace=False)
    out["goals"] = judge([goals.MEMORY], {"traced growth": abs(out["tinynn"]["traced_growth"])})
    print(f"  memory: tinynn traced growth {out['tinynn']['traced_growth'] / 1024:+.1f} KiB over {steps} steps, "
          f"RSS {out['tinynn']['rss_growth'] / 1024:+.0f} KiB", flush=True)
    return out


def bench_rows(quick, torch, rows=None):
    """Time every registry row: tinynn against PyTorch in paused turns (tinynn alone without it)."""
    results = []
    for row in registry.ROWS if rows is None else rows:
        tn.manual_seed(0)
        ours, theirs = row.make(torch)
        contenders = {"tinynn": ours} if theirs is None else {"tinynn": ours, "torch": theirs}
        calls = row.block * 3 if quick else row.calls
        res = timing.interleaved(contenders, calls=calls, warmup=5, block=row.block,
                                 settle=0 if theirs is None else SETTLE)
        out = {"name": row.name, "detail": row.detail, "turns": calls // row.block, **res}
        if theirs is not None:
            out["tinynn/torch"] = timing.paired_ratio(res["tinynn"], res["torch"])
        if row.items is not None:
            count, unit = row.items
            out["throughput"] = {name: count / r["median"] for name, r in res.items()}
            out["throughput unit"] = f"{unit}/s"
        out["goals"] = judge([row.goal], out) if row.goal is not None else []
        results.append(out)
        print(f"  {row.name}: tinynn {res['tinynn']['median'] * 1e3:.3f} ms"
              + (f", torch {res['torch']['median'] * 1e3:.3f} ms" if theirs is not None else ""), flush=True)
    return results
