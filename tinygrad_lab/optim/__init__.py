"""Optimizers and learning-rate schedulers with PyTorch's names, arguments and update formulas.

>>> from tinygrad_lab import optim
>>> opt = optim.Adam(model.parameters(), lr=1e-2)
>>> sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
