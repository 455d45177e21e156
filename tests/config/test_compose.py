"""docker-compose.yml and platform/ describe a production that can start.

There is no Docker engine where the tests run, so these tests check what compose and the image
would run against the code itself: every command names something that exists (management
command, ASGI application, Celery app and sub-command, with options their parsers accept), every
file mounted or copied is there, every variable is one the code reads or a documented
compose-only one, and the environment compose hands to the app passes production's own checks.
"""

import ast
import base64
import functools
import http.server
import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from daphne.cli import CommandLineInterface
from django.core.management import get_commands, load_command_class
from django.test import Client, override_settings

from tests.config.test_env_documented import ROOT, code_env_reads, env_example_entries

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "platform" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CADDYFILE = ROOT / "platform" / "Caddyfile"
TURNSERVER_CONF = ROOT / "platform" / "turnserver.conf"
PRODUCTION_SETTINGS = ROOT / "config" / "settings" / "production.py"

EXPECTED_SERVICES = {"postgres", "redis", "migrate", "web", "worker", "beat", "coturn", "proxy"}
# The caddy:2 image starts `caddy run --config /etc/caddy/Caddyfile`.
CADDY_IMAGE_CONFIG = "/etc/caddy/Caddyfile"


# --- Compose interpolation (the subset of the Compose specification this file uses) ---------


class MissingVariableError(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt},
    ${VAR+alt}, nested operands, $VAR and $$ (a literal dollar), as `docker compose` does."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
        elif text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            end = _closing_brace(text, i + 1)
            out.append(_expand(text[i + 2 : end], env))
            i = end + 1
        elif match := _VAR_NAME.match(text, i + 1):
            out.append(env.get(match.group(0), ""))
            i = match.end()
        else:
            out.append("$")
            i += 1
    return "".join(out)


def _closing_brace(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unclosed ${{ in {text!r}")


def _expand(body: str, env: Mapping[str, str]) -> str:
    match = _VAR_NAME.match(body)
    if not match:
        raise ValueError(f"bad substitution ${{{body}}}")
    name, rest = match.group(0), body[match.end() :]
    value = env.get(name)
    if not rest:
        return value or ""
    for operator in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(operator):
            operand = rest[len(operator) :]
            break
    else:
        raise ValueError(f"bad substitution ${{{body}}}")
    unset = value is None or (operator.startswith(":") and value == "")
    if operator in (":-", "-"):
        return interpolate(operand, env) if unset else str(value)
    if operator in (":?", "?"):
        if unset:
            raise MissingVariableError(name, interpolate(operand, env))
        return str(value)
    return "" if unset else interpolate(operand, env)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


# --- Reading the files ----------------------------------------------------------------------


def compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(compose_text())


@functools.cache
def _filled_env() -> tuple[tuple[str, str], ...]:
    """What an operator's .env holds: .env.example with every uncommented line filled in."""
    filled = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "TURN_SECRET": secrets.token_hex(16),
        "SITE_DOMAIN": "passage.example.org",
        "TURN_EXTERNAL_IP": "198.51.100.7",
        "EMAIL_URL": "smtp+tls://mailer:password@smtp.example.org:587",
        "SMS_GATEWAY_URL": "https://sms.example.org/send",
    }
    return tuple(
        (name, entry.value or filled.get(name, "filled-in"))
        for name, entry in env_example_entries().items()
        if not entry.commented_out
    )


def production_env() -> dict[str, str]:
    return dict(_filled_env())


def compose(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    return interpolate_tree(raw_compose(), production_env() if env is None else env)


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def app_services() -> dict[str, dict[str, Any]]:
    """The services that run the image built from platform/Dockerfile."""
    return {
        name: service
        for name, service in services().items()
        if isinstance(service.get("build"), dict)
        and service["build"].get("dockerfile") == "platform/Dockerfile"
    }


def as_argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


_SHELL_OPERATORS = {">", ">>", "<", "|", "||", "&&", ";", "2>&1", "&"}


def until_shell_operator(argv: list[str]) -> list[str]:
    for index, token in enumerate(argv):
        if token in _SHELL_OPERATORS or token.startswith((">", "2>")):
            return argv[:index]
    return argv


def healthcheck_argv(test: str | list[str]) -> list[str] | None:
    if isinstance(test, str):
        return until_shell_operator(shlex.split(test))
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return until_shell_operator(shlex.split(test[1]))
    if test[0] == "CMD":
        return [str(part) for part in test[1:]]
    return [str(part) for part in test]


def dockerfile_instructions() -> list[tuple[str, str]]:
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue  # comments, also those between continued lines
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, arguments = pending.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_argv(arguments: str) -> list[str]:
    """Exec form (a JSON array) or shell form of CMD / ENTRYPOINT / HEALTHCHECK CMD."""
    if arguments.startswith("["):
        return [str(part) for part in json.loads(arguments)]
    return shlex.split(arguments)


def dockerfile(keyword: str) -> list[str]:
    return [arguments for key, arguments in dockerfile_instructions() if key == keyword]


def dockerfile_healthcheck_argv() -> list[str]:
    (healthcheck,) = dockerfile("HEALTHCHECK")
    _, _, command = healthcheck.partition(" CMD ")
    return dockerfile_argv(command.strip())


def dockerfile_run_commands() -> Iterator[list[str]]:
    for arguments in dockerfile("RUN"):
        for segment in arguments.split("&&"):
            argv = shlex.split(segment)
            if argv and argv[0] != "export":
                yield argv


def dockerfile_build_env() -> dict[str, str]:
    """The throwaway values the build exports for manage.py."""
    values: dict[str, str] = {}
    for arguments in dockerfile("RUN"):
        for segment in arguments.split("&&"):
            argv = shlex.split(segment)
            if argv and argv[0] == "export":
                values.update(part.split("=", 1) for part in argv[1:])
    return values


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex)


def is_dockerignored(relative_path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a matched folder excludes its contents."""
    parts = Path(relative_path).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in dockerignore_patterns():
        negated = pattern.startswith("!")
        regex = _ignore_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


# --- What a command runs --------------------------------------------------------------------


def check_manage_py(argv: list[str]) -> str:
    name, options = argv[2], argv[3:]
    commands = get_commands()
    assert name in commands, f"`manage.py {name}` is not a management command"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    parser.parse_args(options)  # CommandError on an unknown option
    return f"manage.py {name}"


def check_daphne(argv: list[str]) -> str:
    arguments = CommandLineInterface().parser.parse_args(argv[1:])  # SystemExit on a bad option
    module_name, _, attribute = arguments.application.partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute)), f"{arguments.application} is not an ASGI app"
    return f"daphne {arguments.application}"


def check_celery(argv: list[str]) -> str:
    arguments = argv[1:]
    if arguments[0] in ("-A", "--app"):
        app_name, arguments = arguments[1], arguments[2:]
    elif arguments[0].startswith("--app="):
        app_name, arguments = arguments[0].split("=", 1)[1], arguments[1:]
    else:
        raise AssertionError(f"celery without -A: {argv}")
    app = find_app(app_name)
    parent = click.Context(
        celery_cli, info_name="celery", obj=CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    )
    subcommand = celery_cli.get_command(parent, arguments[0])
    assert subcommand is not None, f"Celery has no `{arguments[0]}` command"
    subcommand.make_context(arguments[0], list(arguments[1:]), parent=parent)  # rejects bad options
    return f"celery {arguments[0]}"


def check_python_c(argv: list[str]) -> str:
    compile(argv[2], "<python -c>", "exec")
    return "python -c"


def check_argv(argv: list[str]) -> str | None:
    """What the command runs, once checked against the code; None if it is not ours."""
    if not argv:
        return None
    program = Path(argv[0]).name
    if program.startswith("python") and argv[1:2] == ["manage.py"]:
        return check_manage_py(argv)
    if program.startswith("python") and argv[1:2] == ["-c"]:
        return check_python_c(argv)
    if program == "daphne":
        return check_daphne(argv)
    if program == "celery":
        return check_celery(argv)
    return None


def service_commands() -> list[tuple[str, list[str]]]:
    found = []
    for name, service in services().items():
        for key in ("entrypoint", "command"):
            if service.get(key):
                found.append((f"{name} {key}", as_argv(service[key])))
        test = (service.get("healthcheck") or {}).get("test")
        if test and (argv := healthcheck_argv(test)):
            found.append((f"{name} healthcheck", argv))
    return found


# --- Services -------------------------------------------------------------------------------


def test_compose_defines_every_service_of_the_production_topology() -> None:
    assert set(services()) >= EXPECTED_SERVICES


@pytest.mark.parametrize(("where", "argv"), service_commands(), ids=[w for w, _ in service_commands()])
def test_compose_command_names_only_things_that_exist(where: str, argv: list[str]) -> None:
    check_argv(argv)


def test_app_services_run_what_their_role_needs() -> None:
    ran = {name: check_argv(as_argv(service["command"])) for name, service in app_services().items()}

    assert ran["migrate"] == "manage.py migrate"
    assert ran["web"] == "daphne config.asgi:application"
    assert ran["worker"] == "celery worker"
    assert ran["beat"] == "celery beat"


def test_celery_dash_a_config_finds_the_project_celery_app() -> None:
    config = importlib.import_module("config")

    assert find_app("config") is config.celery_app
    assert config.celery_app.main == "passage"


def test_exactly_one_service_runs_celery_beat_and_it_is_not_scaled() -> None:
    def runs_beat(argv: list[str]) -> bool:
        celery_args = argv[1:] if argv and Path(argv[0]).name == "celery" else []
        return "beat" in celery_args or "-B" in celery_args or "--beat" in celery_args

    beats = [name for name, s in services().items() if s.get("command") and runs_beat(as_argv(s["command"]))]

    assert beats == ["beat"]
    assert (services()["beat"].get("deploy") or {}).get("replicas", 1) in (1, "1")
    assert "scale" not in services()["beat"]


def test_web_replicas_default_to_two_and_follow_web_replicas() -> None:
    assert str(services()["web"]["deploy"]["replicas"]) == "2"
    env = {**production_env(), "WEB_REPLICAS": "5"}

    assert str(compose(env)["services"]["web"]["deploy"]["replicas"]) == "5"


def test_every_app_service_runs_with_production_settings_and_the_env_file() -> None:
    assert set(app_services()) >= {"migrate", "web", "worker", "beat"}
    for name, service in app_services().items():
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        env_file = service["env_file"]
        assert ".env" in ([env_file] if isinstance(env_file, str) else env_file), name


def test_app_services_wait_for_migrations_to_succeed() -> None:
    assert services()["migrate"]["restart"] == "no"  # a restarting one-shot would migrate in a loop
    assert services()["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends_on = services()[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


def test_daphne_port_is_not_published_so_only_the_proxy_reaches_it() -> None:
    # --proxy-headers trusts X-Forwarded-For: only Caddy may talk to daphne.
    assert "--proxy-headers" in as_argv(services()["web"]["command"])
    assert not services()["web"].get("ports")


# --- Environment variables ------------------------------------------------------------------


def test_every_variable_given_to_the_app_is_read_by_the_code_or_compose_only() -> None:
    reads = set(code_env_reads())
    compose_only = {name for name, entry in env_example_entries().items() if entry.compose_only}
    unknown = {
        f"{service_name}: {variable}"
        for service_name, service in app_services().items()
        for variable in service["environment"]
        if variable not in reads and variable not in compose_only
    }

    assert not unknown, f"set for the app but read by nothing: {sorted(unknown)}"


def test_every_substituted_variable_is_read_by_the_code_or_documented_compose_only() -> None:
    substituted = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", compose_text().replace("$$", "")))
    reads = set(code_env_reads())
    documented = env_example_entries()
    unknown = sorted(
        name
        for name in substituted
        if name not in documented or (name not in reads and not documented[name].compose_only)
    )

    assert substituted, "docker-compose.yml substitutes no variable at all"
    assert not unknown, f"substituted but neither read by the code nor documented compose-only: {unknown}"


def required_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", compose_text()))


def test_compose_requires_every_secret() -> None:
    assert required_variables() >= {
        "POSTGRES_PASSWORD",
        "DJANGO_SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "TURN_SECRET",
        "SITE_DOMAIN",
    }


@pytest.mark.parametrize("variable", sorted(required_variables()))
def test_compose_refuses_to_start_without_a_required_variable(variable: str) -> None:
    env = {name: value for name, value in production_env().items() if name != variable}

    with pytest.raises(MissingVariableError) as refused:
        compose(env)
    assert refused.value.name == variable


def test_env_example_leaves_every_required_variable_for_the_operator_to_fill_in() -> None:
    entries = env_example_entries()
    commented_out = sorted(n for n in required_variables() if n not in entries or entries[n].commented_out)

    assert not commented_out, f"required by compose but missing or commented out: {commented_out}"
    assert all(entries[name].value == "" for name in required_variables()), "a secret is pre-filled"


def production_required_settings() -> set[str]:
    return set(re.findall(r"_required\(\s*[\"']([A-Z0-9_]+)", PRODUCTION_SETTINGS.read_text()))


def test_app_services_get_every_variable_production_settings_require() -> None:
    required = production_required_settings()

    assert required >= {"DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS"}
    for name, service in app_services().items():
        missing = sorted(v for v in required if not service["environment"].get(v))
        assert not missing, f"{name} lacks {missing}"


def test_allowed_hosts_and_site_url_follow_site_domain() -> None:
    environment = services()["web"]["environment"]

    assert environment["ALLOWED_HOSTS"] == "passage.example.org"
    assert environment["SITE_URL"] == "https://passage.example.org"
    assert environment["TURN_URLS"].split(",") == [
        "turn:passage.example.org:3478?transport=udp",
        "turn:passage.example.org:3478?transport=tcp",
    ]


def test_app_environment_from_compose_passes_production_deploy_checks(tmp_path: Path) -> None:
    environment = {key: str(value) for key, value in services()["web"]["environment"].items()}
    environment.update(PATH=os.environ["PATH"], HOME=str(tmp_path), PASSAGE_VAR_DIR=str(tmp_path))

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


# --- Files the services mount or build from -------------------------------------------------


def bind_mounts(service: dict[str, Any]) -> list[tuple[Path, str]]:
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                mounts.append((ROOT / volume["source"], volume["target"]))
        else:
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                mounts.append((ROOT / source, target))
    return mounts


def test_every_bind_mounted_file_exists_in_the_repository() -> None:
    mounts = [(name, source) for name, s in services().items() for source, _ in bind_mounts(s)]

    assert mounts, "no bind mount at all"
    for name, source in mounts:
        assert source.exists(), f"{name} mounts {source}, which does not exist"


def test_every_platform_path_named_in_compose_exists() -> None:
    paths = re.findall(r"(?<![\w/])(?:\./)?(platform/[\w./-]*\w)", compose_text())

    assert paths
    for path in paths:
        assert (ROOT / path).exists(), path


def test_every_build_context_and_dockerfile_exists() -> None:
    builds = [s["build"] for s in services().values() if s.get("build")]

    assert builds
    for build in builds:
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        assert context.is_dir()
        dockerfile_path = context / (
            build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        )
        assert dockerfile_path.is_file()


def test_coturn_reads_the_config_compose_mounts_from_platform() -> None:
    coturn = services()["coturn"]
    argv = as_argv(coturn["command"])
    config_path = argv[argv.index("-c") + 1]
    mounts = {target: source for source, target in bind_mounts(coturn)}

    assert mounts[config_path] == ROOT / "platform" / "turnserver.conf"


def test_coturn_gets_the_same_secret_as_the_app_and_the_site_domain_as_realm() -> None:
    argv = as_argv(services()["coturn"]["command"])
    env = production_env()

    assert f"--static-auth-secret={env['TURN_SECRET']}" in argv
    assert services()["web"]["environment"]["TURN_SECRET"] == env["TURN_SECRET"]
    assert f"--realm={env['SITE_DOMAIN']}" in argv


def test_caddy_reads_the_caddyfile_compose_mounts_from_platform() -> None:
    mounts = {target: source for source, target in bind_mounts(services()["proxy"])}

    assert mounts[CADDY_IMAGE_CONFIG] == CADDYFILE


def test_caddy_proxies_to_the_web_service_on_the_port_daphne_binds() -> None:
    match = re.search(r"^\s*dynamic\s+a\s+(\S+)\s+(\d+)", CADDYFILE.read_text(), flags=re.MULTILINE)
    assert match, "the Caddyfile names no upstream"
    daphne = CommandLineInterface().parser.parse_args(as_argv(services()["web"]["command"])[1:])

    assert match.group(1) == "web" and "web" in services()
    assert int(match.group(2)) == daphne.port == 8000


def test_caddyfile_placeholders_are_given_to_the_proxy() -> None:
    placeholders = set(re.findall(r"\{\$([A-Za-z_][A-Za-z0-9_]*)", CADDYFILE.read_text()))
    environment = services()["proxy"].get("environment") or {}

    assert "SITE_DOMAIN" in placeholders
    assert placeholders <= {name for name, value in environment.items() if value}


# --- coturn ---------------------------------------------------------------------------------


def turnserver_options() -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for raw in TURNSERVER_CONF.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            options.setdefault(key.strip(), []).append(value.strip())
    return options


def published(service: dict[str, Any]) -> set[tuple[str, str]]:
    """(container port or range, protocol) pairs."""
    result = set()
    for port in service.get("ports", []):
        spec, _, protocol = str(port).partition("/")
        result.add((spec.split(":")[-1], protocol or "tcp"))
    return result


def test_compose_publishes_the_turn_ports_and_relay_range_coturn_uses() -> None:
    options = turnserver_options()
    ports = published(services()["coturn"])
    listening = options["listening-port"][0]
    relay = f"{options['min-port'][0]}-{options['max-port'][0]}"

    assert (listening, "udp") in ports
    assert (listening, "tcp") in ports
    assert (relay, "udp") in ports


def test_coturn_config_uses_auth_secret_and_never_holds_it() -> None:
    options = turnserver_options()

    assert "use-auth-secret" in options
    assert "static-auth-secret" not in options
    assert "realm" not in options  # from SITE_DOMAIN on the command line
    assert {"fingerprint", "no-cli", "no-multicast-peers", "stale-nonce"} <= set(options)


def test_coturn_never_relays_to_loopback_or_private_networks() -> None:
    options = turnserver_options()
    denied = set(options.get("denied-peer-ip", []))

    assert "allow-loopback-peers" not in options
    assert "allowed-peer-ip" not in options
    assert {
        "10.0.0.0-10.255.255.255",
        "127.0.0.0-127.255.255.255",
        "169.254.0.0-169.254.255.255",
        "172.16.0.0-172.31.255.255",
        "192.168.0.0-192.168.255.255",
        "100.64.0.0-100.127.255.255",
        "::1",
        "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    } <= denied


def test_coturn_quotas_are_set() -> None:
    options = turnserver_options()

    for key in ("total-quota", "user-quota", "bps-capacity", "max-bps"):
        assert int(options[key][0]) > 0, key


# --- The image ------------------------------------------------------------------------------


def test_image_starts_daphne_serving_the_asgi_application() -> None:
    (cmd,) = dockerfile("CMD")

    assert check_argv(dockerfile_argv(cmd)) == "daphne config.asgi:application"
    assert not dockerfile("ENTRYPOINT")


def test_image_build_runs_existing_management_commands() -> None:
    ran = [check_argv(argv) for argv in dockerfile_run_commands()]

    assert "manage.py compile_translations" in ran
    assert "manage.py collectstatic" in ran


def test_image_build_only_values_satisfy_production_settings(tmp_path: Path) -> None:
    build_env = dockerfile_build_env()
    assert set(build_env) >= production_required_settings()
    (settings_module,) = re.findall(r"DJANGO_SETTINGS_MODULE=(\S+)", " ".join(dockerfile("ENV")))

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; settings.STATIC_ROOT",
        ],
        cwd=ROOT,
        env={
            **build_env,
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PASSAGE_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert settings_module == "config.settings.production"
    assert result.returncode == 0, result.stderr


def test_image_copies_only_files_that_exist_and_are_not_dockerignored() -> None:
    sources = []
    for arguments in dockerfile("COPY"):
        parts = dockerfile_argv(arguments) if arguments.startswith("[") else arguments.split()
        if any(p.startswith("--from=") for p in parts):
            continue  # from an earlier build stage, not from the build context
        parts = [p for p in parts if not p.startswith("--")]
        sources.extend(parts[:-1])

    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source == "." or not is_dockerignored(source), f"{source} is copied but dockerignored"


def test_build_context_keeps_what_the_build_needs_and_drops_secrets_and_local_state() -> None:
    needed = [
        "manage.py",
        "requirements.txt",
        "config/settings/production.py",
        "locale/de/LC_MESSAGES/django.po",
    ]
    dropped = [
        ".env",
        ".venv/bin/python",
        "var/db.sqlite3",
        "locale/de/LC_MESSAGES/django.mo",
        "node_modules/x",
    ]

    assert [path for path in needed if is_dockerignored(path)] == []
    assert [path for path in dropped if not is_dockerignored(path)] == []
    assert not is_dockerignored(".env.example")


def test_image_runs_as_an_unprivileged_user() -> None:
    users = dockerfile("USER")

    assert users
    assert users[-1].split(":")[0] not in ("root", "0")


def test_image_collects_static_files_into_the_var_dir_settings_read() -> None:
    env_lines = " ".join(dockerfile("ENV"))
    (var_dir,) = re.findall(r"PASSAGE_VAR_DIR=(\S+)", env_lines)
    base = (ROOT / "config" / "settings" / "base.py").read_text()

    assert 'STATIC_ROOT = VAR_DIR / "static"' in base
    assert var_dir == "/app/var"
    assert f"{var_dir}/celery/beat-schedule" in as_argv(services()["beat"]["command"])


def test_image_healthcheck_asks_this_container_for_healthz_on_the_port_daphne_binds() -> None:
    argv = dockerfile_healthcheck_argv()
    (cmd,) = dockerfile("CMD")
    daphne = CommandLineInterface().parser.parse_args(dockerfile_argv(cmd)[1:])

    assert check_argv(argv) == "python -c"
    assert f"http://127.0.0.1:{daphne.port}/healthz" in argv[2]
    assert f"EXPOSE {daphne.port}" in [f"EXPOSE {e}" for e in dockerfile("EXPOSE")]


class _Recorder(http.server.BaseHTTPRequestHandler):
    status = 200
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # the name http.server calls
        type(self).seen.append((self.path, self.headers.get("Host")))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def run_healthcheck(*, status: int, allowed_hosts: str) -> tuple[int, list[tuple[str, str | None]]]:
    """Runs the image's healthcheck against a stand-in server answering `status`."""
    _Recorder.status, _Recorder.seen = status, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code = dockerfile_healthcheck_argv()[2].replace("127.0.0.1:8000", f"127.0.0.1:{server.server_port}")
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={"PATH": os.environ["PATH"], "ALLOWED_HOSTS": allowed_hosts},
            capture_output=True,
            timeout=30,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    return result.returncode, list(_Recorder.seen)


def test_image_healthcheck_sends_the_first_concrete_allowed_host() -> None:
    returncode, seen = run_healthcheck(status=200, allowed_hosts="passage.example.org,other.example.org")

    assert returncode == 0
    assert seen == [("/healthz", "passage.example.org")]

    _, seen = run_healthcheck(status=200, allowed_hosts="*, .example.net")
    assert seen == [("/healthz", "example.net")]


def test_image_healthcheck_fails_when_healthz_reports_a_dependency_down() -> None:
    returncode, seen = run_healthcheck(status=503, allowed_hosts="passage.example.org")

    assert seen == [("/healthz", "passage.example.org")]
    assert returncode != 0


def production_literal(name: str) -> Any:
    tree = ast.parse(PRODUCTION_SETTINGS.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not a literal in production.py")


@pytest.mark.django_db
def test_healthz_answers_plain_http_from_inside_the_container_under_production_redirects() -> None:
    production_security = override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_REDIRECT_EXEMPT=production_literal("SECURE_REDIRECT_EXEMPT"),
        SECURE_PROXY_SSL_HEADER=production_literal("SECURE_PROXY_SSL_HEADER"),
        ALLOWED_HOSTS=["passage.example.org"],
    )
    with production_security:
        client = Client(HTTP_HOST="passage.example.org")
        healthz = client.get("/healthz")
        home = client.get("/")

    assert home.status_code == 301 and home["Location"].startswith("https://")
    assert healthz.status_code == 200, healthz.content
    assert healthz.json()["status"] == "ok"


def test_image_gets_the_npm_packages_the_app_serves_from_the_lock_file() -> None:
    # h5p-standalone (the H5P player) and the certificate fonts are read at run time from
    # node_modules, which .dockerignore keeps out of the context: a build stage installs them.
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "npm ci --ignore-scripts --omit=dev" in text
    assert "COPY --from=npm /npm/node_modules ./node_modules" in text
    assert text.index("COPY --from=npm") < text.index("collectstatic")
