"""``python -m tinynn``: train an MLP on the bundled handwritten digits, end to end.

Loads the 1797 UCI 8×8 digits shipped with tinynn, splits them into train / validation /
test sets (stratified, fixed seed), standardises the pixels with statistics of the training
set only, trains ``Linear → ReLU → Linear`` with a progress bar, then reports test accuracy,
macro precision / recall / F1 and the time taken, and saves the checkpoint and pictures.

The digits mode runs NumPy's BLAS on one thread unless told otherwise (``--threads N``, or
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS in the environment): its matrices
are too small to share out, and on a busy machine extra BLAS threads made it 5-15x slower.
The GPT mode uses one thread per core left free by the machine's load (docs/guide.md,
"Threads", has the measurements).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import sys
import time

import tinynn as tn
from tinynn import backend, nn, optim
from tinynn.data import DataLoader, StandardScaler, load_digits, train_test_split
from tinynn.memory import keep_freed_memory
from tinynn.metrics import accuracy, confusion_matrix, precision_recall_f1
from tinynn.threads import blas_threads, get_num_threads, user_set_threads

DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3}

EPILOG = """\
examples:
  python -m tinynn                              train with the defaults (~0.97 test accuracy in seconds)
  python -m tinynn --epochs 10 --quiet          a quick run, no progress bars
  python -m tinynn --hidden 256 128 --lr 3e-3   two hidden layers, a larger step
  python -m tinynn --optimizer sgd              SGD with momentum 0.9 (default lr 0.05)
  python -m tinynn --device cuda --out runs/a   on a GPU (needs CuPy), files into runs/a
  python -m tinynn --threads 2                  two BLAS threads (default 1: small matrices, shared cores)
  python -m tinynn gpt                          the second mode: train a char GPT on Tiny Shakespeare
  python -m tinynn gpt --sample                 generate from its checkpoint (gpt --help for more)

outputs (in --out): digits_mlp.npz (tn.save of the model's state_dict; load it with
model.load_state_dict(tn.load(path))), history.json, curves.png, confusion_matrix.png
"""


def build_parser():
    """The command line's ``argparse`` parser (``python -m tinynn --help`` prints it).

    >>> args = build_parser().parse_args(["--epochs", "5", "--hidden", "64", "32"])
    >>> args.epochs, args.hidden, args.optimizer
    (5, [64, 32], 'adam')
    """
    p = argparse.ArgumentParser(
        prog="python -m tinynn",
        description="Train a multilayer perceptron on the bundled UCI handwritten digits (8x8 pixels, "
                    "10 classes, 1797 images) and report test accuracy, precision, recall and F1.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=30, help="passes over the training set (default: 30)")
    p.add_argument("--hidden", type=int, nargs="+", default=[256], metavar="N",
                   help="hidden layer sizes, one number per layer (default: 256)")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 1e-3 for adam/adamw, 0.05 for sgd)")
    p.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), default="adam",
                   help="sgd (momentum 0.9), adam or adamw (default: adam)")
    p.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default: 32)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cpu, or cuda (needs CuPy and a GPU) (default: cpu)")
    p.add_argument("--out", default="tinynn-out",
                   help="folder for the checkpoint and PNGs (default: tinynn-out/)")
    p.add_argument("--seed", type=int, default=0, help="seeds the split, the initial weights and shuffling")
    p.add_argument("--quiet", action="store_true", help="no progress bars: print only the results")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="BLAS threads for the matrix products (default: 1, or what OPENBLAS_NUM_THREADS, "
                        "OMP_NUM_THREADS or MKL_NUM_THREADS says if set)")
    return p


def default_threads(requested=None, environ=None):
    """BLAS threads for the digits mode: ``requested`` (``--threads``) if given; else None (keep
    the library's) when the user set a thread variable; else 1. Its products (32 × 64 by
    64 × 256) are too small to share: one thread was as fast on an idle 2-core machine
    (0.3 s of training) and 5-15x faster on a busy one.

    >>> default_threads(environ={}), default_threads(4), default_threads(environ={"OPENBLAS_NUM_THREADS": "2"})
    (1, 4, None)
    """
    if requested is not None:
        return requested
    return None if user_set_threads(environ) else 1


def gpt_threads(environ=None, load=None, cpus=None):
    """BLAS threads for the GPT mode: None (keep the library's) when the user set a thread
    variable; else one per core that the last minute's load average leaves free, at least 1.
    The GPT's products (768 × 128 by 128 × 384) do gain from a second core when it is free
    (16,300 vs 11,400 tokens/s on an idle 2-core machine) and lose 3x when it is not
    (2,300 vs 7,300 tokens/s at a load of 3).

    >>> gpt_threads(environ={}, load=0.3, cpus=2), gpt_threads(environ={}, load=1.6, cpus=2), gpt_threads(environ={}, load=3.0, cpus=2)
    (2, 1, 1)
    >>> gpt_threads(environ={"OMP_NUM_THREADS": "4"}, load=0.0, cpus=8) is None
    True
    """
    if user_set_threads(environ):
        return None
    cpus = (os.cpu_count() or 1) if cpus is None else cpus
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows: no load average, so no evidence of a free core
            load = float(cpus)
    return max(1, min(cpus, round(cpus - load)))


@contextlib.contextmanager
def _threads(n):
    """Run the block with ``n`` BLAS threads (restored afterwards, so calling main() from Python
    leaves the process as it was); if the BLAS cannot be controlled, say so and go on."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(blas_threads(n))
        except RuntimeError as e:
            print(f"python -m tinynn: note: cannot set {n} BLAS thread(s) ({str(e).split(': ', 1)[-1]}); "
                  "on a busy machine start with OPENBLAS_NUM_THREADS=1", file=sys.stderr)
        yield


def make_model(sizes):
    """``Linear → ReLU → ... → Linear`` through the given layer sizes (64 in, 10 out for digits).

    >>> make_model([64, 32, 10])
    Sequential(
      (0): Linear(in_features=64, out_features=32, bias=True)
      (1): ReLU()
      (2): Linear(in_features=32, out_features=10, bias=True)
    )
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def make_optimizer(name, params, lr):
    """The optimizer named on the command line: "sgd" (momentum 0.9), "adam" or "adamw".

    >>> from tinynn import nn
    >>> type(make_optimizer("sgd", nn.Linear(2, 1).parameters(), 0.05)).__name__
    'SGD'
    """
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adamw":
        return optim.AdamW(params, lr=lr)
    return optim.Adam(params, lr=lr)


def load_splits(seed):
    """Train / validation / test = 70 / 10 / 20 %, stratified; standardised on train only.

    >>> (x_train, y_train), (x_val, _), (x_test, _) = load_splits(seed=0)
    >>> x_train.shape, x_val.shape, x_test.shape
    ((1257, 64), (180, 64), (360, 64))
    """
    x, y = load_digits()
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, seed=seed, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.125, seed=seed + 1,
                                                      stratify=y_rest)
    scaler = StandardScaler().fit(x_train)
    return [(scaler.transform(a), b) for a, b in ((x_train, y_train), (x_val, y_val), (x_test, y_test))]


def save_pictures(history, cm, out):
    """curves.png and confusion_matrix.png; returns their paths (none without matplotlib).

    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> paths = save_pictures({"loss": [1.0, 0.5]}, np.eye(2, dtype=int), pathlib.Path(tempfile.mkdtemp()))
    >>> [p.name for p in paths], all(p.exists() for p in paths)
    (['curves.png', 'confusion_matrix.png'], True)
    """
    try:
        from tinynn.viz import plot_confusion_matrix, plot_history
        from tinynn.viz._mpl import pyplot
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return []
    paths = [out / "curves.png", out / "confusion_matrix.png"]
    figures = [plot_history(history, path=paths[0], title="MLP on the UCI digits"),
               plot_confusion_matrix(cm, path=paths[1], title="test set")]
    for fig in figures:
        pyplot().close(fig)
    return paths


def _thread_note():
    try:
        n = get_num_threads()
    except RuntimeError:
        return ""
    return f", {n} BLAS thread{'s' if n > 1 else ''}"


def main(argv=None):
    """Run the demo with command-line ``argv`` (default ``sys.argv[1:]``); returns the exit code
    (0, or 2 for bad arguments, with the message on stderr).

    >>> main(["--epochs", "0"])        # a full run: main(["--epochs", "1", "--out", folder])
    2
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    keep_freed_memory()  # each step reuses the last one's memory instead of page-faulting it in (tinynn/memory.py)
    if argv[:1] == ["gpt"]:  # the second mode: a character-level GPT on Tiny Shakespeare
        from tinynn.models.cli import main as gpt_main

        with _threads(gpt_threads()):
            return gpt_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.threads is not None and args.threads < 1:
        print("python -m tinynn: error: --threads must be at least 1", file=sys.stderr)
        return 2
    with _threads(default_threads(args.threads)):
        return _run(args)


def _run(args):
    """The digits mode, with ``args`` parsed and the threads chosen."""
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            print(f"python -m tinynn: error: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    try:
        device = backend.check_device(args.device)
    except RuntimeError as e:  # no CuPy / no GPU: the backend's message says what to do
        print(f"python -m tinynn: error: {e}", file=sys.stderr)
        return 2
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    started = time.perf_counter()
    tn.manual_seed(args.seed)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_splits(args.seed)
    sizes = [x_train.shape[1], *args.hidden, 10]
    model = make_model(sizes).to(device)
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr)
    train_loader = DataLoader((x_train, y_train), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader((x_val, y_val), batch_size=512)
    print(f"tinynn {tn.__version__}: MLP {'-'.join(map(str, sizes))} on the UCI digits "
          f"({len(y_train)} train / {len(y_val)} validation / {len(y_test)} test images), "
          f"{args.optimizer} lr={lr:g}, {args.epochs} epochs, batch {args.batch_size}, {device}"
          f"{_thread_note()}")

    t0 = time.perf_counter()
    history = tn.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=args.epochs,
                     val_loader=val_loader, metrics=("accuracy",), progress=not args.quiet)
    train_seconds = time.perf_counter() - t0

    predicted = tn.predict(model, x_test).numpy().argmax(axis=1)
    acc = accuracy(y_test, predicted)
    precision, recall, f1 = precision_recall_f1(y_test, predicted, average="macro")
    cm = confusion_matrix(y_test, predicted, num_classes=10)

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "digits_mlp.npz"
    tn.save(model.state_dict(), checkpoint)
    (out / "history.json").write_text(json.dumps(dict(history), indent=1))
    pictures = save_pictures(history, cm, out)
    total_seconds = time.perf_counter() - started

    print(f"test accuracy {acc:.4f} | macro precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}")
    print(f"time: {train_seconds:.1f} s training, {total_seconds:.1f} s in all")
    print(f"saved: {checkpoint} (model.load_state_dict(tn.load(path)))")
    for path in [out / "history.json", *pictures]:
        print(f"saved: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
