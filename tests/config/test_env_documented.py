"""Every environment variable the code reads is documented, and nothing documented is stale.

The variables are found by scanning the project's own Python files (not .venv, tests or bench)
for the ways settings read the environment: env("X"), env.bool("X"), env.list("X"), ...,
_required("X"), os.environ["X"], os.environ.get("X"), os.environ.setdefault("X"), os.getenv("X").
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"
COMPOSE_FILE = ROOT / "docker-compose.yml"

# Top-level folders that are not the running platform's code.
_NOT_PROJECT_CODE = {"tests", "bench", "var", "node_modules", "locale", "platform"}

_Q = "[\"']"
_NAME = r"([A-Z][A-Z0-9_]*)"
_READS = [
    re.compile(rf"\benv(?:\.\w+)?\(\s*{_Q}{_NAME}{_Q}"),
    re.compile(rf"\b_required\(\s*{_Q}{_NAME}{_Q}"),
    re.compile(rf"\bos\.environ\[\s*{_Q}{_NAME}{_Q}\s*\]"),
    re.compile(rf"\bos\.environ\.(?:get|setdefault|pop)\(\s*{_Q}{_NAME}{_Q}"),
    re.compile(rf"\bos\.getenv\(\s*{_Q}{_NAME}{_Q}"),
]
_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class EnvEntry:
    name: str
    description: str  # the comment line right above the variable
    value: str
    commented_out: bool  # optional: the default applies unless the operator uncomments it
    compose_only: bool  # in the "Compose only" section: read by docker-compose.yml only


def project_python_files() -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d != "__pycache__" and not (here == ROOT and d in _NOT_PROJECT_CODE)
        )
        files.extend(here / f for f in sorted(filenames) if f.endswith(".py"))
    return files


def code_env_reads() -> dict[str, list[str]]:
    """Variable name -> the files that read it."""
    reads: dict[str, list[str]] = {}
    for path in project_python_files():
        text = path.read_text(encoding="utf-8")
        for pattern in _READS:
            for name in pattern.findall(text):
                reads.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return reads


def env_example_entries() -> dict[str, EnvEntry]:
    entries: dict[str, EnvEntry] = {}
    section = ""
    previous = ""
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("# ---"):
            section = line.lower()
        match = _ASSIGNMENT.match(line)
        if match:
            is_description = previous.startswith("#") and not _ASSIGNMENT.match(previous)
            entries[match.group(2)] = EnvEntry(
                name=match.group(2),
                description=previous.lstrip("# ").strip() if is_description else "",
                value=match.group(3).strip(),
                commented_out=bool(match.group(1)),
                compose_only="compose only" in section,
            )
        previous = line
    return entries


def readme_configuration_variables() -> set[str]:
    """Variables named in the first column of the table under README's `## Configuration`."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Configuration\b.*?(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Configuration' section"
    names = set()
    for line in match.group(0).splitlines():
        if line.startswith("|"):
            first_cell = line.strip("|").split("|")[0]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def test_scanner_finds_the_variables_production_settings_require() -> None:
    reads = code_env_reads()

    assert {"DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL"} <= set(reads)
    assert "config/settings/production.py" in reads["FIELD_ENCRYPTION_KEYS"]


def test_scanner_ignores_tests_and_the_virtualenv() -> None:
    scanned = {path.relative_to(ROOT).parts[0] for path in project_python_files()}

    assert "config" in scanned
    assert not scanned & {"tests", "bench", ".venv", "node_modules"}


def test_every_variable_the_code_reads_is_in_env_example() -> None:
    missing = sorted(set(code_env_reads()) - set(env_example_entries()))

    assert not missing, f"read by the code but not in .env.example: {missing}"


def test_every_variable_the_code_reads_is_in_the_readme_configuration_table() -> None:
    missing = sorted(set(code_env_reads()) - readme_configuration_variables())

    assert not missing, f"read by the code but not in README.md's configuration table: {missing}"


def test_every_variable_in_env_example_is_read_by_the_code_or_marked_compose_only() -> None:
    reads = code_env_reads()
    stale = sorted(
        name for name, entry in env_example_entries().items() if name not in reads and not entry.compose_only
    )

    assert not stale, f"in .env.example but read by no code (nor marked compose-only): {stale}"


def test_compose_only_variables_are_really_used_by_docker_compose() -> None:
    compose = COMPOSE_FILE.read_text(encoding="utf-8")
    unused = sorted(
        name
        for name, entry in env_example_entries().items()
        if entry.compose_only and not re.search(rf"\$\{{{name}\b", compose)
    )

    assert not unused, f"marked compose-only in .env.example but unused in docker-compose.yml: {unused}"


def test_compose_only_variables_are_not_read_by_the_code() -> None:
    reads = code_env_reads()
    misfiled = sorted(name for name, e in env_example_entries().items() if e.compose_only and name in reads)

    assert not misfiled, f"in the compose-only section but read by the code: {misfiled}"


def test_readme_configuration_table_lists_the_same_variables_as_env_example() -> None:
    documented = set(env_example_entries())
    in_readme = readme_configuration_variables()

    assert sorted(documented - in_readme) == [], "in .env.example, missing from README.md"
    assert sorted(in_readme - documented) == [], "in README.md, missing from .env.example"


def test_every_variable_in_env_example_says_what_it_does_its_default_and_production_need() -> None:
    incomplete = []
    for name, entry in env_example_entries().items():
        says_default = "Default:" in entry.description or not entry.commented_out
        if len(entry.description) < 20 or "Production:" not in entry.description or not says_default:
            incomplete.append(name)

    assert not incomplete, f"comment above these lacks what/default/production: {incomplete}"
