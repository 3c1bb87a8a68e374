"""genlab core: models, data, training and evaluation (no UI code)."""
