"""The lab's experiments, behind ``examples/lab_experiments.py``.

- :mod:`lab.knobs`: what each of the lab's knobs builds (activations, initial weights,
  loss, optimizer), shared by ``two_layer_classifier.py``'s flags and the experiments.
- :mod:`lab.runs`: one training run of the lab's network from a :class:`~lab.runs.Setting`
  (every knob the experiments and the reports turn), with the examples' shared loop.
- :mod:`lab.sweeps`: change one setting at a time from the classifier's defaults, over
  several seeds; tables and learning-curve figures.
- :mod:`lab.reports`: the five students' lab reports this project grew from (their
  settings are listed in ``docs/lab-walkthrough.md``, section 10), each run with its own
  settings and compared with what it reported.
"""
