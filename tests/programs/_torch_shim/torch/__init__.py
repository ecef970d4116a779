"""A stand-in ``torch`` package: put this directory's parent on PYTHONPATH and ``import torch``
gives tinynn (see tinynn.compat). Used by tests/test_torch_programs.py."""
from tinynn import compat as _compat

_compat.install()  # replaces sys.modules["torch"] (this module) by tinynn; the import returns that
