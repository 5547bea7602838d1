"""scripts/scan_secrets.py: the repository is clean, and a planted secret in a log is caught.

Secrets used here are built at run time (never written literally in this file), so the scanner
run over the repository does not trip over its own test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "scan_secrets.py"


def _scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def env_file(tmp_path: Path) -> tuple[Path, str]:
    secret = "Zq" + "7x9RpLm2Vw4Kt8Ny"
    path = tmp_path / ".env"
    path.write_text(
        f"LAKEHOUSE_PG_WRITER_PASSWORD={secret}\nLAKEHOUSE_PG_PORT=55432\n"
        "LAKEHOUSE_S3_ACCESS_KEY=short\n"
    )
    return path, secret


def test_the_repository_holds_no_secret() -> None:
    result = _scan()
    assert result.returncode == 0, result.stdout
    assert "0 hit(s)" in result.stderr


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("connecting with password {secret} now", "value of LAKEHOUSE_PG_WRITER_PASSWORD"),
        ("key id " + "AKIA" + "IOSFODNN7EXAMPLE", "aws_access_key_id"),
        ("aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
         "aws_secret_access_key"),
        ("-----BEGIN " + "RSA PRIVATE KEY-----", "private_key"),
        ("-----BEGIN " + "OPENSSH PRIVATE KEY-----", "private_key"),
        ("sql_alchemy_conn=postgresql+psycopg2://airflow:" + "hunter22x" + "@127.0.0.1/af",
         "password_in_url"),
    ],
)  # fmt: skip
def test_a_planted_secret_in_a_log_is_caught_without_printing_it(
    tmp_path: Path, env_file: tuple[Path, str], line: str, kind: str
) -> None:
    path, secret = env_file
    logs = tmp_path / "logs" / "dag_id=x" / "run_id=y"
    logs.mkdir(parents=True)
    log = logs / "attempt=1.log"
    text = line.format(secret=secret)
    log.write_text(f"[2025-09-21] INFO start\n[2025-09-21] INFO {text}\n")
    result = _scan("--no-repo", "--env-file", str(path), "--logs", str(tmp_path / "logs"))
    assert result.returncode == 1
    assert f"{log}:2: {kind}" in result.stdout
    assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "line",
    [
        "postgresql://airflow:${PG_AIRFLOW_PASSWORD}@postgres/airflow",
        "postgresql://user:***@host/db",
        "https://example.org/path?user=a@b",
        "LAKEHOUSE_S3_ACCESS_KEY=short appears as: short",  # below the minimum length
        "",  # an empty line
    ],
)
def test_placeholders_and_short_values_are_not_hits(
    tmp_path: Path, env_file: tuple[Path, str], line: str
) -> None:
    path, _ = env_file
    log = tmp_path / "task.log"
    log.write_text(line + "\n")
    result = _scan("--no-repo", "--env-file", str(path), "--logs", str(log))
    assert result.returncode == 0, result.stdout


def test_values_copied_out_of_env_are_caught(tmp_path: Path, env_file: tuple[Path, str]) -> None:
    path, _ = env_file
    copy = tmp_path / "leaked.txt"
    copy.write_text(path.read_text())
    result = _scan("--no-repo", "--env-file", str(path), "--logs", str(copy))
    assert result.returncode == 1
    assert f"{copy}:1: value of LAKEHOUSE_PG_WRITER_PASSWORD from .env" in result.stdout
