"""PyTorch-style programs, each written the way public tutorials write them.

Every module here has

- ``inputs() -> dict``: the data and initial values as NumPy float64 arrays, drawn from
  a seeded NumPy generator, so that both frameworks start from the same numbers;
- ``run(torch, **inputs) -> dict``: the program itself. It receives the framework as
  a module object (``torch`` or ``tinygrad_lab``) and reaches ``nn``, ``F``, ``optim``
  and ``utils.data`` only through it, so the program text is PyTorch code with nothing
  but the import swapped. It asserts that it learned (a silent no-op update fails it)
  and returns its final numbers (losses, weights, predictions) as NumPy values;
- ``FRAMEWORK_RANDOM``: the result keys that depend on the framework's own random
  generator (``torch.Generator`` streams differ between frameworks); the test compares
  only their shapes and dtypes, all other keys must agree to float64 precision.
"""

PROGRAMS = (
    "poly_raw_nograd",
    "poly_data_update",
    "nn_regression",
    "autograd_basics",
    "dataset_loader",
    "char_mlp",
    "softmax_scratch",
    "cnn1d",
    "xor_net",
    "micrograd_check",
    "higher_order",
    "tensor_idioms",
)
