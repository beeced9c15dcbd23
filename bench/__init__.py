"""Benchmarks that print figures: ``python -m bench`` (``make bench``), ``--soak`` (``make soak``).

HTTP throughput of the servers, and the engine beside SpiffWorkflow: the interpreter alone,
durable starts, starts through the REST API, and latency with a million waiting instances.
They measure; they never assert timings. See bench/README.md for the latest figures.
"""
