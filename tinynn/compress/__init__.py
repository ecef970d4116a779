"""Model compression in miniature: knowledge distillation, magnitude pruning, int8 weights.

* ``distillation_loss`` / ``DistillationLoss``: Hinton et al.'s soft targets at temperature T.
* ``tinynn.compress.prune``: PyTorch's ``torch.nn.utils.prune`` names (``l1_unstructured``,
  ``global_unstructured``, ``remove``, ``is_pruned``) plus ``Pruner``, which keeps the masks
  applied while fine-tuning.
* ``quantize_per_tensor`` / ``quantize_per_channel`` / ``quantize_model``: post-training
  symmetric int8 quantisation of weights, dequantised for inference.
* ``nbytes``: sizes in bytes (dense, sparse after pruning, int8).

>>> from tinynn import compress
>>> sorted(n for n in compress.__all__ if not n.startswith("_"))[:3]
['DistillationLoss', 'Pruner', 'QuantizedModel']
"""
from tinynn.compress import prune
from tinynn.compress.distill import DistillationLoss, distillation_loss, kl_div_with_temperature
from tinynn.compress.prune import Pruner
from tinynn.compress.quantize import (
    QuantizedModel,
    QuantizedTensor,
    dequantize,
    quantize_model,
    quantize_per_channel,
    quantize_per_tensor,
)
from tinynn.compress.size import nbytes, sparse_nbytes

__all__ = ["DistillationLoss", "Pruner", "QuantizedModel", "QuantizedTensor", "dequantize", "distillation_loss",
           "kl_div_with_temperature", "nbytes", "prune", "quantize_model", "quantize_per_channel",
           "quantize_per_tensor", "sparse_nbytes"]
