"""The functional interface: ``import tinynn.functional as F`` (as ``torch.nn.functional``).

Every op is a ``Function`` subclass in ``tinynn/ops``; this module gathers the callables.

>>> import tinynn as tn, tinynn.functional as F
>>> F.relu(tn.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""
from tinynn.ops import (abs, add, binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                        broadcast_to, cat, clamp, clip, concatenate, cross_entropy, div, exp, flatten,
                        getitem, linear, log, log_softmax, matmul, max, mean, min, mse_loss, mul, neg,
                        nll_loss, pow, relu, reshape, sigmoid, softmax, sqrt, squeeze, stack, sub, sum,
                        swapaxes, tanh, transpose, unsqueeze)
from tinynn.ops import avg_pool2d, conv2d, embedding, lstm, lstm_cell, max_pool2d  # noqa: F401
