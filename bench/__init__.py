"""Benchmarks of sage_dmo, run as ``python -m bench.<name>`` from the repository."""
