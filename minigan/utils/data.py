"""``minigan.utils.data``: the data utilities under ``torch.utils.data``'s name, the very objects of
``minigan.data`` (``minigan.utils.data.DataLoader is minigan.data.DataLoader``), so that PyTorch's

    from torch.utils.data import DataLoader, TensorDataset

reads ``from minigan.utils.data import DataLoader, TensorDataset`` here. Only what ``torch.utils.data`` also
has; minigan's own datasets (``ArrayDataset``, ``MNIST``, ``Digits``, the toy mixtures) stay in ``minigan.data``,
as torchvision's datasets are not in ``torch.utils.data``. Differences from PyTorch's are the loader's (see
``minigan.data.loader``): no worker processes, samplers or ``collate_fn``; ``seed=`` for the shuffling order.
"""

from ..data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, random_split

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "random_split"]
