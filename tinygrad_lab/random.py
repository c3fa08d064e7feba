"""The framework's random number generator.

Everything random in tinygrad_lab that is not given its own generator (parameter init in
``nn.init`` and the layers, ``Dropout``, ``DataLoader`` shuffling without a ``seed``)
draws from one module-level :class:`numpy.random.Generator`. :func:`manual_seed` replaces
it, so one call makes a whole run reproducible, as ``torch.manual_seed`` does.

Always fetch the generator with :func:`get_rng` at the moment you draw: ``manual_seed``
swaps in a new object, so a reference kept from before would miss the reseed.
"""

from __future__ import annotations

import numpy as np

_rng: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the framework's generator.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Returns
    -------
    numpy.random.Generator
        The new generator (the one :func:`get_rng` now returns).

    Examples
    --------
    >>> import tinygrad_lab.random as tlr
    >>> _ = tlr.manual_seed(0)
    >>> a = tlr.get_rng().random()
    >>> _ = tlr.manual_seed(0)
    >>> a == tlr.get_rng().random()
    True
    """
    global _rng
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
    _rng = np.random.default_rng(int(seed))
    return _rng


def get_rng() -> np.random.Generator:
    """Return the framework's current generator."""
    return _rng
