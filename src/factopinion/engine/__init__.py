"""The model as data, scored with NumPy only: the model file's format and its validation, the analysis of text
into the model's features, the linear scorer and the exact explanation of a score. Nothing here imports
scikit-learn, SciPy or pandas (``tests/test_layers.py`` checks it)."""
