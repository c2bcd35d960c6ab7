"""`cascade`: run the embedded stack, serve one service, migrate, list settings."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from deploy import services
from shared.settings import Settings

DEFAULT_STATE = Path(".cascade")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cascade", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the whole stack on this machine (foreground)")
    up.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)

    serve = commands.add_parser("serve", help="run one service: its API, consumer and outbox relay")
    serve.add_argument("service", choices=list(services.PORTS))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int)

    migrate = commands.add_parser("migrate", help="create the database and apply every migration")
    # No `choices`: argparse checks a `nargs="*"` default against them as one value, and fails.
    migrate.add_argument("service", nargs="*", help=f"some of {', '.join(services.PORTS)} (default: all)")

    commands.add_parser("settings", help="list every environment variable Cascade reads")

    letters = commands.add_parser("dead-letters", help="events that failed for good: list, retry, discard")
    actions = letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every dead letter, one a line")
    listing.add_argument("service", nargs="*", help="default: all")
    retry = actions.add_parser("retry", help="process dead letters again through the inbox")
    retry.add_argument("service", choices=list(services.PORTS))
    retry.add_argument("ids", nargs="*", type=int)
    retry.add_argument("--all", action="store_true", help="every dead letter of the service")
    discard = actions.add_parser("discard", help="delete dead letters (their copy on <topic>.dlq stays)")
    discard.add_argument("service", choices=list(services.PORTS))
    discard.add_argument("ids", nargs="+", type=int)

    scoring = commands.add_parser("scoring", help="scoring tools").add_subparsers(dest="tool", required=True)
    evaluate = scoring.add_parser("evaluate", help="cross-validate the predictive score on a CSV lead export")
    from services.scoring.entrypoints.cli import add_arguments

    add_arguments(evaluate)
    export = scoring.add_parser("export", help="every scored person as a CSV training row for `evaluate`")
    export.add_argument("--out", type=Path, required=True)

    attribution = commands.add_parser("attribution", help="attribution tools").add_subparsers(
        dest="tool", required=True
    )
    attribution.add_parser("rebuild", help="recompute every opp's stored attribution (after a model change)")

    args = parser.parse_args(argv)
    named = args.service if args.command in ("migrate", "dead-letters") else []
    if isinstance(named, list) and (unknown := set(named) - set(services.PORTS)):
        parser.error(
            f"unknown service {', '.join(sorted(unknown))}; services are {', '.join(services.PORTS)}"
        )
    if args.command == "up":
        from deploy.stack import run_stack

        run_stack(args.state_dir.resolve())
    elif args.command == "serve":
        serve_service(args.service, args.host, args.port or services.PORTS[args.service])
    elif args.command == "migrate":
        asyncio.run(services.migrate_all(Settings(), args.service or list(services.PORTS)))
    elif args.command == "settings":
        print_settings()
    elif args.command == "dead-letters":
        if args.action == "retry" and not (args.ids or args.all):
            parser.error("retry: name the dead letters' ids, or --all")
        raise SystemExit(asyncio.run(dead_letters(args)))
    elif args.command == "scoring":
        from services.scoring.entrypoints.cli import run, run_export
        from services.scoring.settings import ScoringSettings

        settings = ScoringSettings()
        if args.tool == "evaluate":
            raise SystemExit(run(args, settings))
        raise SystemExit(asyncio.run(_with_units_of_work("scoring", settings, partial(run_export, args))))
    elif args.command == "attribution":
        from services.attribution.entrypoints.cli import run_rebuild
        from services.attribution.settings import AttributionSettings

        raise SystemExit(asyncio.run(_with_units_of_work("attribution", AttributionSettings(), run_rebuild)))


async def _with_units_of_work(name: str, settings: Settings, command: Callable[..., Awaitable[int]]) -> int:
    from shared.runtime import units_of_work

    async with units_of_work(services.definition(name), settings) as uows:
        return await command(settings, uows)


async def dead_letters(args: argparse.Namespace) -> int:
    """0 when every letter named was dealt with, 1 when one failed again or was not there."""
    from shared.db import create_engine, session_factory
    from shared.dead_letters import DONE, DeadLetters
    from shared.runtime import processors

    status = 0
    for name in (args.service or list(services.PORTS)) if args.action == "list" else [args.service]:
        definition = services.definition(name)
        settings = definition.settings()
        engine = create_engine(settings, name)
        sessions = session_factory(engine)
        uow = partial(definition.uow, sessions, source=name, topic=settings.topic)
        letters = DeadLetters(sessions, processors(definition, settings, uow))
        try:
            if args.action == "list":
                for letter in await letters.all():
                    print(letter.line(name))
            elif args.action == "retry":
                outcomes = await letters.retry(None if args.all else args.ids)
                for letter_id in args.ids:
                    outcomes.setdefault(letter_id, "not found")
                for letter_id, outcome in sorted(outcomes.items()):
                    print(f"{name} {letter_id} {outcome}")
                    status |= outcome not in DONE
            else:
                discarded = await letters.discard(args.ids)
                print(f"{name}: discarded {discarded} of {len(args.ids)}")
                status |= discarded != len(args.ids)
        finally:
            await engine.dispose()
    return status


def serve_service(name: str, host: str, port: int) -> None:
    import uvicorn

    from shared.app import create_app

    definition = services.definition(name)
    try:
        settings = definition.settings()
    except ValidationError as invalid:  # a configuration error names what is wrong, without a traceback
        errors = invalid.errors()
        wrong = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in errors)
        raise SystemExit(f"cascade serve {name}: invalid settings: {wrong}") from None
    app = create_app(definition, settings)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def print_settings() -> None:
    seen: set[str] = set()
    for name in ("shared", *services.PORTS):
        cls = Settings if name == "shared" else services.definition(name).settings
        for field_name, field in cls.model_fields.items():
            env = field_name.upper()
            if env in seen:
                continue
            seen.add(env)
            default = field.get_default(call_default_factory=True)
            print(f"{env:40} {name:12} default={default!r}\n{'':40} {field.description or ''}")


if __name__ == "__main__":
    main()
