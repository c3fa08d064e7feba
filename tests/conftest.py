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
