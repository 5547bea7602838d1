"""The local runtime: Postgres, the object store and Airflow as processes on this machine.

Used by `make services-up` / `lakehouse services ...` and by the tests; never by the pipeline code
itself, which only sees endpoints and credentials through settings.
"""
