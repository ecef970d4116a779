"""Every differentiable op, one file per family, and the Tensor operators built on them.

    arithmetic.py  + - * / ** @ and the fused dense layer
    elementwise.py exp log sqrt abs clip
    activation.py  sigmoid relu tanh softmax log_softmax [E1-E3]
    reduction.py   sum mean max min
    shape.py       reshape transpose indexing concatenate stack ...
    loss.py        mse, cross-entropy, binary cross-entropy [E4, E5, E11, ...]
    conv.py        conv2d, max/avg pooling (im2col + matmul)
    recurrent.py   embedding, fused LSTM cell and LSTM sequence
"""
from tinynn import backend
from tinynn.ops.activation import (
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    log_softmax,
    relu,
    safe_exp,
    sigmoid,
    softmax,
    tanh,
)
from tinynn.ops.arithmetic import (
    Add,
    Div,
    Linear,
    MatMul,
    Mul,
    Neg,
    Pow,
    Sub,
    add,
    div,
    linear,
    matmul,
    mul,
    neg,
    pow,
    sub,
)
from tinynn.ops.conv import AvgPool2d, Conv2d, MaxPool2d, avg_pool2d, conv2d, max_pool2d
from tinynn.ops.elementwise import Abs, Clip, Exp, Log, Sqrt, abs, clamp, clip, exp, log, sqrt
from tinynn.ops.loss import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    MSELoss,
    NLLLoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from tinynn.ops.recurrent import Embedding, LSTMCell, LSTMSequence, embedding, lstm, lstm_cell
from tinynn.ops.reduction import Max, Mean, Min, Sum, max, mean, min, sum
from tinynn.ops.shape import (
    BroadcastTo,
    Concatenate,
    GetItem,
    Reshape,
    Stack,
    ToCopy,
    Transpose,
    broadcast_to,
    cat,
    concatenate,
    flatten,
    getitem,
    reshape,
    squeeze,
    stack,
    swapaxes,
    to_copy,
    transpose,
    unsqueeze,
)
from tinynn.tensor import Tensor


def _compare(name):
    """Comparisons give boolean tensors outside the graph (they have no gradient)."""
    def method(self, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(getattr(self.data, name)(other))
    method.__name__ = name
    return method


def _expand(self, *shape):
    """Broadcast to ``shape`` (PyTorch's ``expand``): ``tn.ones(3).expand(2, 3).shape == (2, 3)``."""
    return broadcast_to(self, shape[0] if len(shape) == 1 else shape)


def _all(self):
    """A boolean 0-d tensor: are all elements true (non-zero)? No gradient."""
    return Tensor._wrap(backend.ensure_array(self.data.all()))


def _any(self):
    """A boolean 0-d tensor: is any element true (non-zero)? No gradient."""
    return Tensor._wrap(backend.ensure_array(self.data.any()))


def _argmax(self, axis=None, dim=None):
    """Index of the largest element (along ``axis``), as an int tensor; no gradient.

    >>> tn.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(axis=1).tolist()
    [1, 0]
    """
    return Tensor._wrap(backend.ensure_array(self.data.argmax(axis=axis if dim is None else dim)))


def _attach_tensor_methods():
    """Give Tensor its operators and methods: ``a + b`` is ``add(a, b)`` and so on."""
    T = Tensor
    T.__add__ = T.__radd__ = add
    T.__sub__ = sub
    T.__rsub__ = lambda self, other: sub(other, self)
    T.__mul__ = T.__rmul__ = mul
    T.__truediv__ = div
    T.__rtruediv__ = lambda self, other: div(other, self)
    T.__pow__ = pow
    T.__rpow__ = lambda self, other: pow(other, self)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda self, other: matmul(other, self)
    T.__neg__ = neg
    T.__getitem__ = getitem
    for name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        setattr(T, name, _compare(name))
    T.__hash__ = object.__hash__
    T.T = property(transpose, doc="The tensor with its axes reversed (a matrix transposed).")
    for fn in (exp, log, sqrt, abs, clip, clamp, sigmoid, relu, tanh, softmax, log_softmax,
               sum, mean, max, min, reshape, transpose, flatten, squeeze, unsqueeze, swapaxes,
               broadcast_to, matmul):
        setattr(T, fn.__name__, fn)
    T.clamp = clip
    T.view = reshape
    T.permute = transpose
    T.expand = _expand
    T.all, T.any, T.argmax = _all, _any, _argmax

_attach_tensor_methods()
