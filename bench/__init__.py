"""Benchmarks that print figures: ``python -m bench`` (``make bench``), ``--soak`` (``make soak``).

They measure; they never assert timings. See bench/README.md for the latest figures.
"""
