"""The ops, one file per family. Each op computes its result with NumPy and hands
``Tensor.from_op`` a closure that maps the result's gradient to its inputs' gradients."""
