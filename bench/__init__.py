"""Benchmarks of the lakehouse on this machine: `make bench` (or `python -m bench`).

Every figure is measured in one run, at a scale a shared 2-core laptop can hold; growth, sync
and peer figures are ratios against a baseline taken in the same run, so machine noise cancels
as far as it can. See docs/benchmarks.md for the last table and how to read it.
"""
