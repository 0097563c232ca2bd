"""pcilint: find PCI card-data leakage in Python projects that integrate Stripe."""

__version__ = "0.1.0"
