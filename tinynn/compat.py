"""Run PyTorch code on tinynn unchanged: make ``import torch`` give tinynn.

``install()`` registers tinynn's modules under PyTorch's names in ``sys.modules``
(``torch`` -> tinynn, ``torch.nn`` -> tinynn.nn, ``torch.nn.functional`` ->
tinynn.functional, ``torch.optim`` -> tinynn.optim, ``torch.utils.data`` -> tinynn.data,
``torch.autograd`` -> tinynn.autograd, and ``torch.cuda``/``backends``/``accelerator``), so
a script's own ``import torch`` statements pick tinynn up. From the shell::

    python -m tinynn.compat script.py [args...]

runs ``script.py`` that way. Where real PyTorch is installed it is shadowed only inside
that process.

>>> import sys
>>> from tinynn import compat
>>> saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "torch" or k.startswith("torch.")}
>>> compat.install()
>>> import torch, torch.nn.functional as F
>>> torch.__name__, F.relu(torch.tensor([-1.0, 2.0])).tolist()
('tinynn', [0.0, 2.0])
>>> compat.uninstall(); sys.modules.update(saved)
"""
from __future__ import annotations

import importlib
import runpy
import sys

# PyTorch's module name -> tinynn's module that stands for it
MODULES = {
    "torch": "tinynn",
    "torch.nn": "tinynn.nn",
    "torch.nn.functional": "tinynn.functional",
    "torch.nn.init": "tinynn.nn.init",
    "torch.nn.utils": "tinynn.nn.utils",
    "torch.optim": "tinynn.optim",
    "torch.optim.lr_scheduler": "tinynn.optim.lr_scheduler",
    "torch.utils": "tinynn.utils",
    "torch.utils.data": "tinynn.data",
    "torch.autograd": "tinynn.autograd",
    "torch.linalg": "tinynn.linalg",
    "torch.random": "tinynn.random",
    "torch.cuda": "tinynn.cuda",
    "torch.backends": "tinynn.backends",
    "torch.accelerator": "tinynn.accelerator",
}
# attributes PyTorch code reaches through a parent (torch.nn.functional.relu, torch.utils.data.X)
_ATTRIBUTES = (("tinynn.nn", "functional", "tinynn.functional"),)


def install() -> None:
    """Make ``import torch`` (and its submodules above) import tinynn in this process."""
    for torch_name, ours in MODULES.items():
        sys.modules[torch_name] = importlib.import_module(ours)
    for parent, attribute, module in _ATTRIBUTES:
        setattr(sys.modules[parent], attribute, importlib.import_module(module))


def uninstall() -> None:
    """Forget the ``torch`` names that ``install`` registered (a real torch imports again)."""
    for torch_name, ours in MODULES.items():
        if getattr(sys.modules.get(torch_name), "__name__", None) == ours:
            del sys.modules[torch_name]


def run(path: str, argv=()) -> None:
    """Run the script at ``path`` as ``__main__`` with ``import torch`` giving tinynn."""
    install()
    sys.argv = [path, *argv]
    runpy.run_path(path, run_name="__main__")


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:
        argv = argv[1:]
    if not argv:
        raise SystemExit("usage: python -m tinynn.compat [run] script.py [args...]")
    run(argv[0], argv[1:])


if __name__ == "__main__":
    main()
