"""``torch.backends`` in tinynn: the flags PyTorch programs query at start-up.

tinynn runs on NumPy (CPU) or CuPy (CUDA); there is no Apple-GPU (MPS) backend, and the cuDNN
switches have nothing to switch, so they are plain attributes that programs may set.

>>> import tinynn as tn
>>> tn.backends.mps.is_available(), tn.backends.mps.is_built()
(False, False)
"""
from __future__ import annotations

from types import SimpleNamespace


def _false() -> bool:
    return False


mps = SimpleNamespace(is_available=_false, is_built=_false)
# torch.backends.cudnn.deterministic = True / benchmark = False: accepted, nothing to change
cudnn = SimpleNamespace(deterministic=False, benchmark=False, enabled=True, is_available=_false)
