"""Airflow DAG file: one DAG ``sync_<id>`` per synchronization spec in include/synchronizations/.

It only calls the factory; everything else lives in plugins/openconnector/.
"""

from openconnector.dag_factory import register_dags

register_dags(globals())
