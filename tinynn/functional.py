"""The functional interface: ``import tinynn.functional as F`` (as ``torch.nn.functional``).

Every op of the registry (``tinynn.ops.FUNCTIONS``) is here under its PyTorch name.

>>> import tinynn as tn, tinynn.functional as F
>>> F.relu(tn.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""
from tinynn.ops import *  # noqa: F403
