"""The scale benchmark (issue 6): a large demo source synchronized through a real Airflow, side by side with dlt and the floor.

Run it with ``make bench`` (``N=1000000`` for the targets) or ``python -m bench.run --count N``;
``bench/README.md`` explains what it measures and how to read the output.
"""
