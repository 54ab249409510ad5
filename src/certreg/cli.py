"""``certreg``: the one entry point (DESIGN.md section 6)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from certreg_contracts.types import SERVICES
from certreg_runtime.bus import Bus, create_bus
from certreg_runtime.settings import Settings, UnsafeSettings, load_settings
from certreg_runtime.telemetry import setup_logging, setup_tracing

# Each subcommand: its parsed arguments and the settings in, the exit status out. The
# platform's modules are imported inside the commands that need them, so that
# ``certreg dlq`` does not load every service.
Command = Callable[[argparse.Namespace, Settings], int]
T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command: Command = args.run
    try:
        settings = load_settings()
    except ValidationError as invalid:
        print(f"certreg: invalid configuration:\n{_describe(invalid)}", file=sys.stderr)
        return 2
    try:
        return command(args, settings)
    except UnsafeSettings as refused:
        print(f"certreg: {refused}", file=sys.stderr)
        return 2


def _describe(invalid: ValidationError) -> str:
    """One line per error, named by its variable; the values are not repeated (secrets)."""
    lines = []
    for error in invalid.errors():
        variable = "CERTREG_" + "_".join(str(part) for part in error["loc"]).upper() + ": " if error["loc"] else ""
        lines.append(variable + error["msg"].removeprefix("Value error, "))
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="certreg", description="certreg: RNCP and RS registration platform")
    sub = root.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the platform (embedded by default)")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--distributed", action="store_true", help="each service its own process")
    up.add_argument("--gateways", type=int, default=1, help="with --distributed: gateway processes sharing the port")
    up.set_defaults(run=_up)

    serve = sub.add_parser("serve", help="run one service (what a container runs)")
    serve.add_argument("service", choices=[*SERVICES, "gateway"])
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="gateway only: processes sharing the port (it is stateless; one process proxies at most ~190 req/s)",
    )
    serve.set_defaults(run=_serve)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("service", nargs="?", choices=SERVICES)
    migrate.set_defaults(run=_migrate)

    makemigrations = sub.add_parser("makemigrations", help="(development) autogenerate a migration")
    makemigrations.add_argument("service", choices=SERVICES)
    makemigrations.add_argument("-m", "--message", required=True)
    makemigrations.set_defaults(run=_makemigrations)

    admin = sub.add_parser("admin", help="back-office accounts")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create", help="create an active back-office account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--first-name", default="Administrateur")
    create.add_argument("--last-name", default="SI")
    create.add_argument("--role", action="append", required=True, dest="roles")
    create.set_defaults(run=_admin)
    for name, text in (("disable", "disable an account (offboarding): no token issued to it any more"), ("enable", "enable it again")):
        toggle = admin_sub.add_parser(name, help=text)
        toggle.add_argument("--email", required=True)
        toggle.set_defaults(run=_admin_disable, disable=name == "disable")

    dlq = sub.add_parser("dlq", help="the parking queues")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    dlq_list = dlq_sub.add_parser("list")
    dlq_list.add_argument("--consumer", choices=SERVICES)
    dlq_list.set_defaults(run=_dlq_list)
    dlq_replay = dlq_sub.add_parser("replay")
    dlq_replay.add_argument("--consumer", choices=SERVICES, required=True)
    dlq_replay.add_argument("--event-id", action="append", dest="event_ids")
    dlq_replay.set_defaults(run=_dlq_replay)
    return root


def _up(args: argparse.Namespace, settings: Settings) -> int:
    if args.distributed:
        return _up_distributed(args, settings)
    import uvicorn

    from certreg.platform import embedded_app

    setup_logging("certreg", settings.log_level)
    setup_tracing("certreg")
    app, _ = embedded_app(settings)
    base = f"http://{args.host}:{args.port}"
    print(
        f"certreg (embedded) on {base}\n"
        f"  portail public : {base}/\n"
        f"  back office    : {base}/back-office/\n"
        f"  données        : {settings.data_dir.resolve()}\n"
        f"  courriels      : {(settings.data_dir / 'mail').resolve()} (et dans le back office)\n"
        f"  premier administrateur SI : uv run certreg admin create --email admin@example.org --password '…' --role si_admin",
        flush=True,
    )
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1; the
    # gateway decides whom to believe (CERTREG_TRUSTED_PROXIES, certreg_runtime.clients).
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False, proxy_headers=False)
    return 0


def _up_distributed(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.amqp_url:
        print("certreg up --distributed needs CERTREG_AMQP_URL (RabbitMQ) so that the services can talk.", file=sys.stderr)
        return 2
    env = dict(os.environ)
    ports = {name: args.port + 1 + i for i, name in enumerate(SERVICES)}
    for name, port in ports.items():
        env[f"CERTREG_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    migrate(settings)
    # The services believe the X-Forwarded-For of the gateway (on this machine) only.
    service_env = {**env, "CERTREG_TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}
    procs = [
        subprocess.Popen([sys.executable, "-m", "certreg", "serve", name, "--host", "127.0.0.1", "--port", str(port)], env=service_env)
        for name, port in ports.items()
    ]
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "certreg",
                "serve",
                "gateway",
                "--host",
                args.host,
                "--port",
                str(args.port),
                "--workers",
                str(args.gateways),
            ],
            env=env,
        )
    )
    print(f"certreg (distributed) on http://{args.host}:{args.port}", flush=True)

    def stop(*_: object) -> None:
        for proc in procs:
            proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from certreg.platform import service_app

    if args.workers < 1 or (args.workers > 1 and args.service != "gateway"):
        print("certreg serve: --workers is for the gateway only (a service scales by replicas)", file=sys.stderr)
        return 2
    setup_logging(args.service, settings.log_level)
    if args.workers > 1:
        # Each worker process builds its own gateway from the environment.
        uvicorn.run(
            "certreg.platform:gateway_from_environment",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            proxy_headers=False,
        )
        return 0
    setup_tracing(args.service)
    uvicorn.run(service_app(settings, args.service), host=args.host, port=args.port, log_config=None, access_log=False, proxy_headers=False)
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate(settings, args.service)
    return 0


def migrate(settings: Settings, service: str | None = None) -> None:
    """Bring one service's database (or every one) up to date."""
    from certreg.platform import definitions
    from certreg_runtime.db import create_db_engine
    from certreg_runtime.migrations import upgrade

    for name, definition in definitions().items():
        if service and name != service:
            continue
        engine = create_db_engine(settings.database_url_for(name))
        try:
            upgrade(definition, engine)
            print(f"{name}: up to date")
        finally:
            engine.dispose()


def _makemigrations(args: argparse.Namespace, settings: Settings) -> int:
    from certreg.platform import definitions
    from certreg_runtime.migrations import revision

    revision(definitions()[args.service], settings.database_url_for(args.service), args.message)
    return 0


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from certreg_runtime.errors import DomainError
    from identity.app.commands import create_active_staff
    from identity.service import standalone

    with standalone(settings) as deps:
        try:
            account_id = create_active_staff(
                deps, email=args.email, password=args.password, first_name=args.first_name, last_name=args.last_name, roles=args.roles
            )
        except DomainError as refused:
            raise SystemExit(str(refused)) from None  # the message for the operator, exit status 1
    print(f"account {account_id} created ({', '.join(args.roles)}), active")
    return 0


def _admin_disable(args: argparse.Namespace, settings: Settings) -> int:
    from certreg_runtime.errors import DomainError
    from identity.app.commands import set_disabled_by_email
    from identity.service import standalone

    with standalone(settings) as deps:
        try:
            account = set_disabled_by_email(deps, args.email, args.disable)
        except DomainError as refused:
            raise SystemExit(str(refused)) from None
    print(f"account {account.account_id} ({account.email}): {account.status}")
    return 0


def _dlq_list(args: argparse.Namespace, settings: Settings) -> int:
    parked = asyncio.run(_with_bus(settings, lambda bus: bus.parked(args.consumer)))
    for p in parked:
        print(f"{p.consumer}\t{p.event_id}\t{p.type}\t{p.error}")
    print(f"{len(parked)} parked message(s)")
    return 0


def _dlq_replay(args: argparse.Namespace, settings: Settings) -> int:
    event_ids = set(args.event_ids) if args.event_ids else None
    count = asyncio.run(_with_bus(settings, lambda bus: bus.replay(args.consumer, event_ids)))
    print(f"{count} message(s) replayed to {args.consumer}")
    return 0


async def _with_bus(settings: Settings, use: Callable[[Bus], Awaitable[T]]) -> T:
    """The platform's bus, not started (nothing consumed), knowing every consumer's queues."""
    bus = create_bus(settings)
    for name in SERVICES:
        bus.subscribe(name, [], _never)
    try:
        return await use(bus)
    finally:
        await bus.close()


async def _never(_: object) -> None:  # pragma: no cover - a subscription only listed, never started
    raise AssertionError


if __name__ == "__main__":
    sys.exit(main())
