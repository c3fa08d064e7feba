"""Side-by-side benchmarks: tinygrad_lab against hand-written NumPy and PyTorch CPU.

Run ``python benchmarks/run.py`` (``make bench``); see ``benchmarks/run.py --help``.
"""
