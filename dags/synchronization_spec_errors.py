"""Airflow DAG-file check: invalid synchronization specs appear as this file's import error.

It defines no DAG. The DAGs of all valid specs come from synchronizations.py and keep loading, so one
broken spec file never takes the other synchronizations down.
"""

from openconnector.dag_factory import raise_spec_errors

raise_spec_errors()
