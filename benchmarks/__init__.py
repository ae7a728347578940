"""Benchmarks of commerce_events against its limits and its peers.

Run from the repository root: ``python -m benchmarks`` (full run, a few
minutes) or ``python -m benchmarks --quick`` (smoke run, well under a minute).
``nox -s bench`` (``nox -s bench -- --quick``) does the same in a fresh venv.
See BENCHMARKS.rst for the method, the targets and the latest results.
"""
