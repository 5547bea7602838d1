"""Fail when something that looks like a secret sits in the repository or in a log folder.

Looks for the actual secret values of the local ``.env`` (the generated passwords and keys),
AWS-style access keys and secret-key assignments, private key blocks, and passwords written into
URLs (``scheme://user:password@host``). Scans the git-tracked files of ``--root`` and, with
``--logs``, every file under the given folders (Airflow task logs, Spark logs). Prints
``path:line: kind`` per hit, never the secret itself, and exits 1 when anything was found.

Standard library only, so it runs in a pre-commit hook or CI before any install.

    python scripts/scan_secrets.py                       # the repository
    python scripts/scan_secrets.py --logs .local/airflow/logs
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: .env variables whose value is a secret: generated ones, and any name that says so.
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|ACCESS_KEY|PRIVATE_KEY|FERNET_KEY)", re.I)
#: Shorter values are too likely to occur by chance (and are no real secret anyway).
MIN_SECRET_CHARS = 8
MAX_FILE_BYTES = 20_000_000

PATTERNS: dict[str, re.Pattern[str]] = {
    "aws_access_key_id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "aws_secret_access_key": re.compile(
        r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}\b", re.I
    ),
    "private_key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    # scheme://user:password@host, unless the password is a placeholder or a variable
    "password_in_url": re.compile(
        r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:(?![$%{<*]|\*{3}|password\b|pass\b|secret\b)"
        r"([^\s/@'\"]{3,})@",
        re.I,
    ),
}


@dataclass(frozen=True)
class Hit:
    path: Path
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


def env_secrets(env_file: Path) -> dict[str, str]:
    """Name -> value of every secret-looking variable in ``env_file`` (empty if it is missing)."""
    if not env_file.is_file():
        return {}
    out = {}
    for raw in env_file.read_text(errors="replace").splitlines():
        name, sep, value = raw.strip().partition("=")
        value = value.strip().strip("'\"")
        if (
            sep
            and not name.startswith("#")
            and SECRET_NAME.search(name)
            and len(value) >= MIN_SECRET_CHARS
            and value != "generate"
        ):
            out[name.strip()] = value
    return out


def tracked_files(root: Path) -> list[Path]:
    """The files git tracks under ``root`` (what a push would publish)."""
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z"], check=True, capture_output=True
    ).stdout.decode()
    return [root / name for name in listing.split("\0") if name]


def files_under(folders: Iterable[Path]) -> Iterator[Path]:
    for folder in folders:
        if folder.is_file():
            yield folder
        else:
            yield from (p for p in sorted(folder.rglob("*")) if p.is_file())


def scan_file(path: Path, secrets: dict[str, str]) -> list[Hit]:
    """Every hit in one file; binary files and huge files are skipped."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        data = path.read_bytes()
    except OSError:
        return []
    if b"\0" in data[:8192]:
        return []
    hits = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        for name, value in secrets.items():
            if value in line:
                hits.append(Hit(path, number, f"value of {name} from .env"))
        for kind, pattern in PATTERNS.items():
            if pattern.search(line):
                hits.append(Hit(path, number, kind))
    return hits


def scan(paths: Iterable[Path], secrets: dict[str, str]) -> list[Hit]:
    return [hit for path in paths for hit in scan_file(path, secrets)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="git repository to scan")
    parser.add_argument("--env-file", type=Path, default=None, help="default: ROOT/.env")
    parser.add_argument("--logs", type=Path, nargs="*", default=[], help="also scan these")
    parser.add_argument("--no-repo", action="store_true", help="scan only --logs")
    args = parser.parse_args(argv)
    secrets = env_secrets(args.env_file or args.root / ".env")
    paths = [] if args.no_repo else tracked_files(args.root)
    env_file = (args.env_file or args.root / ".env").resolve()
    paths = [p for p in paths if p.resolve() != env_file]  # .env itself holds them, on purpose
    paths += list(files_under(args.logs))
    hits = scan(paths, secrets)
    for hit in hits:
        print(hit)
    print(
        f"scan_secrets: {len(paths)} file(s), {len(secrets)} .env secret(s) looked for, "
        f"{len(hits)} hit(s)",
        file=sys.stderr,
    )
    if hits:
        print("remove the secret, rotate it (`make env` regenerates .env), then rescan",
              file=sys.stderr)  # fmt: skip
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
