"""Hypothesis profiles: 'ci' (the default: fixed seed, modest example counts) and
'thorough' (HYPOTHESIS_PROFILE=thorough: many more examples, random seeds)."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Helpers shared by the test files (`from conftest import leaf, examples`).


def leaf(values, dtype=np.float64):
    """A tensor that requires grad, float64 by default (finite differences need it)."""
    from tinygrad_lab import Tensor

    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def examples(n):
    """``n`` examples under the default profile, scaled up by HYPOTHESIS_PROFILE=thorough."""
    return max(1, n * settings.default.max_examples // 100)


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may switch the default dtype or grad mode; put them back afterwards."""
    import tinygrad_lab as tl
    from tinygrad_lab.engine import modes

    dtype = tl.get_default_dtype()
    errors = np.geterr()
    yield
    tl.set_default_dtype(dtype)
    modes.grad_enabled = True
    modes.anomaly = False
    np.seterr(**errors)
