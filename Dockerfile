# The Airflow image for docker-compose.yaml: Airflow 3.3 plus this project's pinned requirements
# and the project itself (for its provider entry point: the openconnector_source connection type).
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.txt constraints.txt pyproject.toml /opt/openconnector/
COPY --chown=airflow:root plugins /opt/openconnector/plugins
RUN pip install --no-cache-dir -r /opt/openconnector/requirements.txt -c /opt/openconnector/constraints.txt \
 && pip install --no-cache-dir --no-deps -e /opt/openconnector
