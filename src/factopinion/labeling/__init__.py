"""Labeling tables: ``label``'s engine (chunks of rows over a worker pool, in order, lossless), many files into
one folder with completeness manifests, and the same on a Dask cluster."""
