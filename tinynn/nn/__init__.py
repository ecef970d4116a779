"""Layers, losses and the Module system: ``from tinynn import nn`` (as ``torch.nn``).

>>> import tinynn as tn
>>> from tinynn import nn
>>> model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
>>> model(tn.randn(4, 2)).shape
(4, 1)
"""
from tinynn.nn import init
from tinynn.nn.activation import Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from tinynn.nn.conv import AvgPool2d, Conv2d, MaxPool2d
from tinynn.nn.layers import Dropout, Flatten, Linear
from tinynn.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from tinynn.nn.module import Module, ModuleList, Parameter, Sequential
from tinynn.nn.recurrent import GRU, LSTM, RNN, Embedding, GRUCell, LSTMCell, RNNCell
from tinynn.nn.regularization import l1_penalty, l2_penalty
from tinynn.nn import utils  # noqa: E402 - nn.utils, as torch.nn.utils
from tinynn.nn.activations_extra import CELU, ELU, SELU, Hardtanh, LeakyReLU, LogSigmoid, Mish, ReLU6, SiLU, Softplus, Softsign
from tinynn.nn.batchnorm import BatchNorm1d, BatchNorm2d
from tinynn.nn.layers_extra import AdaptiveAvgPool2d, Dropout2d, ModuleDict, ParameterDict, ParameterList, Unflatten
from tinynn.nn.losses_extra import HuberLoss, KLDivLoss, L1Loss, SmoothL1Loss

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "Linear", "Flatten", "Dropout",
    "Sigmoid", "ReLU", "Tanh", "Softmax", "LogSoftmax", "Identity", "MSELoss",
    "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "init", "l1_penalty",
    "l2_penalty", "Conv2d", "MaxPool2d", "AvgPool2d", "Embedding", "RNNCell", "LSTMCell", "GRUCell",
    "RNN", "LSTM", "GRU",
]

from tinynn.nn.gelu import GELU  # noqa: E402  (issue 13: the Transformer's layers)
from tinynn.nn.normalization import LayerNorm  # noqa: E402
from tinynn.nn.attention import MultiheadAttention  # noqa: E402
from tinynn.nn.transformer import TransformerDecoderLayer, TransformerEncoderLayer  # noqa: E402
__all__ += ["GELU", "LayerNorm", "MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer"]
__all__ += [  # PyTorch's wider surface (issue 12)
    "utils", "LeakyReLU", "ELU", "CELU", "SELU", "SiLU", "Mish", "Softplus", "Hardtanh", "ReLU6", "LogSigmoid",
    "Softsign", "BatchNorm1d", "BatchNorm2d", "AdaptiveAvgPool2d", "Dropout2d", "Unflatten", "ModuleDict",
    "ParameterList", "ParameterDict", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss",
]
