#!/usr/bin/env bash
# Prepares Airflow before its long-running services start (compose service `airflow-init`):
# migrates the metadata database, then writes SimpleAuthManager's password file from .env.
#
# SimpleAuthManager would otherwise generate a password and print it to the api-server log; with
# the file written here the login is the one in .env, and rotating it is editing .env and
# re-running `docker compose up`. The file lives on the `airflow-auth` volume, mode 0600.
set -euo pipefail

: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD in .env}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?set by docker-compose.yml}"

airflow db migrate

python - <<'PY'
import json
import os
from pathlib import Path

path = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
user = os.environ.get("AIRFLOW_ADMIN_USER") or "admin"
path.parent.mkdir(parents=True, exist_ok=True)
tmp = path.with_suffix(".tmp")
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as handle:
    json.dump({user: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, handle)
    handle.write("\n")
tmp.replace(path)
print(f"airflow-init: metadata database migrated; UI login '{user}' written to {path}")
PY
