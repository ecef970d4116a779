"""Every op, and the one registry that turns each into ``F.x``, ``tn.x`` and ``Tensor.x``.

Primitives (a hand-written backward each, tagged with its equation):
    arithmetic.py  + - * / ** @ and unary minus
    elementwise.py exp log sqrt abs clip sin cos where
    activation.py  sigmoid relu tanh softmax log_softmax [E1-E3]
    reduction.py   sum mean amax amin cumsum prod
    shape.py       reshape permute broadcast_to getitem setitem cat to_copy
Compositions (PyTorch's surface built from the primitives; no backward to get wrong):
    compose_shape.py transpose flatten squeeze unsqueeze stack (over reshape, permute, cat)
    compose.py     size view expand repeat split gather masked_fill var std logsumexp max/min ...
    more.py        sort topk diag outer norm unique scatter index_add pad new_* (primitives: more_primitives.py)
Fused kernels (one node where a benchmark shows it pays; each names its reference composition):
    fused/         linear, losses, conv and pooling, embedding and LSTM

Adding an op: write it in its family module and list it in that module's ``__all__`` (that
makes ``F.x`` and ``tn.x``); add its name to ``TENSOR_METHODS`` below if PyTorch has ``x.op()``.
tests/test_registry.py fails if the three disagree.
"""
from tinynn.ops import activation, arithmetic, compose, compose_shape, elementwise, gelu, reduction, shape
from tinynn.ops.fused import attention, conv, linear, loss, normalization, recurrent
from tinynn.ops import activations_extra, batch_norm, layers_extra, losses_extra  # noqa: E402 - PyTorch's wider surface
from tinynn.ops import more, more_primitives  # noqa: E402 - sorting, norms, scatter, pad ...
from tinynn.tensor import Tensor

FAMILIES = (arithmetic, elementwise, activation, reduction, shape, compose_shape, compose, linear, loss, conv, recurrent, activations_extra, batch_norm, layers_extra, losses_extra, gelu, normalization, attention, more_primitives, more)
FUNCTIONS = {name: getattr(module, name) for module in FAMILIES for name in module.__all__}

# ops that are torch.nn.functional only (not torch.x): F.x but not tn.x
NN_ONLY = {"linear", "conv2d", "max_pool2d", "avg_pool2d", "embedding", "lstm", "lstm_cell", "mse_loss",
           "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "getitem",
           "setitem", "clip", "gelu", "scaled_dot_product_attention"}
NN_ONLY |= {name for family in FAMILIES for name in getattr(family, "NN_ONLY", ())}
TOP_LEVEL = {name: fn for name, fn in FUNCTIONS.items() if name not in NN_ONLY}

# x.name(...) is FUNCTIONS[name](x, ...): the ops PyTorch also offers as Tensor methods
TENSOR_METHODS = (
    "add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "abs", "clamp", "clip", "sin", "cos",
    "sigmoid", "relu", "tanh", "softmax", "log_softmax", "sum", "mean", "max", "min", "amax", "amin", "cumsum",
    "prod", "maximum", "minimum", "reshape", "permute", "transpose", "swapaxes", "flatten", "squeeze",
    "unsqueeze", "size", "numel", "view", "view_as", "contiguous", "t", "expand", "expand_as", "repeat",
    "split", "chunk", "unbind", "index_select", "gather", "masked_fill", "tril", "triu", "square", "rsqrt",
    "reciprocal", "log10", "log2", "log1p", "expm1", "sign", "var", "std", "logsumexp", "argmax", "argmin",
    "all", "any", "mm", "bmm", "eq", "ne", "gt", "ge", "lt", "le", "logical_and", "logical_or", "logical_xor",
    "logical_not", "clone", "allclose", "equal", "is_floating_point", "erf",
    "isclose", "nonzero", "argwhere",
    "topk", "sort", "argsort", "flip", "roll", "norm", "floor", "ceil", "round", "trunc", "cumprod", "isnan",
    "isinf", "isfinite", "scatter", "scatter_add", "index_add", "diag", "outer", "unique", "bincount",
)
# x.name_(...) writes FUNCTIONS[name](x, ...) into x (autograd's in-place rules: Tensor._write)
IN_PLACE = ("add", "sub", "mul", "div", "pow", "clamp", "clip", "exp", "log", "sqrt", "abs", "neg", "sigmoid",
            "relu", "tanh", "masked_fill", "tril", "triu", "square", "sin", "cos", "reciprocal",
            "scatter", "scatter_add", "index_add", "floor", "ceil", "round", "trunc", "cumprod")


def _in_place(name):
    fn = FUNCTIONS[name]

    def write(self, *args, **kwargs):
        return self._write(lambda x, *a: fn(x, *a, **kwargs), *args)

    write.__name__ = write.__qualname__ = name + "_"
    write.__doc__ = f"In place: x = {name}(x, ...) written into x (see Tensor._write)."
    return write


def _attach():
    for name in TENSOR_METHODS:
        setattr(Tensor, name, FUNCTIONS[name])
    for family in FAMILIES:  # x.new_zeros(...), x.to(...): methods with no tn.x
        for name, fn in getattr(family, "METHOD_ONLY", {}).items():
            setattr(Tensor, name, fn)
    for name in IN_PLACE:
        setattr(Tensor, name + "_", _in_place(name))
    Tensor.T = property(compose_shape.reverse_axes, doc="All axes reversed (a matrix transposed).")
    Tensor.mT = property(compose.matrix_transpose, doc="The last two dims swapped.")
    Tensor.nelement = compose.numel
    Tensor.nbytes = property(lambda self: self._data.nbytes, doc="Bytes the values take (numel * itemsize).")
    Tensor.itemsize = property(lambda self: self._data.itemsize, doc="Bytes per element.")


_attach()
globals().update(FUNCTIONS)
__all__ = list(FUNCTIONS)
