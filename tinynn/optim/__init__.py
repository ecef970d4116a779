"""Optimizers and learning-rate schedules, with ``torch.optim``'s names, arguments and rules.

Each optimizer's ``step()`` updates the parameter arrays *in place* (``p._data -= ...``)
from their gradients, skipping parameters without a gradient and frozen ones
(``requires_grad=False``). Schedules live in ``tinynn.optim.lr_scheduler``, as in PyTorch.

>>> import tinynn as tn
>>> from tinynn import nn, optim
>>> model = nn.Linear(2, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=10)
>>> loss = (model(tn.ones(4, 2)) ** 2).mean()
>>> opt.zero_grad(); loss.backward(); opt.step(); sched.step()
"""
from tinynn.optim import lr_scheduler
from tinynn.optim.adadelta import Adadelta
from tinynn.optim.adagrad import Adagrad
from tinynn.optim.adam import Adam, AdamW
from tinynn.optim.lbfgs import LBFGS
from tinynn.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)
from tinynn.optim.optimizer import Optimizer
from tinynn.optim.rmsprop import RMSprop
from tinynn.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "LBFGS",
           "lr_scheduler", "LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "LambdaLR", "LinearLR", "OneCycleLR", "SequentialLR",
           "ReduceLROnPlateau"]
