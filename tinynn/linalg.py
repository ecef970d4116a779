"""``torch.linalg``'s norms: ``tn.linalg.norm``, ``vector_norm``, ``matrix_norm`` (defined in
tinynn/ops/more.py, compositions of primitives; no SVD-based norms).

>>> import tinynn as tn
>>> x = tn.tensor([[3.0, 0.0], [0.0, -4.0]])
>>> tn.linalg.norm(x).item(), tn.linalg.vector_norm(x, ord=1).item(), tn.linalg.matrix_norm(x, ord=1).item()
(5.0, 7.0, 4.0)
"""
from tinynn.ops.more import linalg_norm as norm
from tinynn.ops.more import matrix_norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm"]
