"""Datasets: toy 2-D mixtures (``toy``), MNIST and scikit-learn's digits (``mnist``), and a DataLoader."""
from .loader import ArrayDataset, ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, random_split  # noqa: F401
from .mnist import MNIST, Digits, MNISTError  # noqa: F401
from .toy import TOY_DATASETS, ToyDataset, circles, grid, moons, ring, swissroll, toy_dataset  # noqa: F401
