"""Datasets: toy 2-D mixtures (``toy``), MNIST and scikit-learn's digits (``mnist``), and a DataLoader."""
