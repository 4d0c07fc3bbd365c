"""Training runs behind `minigan train ...`: one module per experiment (toy, mnist).

Each module writes a run folder and checkpoints with a ``kind`` entry, and
offers ``sample_checkpoint(path, n, seed)`` and ``evaluate_checkpoint(path, n, seed)``
for `minigan sample` and `minigan eval`.
"""
