"""The framework's random number generators.

Everything random in tinygrad_lab that is not given its own generator (factories such as
``randn``, parameter init in ``nn.init`` and the layers, ``Dropout``, ``DataLoader``
shuffling) draws from one default :class:`Generator`. :func:`manual_seed` reseeds it, so
one call makes a whole run reproducible, as ``torch.manual_seed`` does. A function that
takes ``generator=`` draws from that one instead.

Always fetch the NumPy generator with :func:`get_rng` at the moment you draw: ``manual_seed``
swaps in a new one, so a reference kept from before would miss the reseed.
"""

from __future__ import annotations

import numpy as np


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
    return int(seed)


class Generator:
    """A source of random numbers, like ``torch.Generator`` (CPU only).

    Parameters
    ----------
    device : str, optional
        Only ``"cpu"``, accepted for PyTorch compatibility.

    Attributes
    ----------
    rng : numpy.random.Generator
        The NumPy generator every draw comes from (replaced by :meth:`manual_seed`).

    Examples
    --------
    >>> g = Generator().manual_seed(0)
    >>> a = g.rng.random()
    >>> _ = g.manual_seed(0)
    >>> a == g.rng.random()
    True
    """

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(
                f"Generator(device={device!r}): tinygrad_lab runs on the CPU only"
            )
        self._seed: int | None = None
        self.rng: np.random.Generator = np.random.default_rng()

    def manual_seed(self, seed: int) -> Generator:
        """Reseed this generator; returns it (as PyTorch does)."""
        self._seed = _check_seed(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh OS entropy and return the new seed."""
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        self.rng = np.random.default_rng(self._seed)
        return self._seed

    def initial_seed(self) -> int | None:
        """The seed last given to :meth:`manual_seed` (None if never seeded)."""
        return self._seed

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed})"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Reseed the framework's default generator.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Returns
    -------
    Generator
        The default generator (as ``torch.manual_seed`` returns it).

    Examples
    --------
    >>> import tinygrad_lab.random as tlr
    >>> _ = tlr.manual_seed(0)
    >>> a = tlr.get_rng().random()
    >>> _ = tlr.manual_seed(0)
    >>> a == tlr.get_rng().random()
    True
    """
    return default_generator.manual_seed(seed)


def get_rng(generator: Generator | None = None) -> np.random.Generator:
    """Return the NumPy generator to draw from: ``generator``'s, or the default one's."""
    if generator is None:
        return default_generator.rng
    if isinstance(generator, np.random.Generator):  # a NumPy generator is used as it is
        return generator
    if not isinstance(generator, Generator):
        raise TypeError(
            f"generator must be a tinygrad_lab.Generator, got {type(generator).__name__}"
        )
    return generator.rng
