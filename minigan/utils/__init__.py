"""``minigan.utils``: PyTorch's ``torch.utils`` names for what minigan has elsewhere, so that code written for
PyTorch reads the same here. Only ``data`` so far: ``from minigan.utils.data import DataLoader, TensorDataset``."""

from . import data  # noqa: F401  (minigan.utils.data after `import minigan.utils`, as torch.utils.data)
