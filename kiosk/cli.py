"""The `kiosk` command. Exit 0 on success, 2 on bad usage, 1 on failure with a one-line reason."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from . import __version__
from .config import (ConfigError, backend_limits, citizen_detail_needs, citizen_key_file, config_path, kiosk_settings, load_config,
                     printer_settings, scanner_settings, upstream_settings, working_calendar)
from .domain.calendar import now, today
from .domain.text import showable


DEMO_PIN = "1234"
"""The demo's staff PIN, printed when it starts: never a real kiosk's."""
SAMPLE_SITES = ("two-level", "district-2019")
"""kiosk.backend.sample.SITES, the default first; written out so that --help needs no backend import."""


class Failure(Exception):
    """A command that could not do its job; the message is the one-line reason."""


def _print(text: str) -> None:
    # Text stored before it was checked at the edge may hold half a character: printed as "?";
    # a terminal escape or a bidi override sent by a kiosk must not act on staff's console.
    print(showable(text.encode("utf-8", "replace").decode("utf-8")), flush=True)


def _backend_db(args: argparse.Namespace, config) -> str:
    """--db, else [backend] db: an SQLite file's path, or a PostgreSQL URL (postgresql://...)."""
    return args.db or config.get("backend", "db", fallback="kiosk-backend.sqlite3")


def _open_store(path: str | Path, config=None, open_keys: bool = True):
    """The backend's database, with its citizen key file ([backend] citizen_key_file, else beside it);
    `open_keys` False for a command that never reads nor makes an ID-number hash."""
    from .backend.store import BackendStore, StoreError

    try:
        return BackendStore(path, citizen_key_file(config) if config else None, open_keys=open_keys)
    except StoreError as error:
        raise Failure(str(error)) from None


def _admin_token(args: argparse.Namespace, config) -> str:
    path = getattr(args, "admin_token_file", None) or config.get("backend", "admin_token_file", fallback="")
    if not path:
        return ""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise Failure(f"cannot read the admin token file {path}: {error}") from None
    if len(token) < 16:
        raise Failure(f"the admin token in {path} is shorter than 16 characters")
    return token


def _backend_speech(config, store):
    """The hall displays' voice ([backend] speech_engine: "espeak-ng", the default, or "piper:VOICE
    FILE") and where its phrases are kept ([backend] speech_cache; empty: beside the database)."""
    from .backend.server import speech_folder
    from .speech import PhraseCache, engine_from_setting

    setting = config.get("backend", "speech_engine", fallback="").strip()
    try:
        engine = engine_from_setting(setting)
    except ValueError as error:
        raise Failure(f"[backend] speech_engine: {error}") from None
    folder = config.get("backend", "speech_cache", fallback="").strip()
    return PhraseCache(Path(folder).expanduser() if folder else speech_folder(store), engine)


def _say_listening(banner: list[str], address: str) -> None:
    for line in banner:
        _print(line)
    _print(f"Kiosk backend listening on {address}")
    _print("Press Ctrl-C to stop.")


def _cannot_listen(host: str, port: int, error: OSError) -> Failure:
    return Failure(f"cannot listen on {host}:{port}: {error.strerror or error}")


def _run_backend(store, make_app, host: str, port: int, banner: list[str]) -> None:
    """`make_app(store)`: the backend's application over its store."""
    from .backend.server import serve

    try:
        asyncio.run(serve(make_app(store), host, port, lambda address: _say_listening(banner, address)))
    except OSError as error:
        raise _cannot_listen(host, port, error) from None
    finally:
        store.close()
    _print("Kiosk backend stopped.")


def _run_workers(workers: int, open_store, make_app, host: str, port: int, banner: list[str]) -> None:
    """`kiosk backend --workers N`: N processes on one port (kiosk/backend/workers.py), each with
    the store `open_store()` opens after the fork."""
    from .backend.server import serve
    from .backend.workers import reserved_port, run_workers, wait_until_served, worker_socket

    try:
        reserved = reserved_port(host, port)
    except OSError as error:
        raise _cannot_listen(host, port, error) from None
    bound = reserved.getsockname()[1]

    def work(number: int) -> int:
        reserved.close()
        sock, store = worker_socket(host, bound), open_store()
        try:
            asyncio.run(serve(make_app(store), host, bound, lambda _address: None, sock=sock))
        finally:
            store.close()
            sock.close()
        return 0

    def started() -> None:
        # Said once a worker answers, as a single process says it once it listens.
        if not wait_until_served(host, bound):
            _print("No worker answered within 60 s; see the messages above.")
        _say_listening(banner, f"http://{host}:{bound} ({workers} worker processes)")

    try:
        run_workers(workers, work, _print, started)
    finally:
        reserved.close()
    _print("Kiosk backend stopped.")


def cmd_backend(args: argparse.Namespace) -> None:
    from .backend.database import shown_url
    from .backend.sample import load_sample_site

    config = load_config(args.config)
    calendar = working_calendar(config)
    db = _backend_db(args, config)
    admin_token = _admin_token(args, config)
    limits = backend_limits(config)
    detail_needs = citizen_detail_needs(config)
    store = _open_store(db, config)
    banner = [f"Database: {shown_url(db)}", f"Citizen key file: {store.key_file} (back it up apart from the database)"]
    if not admin_token:
        banner.append("No admin token: counters, terminal configuration and statistics are closed.")
    if detail_needs != "qr":
        banner.append(f"A citizen's dossiers are listed in full only to a card read by its chip ({detail_needs}); "
                      "to its QR alone, without their codes.")
    if args.sample_data:
        if store.is_empty():
            load_sample_site(store, calendar, today(), site=args.sample_site)
            banner.append(f"Loaded the sample site ({args.sample_site}).")
        else:
            banner.append("The database already holds a catalogue: the sample site was not loaded.")
    host = args.host or config.get("backend", "host", fallback="127.0.0.1")
    port = args.port if args.port is not None else config.getint("backend", "port", fallback=8080)
    trust_forwarded = config.getboolean("backend", "trust_forwarded_headers", fallback=False)
    upstream = upstream_settings(config)
    if upstream:
        pulls = f"every {upstream.catalogue_hours} h" if upstream.catalogue_hours else "never"
        banner.append(f"Upstream: {upstream.adapter_url} (dossiers kept {upstream.keep_minutes} min; "
                      f"catalogue pulled {pulls}).")
    speech = _backend_speech(config, store)
    banner.append(f"Spoken calls: {speech.engine.name}, phrases kept in {speech.folder}.")
    workers = args.workers if args.workers is not None else config.getint("backend", "workers", fallback=1)
    if workers < 1 or workers > 64:
        store.close()
        raise Failure(f"--workers must be 1 to 64, not {workers}")
    from .backend.server import make_app

    def app_over(opened):
        return make_app(opened, calendar, admin_token=admin_token, limits=limits, trust_forwarded=trust_forwarded,
                        upstream=upstream, speech=speech, citizen_detail=detail_needs)

    if workers == 1:
        _run_backend(store, app_over, host, port, banner)
        return
    if not store.postgres:
        banner.append("Several workers on one SQLite file take turns to write: PostgreSQL is the database for them.")
    store.close()  # each worker opens its own, after the fork
    _run_workers(workers, lambda: _open_store(db, config), app_over, host, port, banner)


def backend_client(settings):
    """The kiosk's client of its backend, with the limits of its configuration."""
    from .client.api import BackendClient

    return BackendClient(settings.backend_url, settings.token, ca_file=settings.ca_file,
                         max_answer=settings.max_answer_bytes, max_catalogue=settings.max_catalogue_bytes)


def _run_kiosk(settings, windowed: bool, printer, config, path: Path | None) -> int:
    """The kiosk app against the backend in `settings`, until it is closed: its exit status.
    `config`: the configuration read from `path`, which staff mode edits."""
    from .client.outbox import Outbox
    from .client.pin import StaffPin
    from .client.store import LocalStore
    from .config import card_reader_enabled, id_card_chip, kiosk_preferences

    chip = id_card_chip(config)  # a wrong [card_reader] is one line now, before Kivy starts
    from .kivy_setup import prepare_kivy

    prepare_kivy(windowed, settings.data_dir / "kivy")
    from .app import KioskApp, KioskServices  # only now: Kivy reads its settings on import

    async def main() -> int:
        store = LocalStore(settings.data_dir / "catalogue.sqlite3")
        outbox = Outbox(settings.data_dir / "outbox.sqlite3")
        try:
            async with backend_client(settings) as client:
                site = store.head().get("site", {})
                app = KioskApp(KioskServices(
                    store, outbox, client if settings.token else None, printer=printer,
                    scanner=scanner_settings(config), office_name=site.get("name", ""),
                    site_help_desk=site.get("help_desk", ""),
                    idle_timeout=settings.idle_timeout, terminal_id=settings.terminal_id,
                    preferences=kiosk_preferences(config), config_path=path,
                    pin=StaffPin(settings.data_dir / "staff-pin.json"), card_reader=card_reader_enabled(config),
                    chip=chip, needs_setup=not settings.token))
                # The service manager stops the kiosk with SIGTERM, a person at the console with Ctrl-C.
                for stop in (signal.SIGTERM, signal.SIGINT):
                    asyncio.get_running_loop().add_signal_handler(stop, app.stop)
                await app.async_run(async_lib="asyncio")
                return app.exit_status
        finally:
            store.close()
            outbox.close()

    return asyncio.run(main())


def cmd_demo(args: argparse.Namespace) -> None:
    from .backend.accounts import Accounts
    from .backend.sample import load_sample_site
    from .backend.server import BackgroundServer, make_app
    from .backend.store import BackendStore
    from .backend.terminals import Terminals
    from .config import KioskSettings

    config = load_config(args.config)
    calendar = working_calendar(config)
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as name:
        folder = Path(name)
        db = folder / "backend.sqlite3"
        store = _open_store(db)
        load_sample_site(store, calendar, today(), all_day=True, site=args.sample_site)
        terminal, token = Terminals(store).add("Demo kiosk", now())
        admin_password = secrets.token_urlsafe(12)  # the demo's own, gone with its database
        Accounts(store).add("demo", admin_password, now())
        codes = store.dossier_codes()
        store.close()
        admin_token = secrets.token_urlsafe(24)
        server = BackgroundServer(lambda: make_app(BackendStore(db), calendar, admin_token=admin_token),
                                  args.host, args.port)
        try:
            url = server.start()
        except RuntimeError as error:
            raise Failure(f"cannot start the demo backend on {args.host}:{args.port}: {error}") from None
        from .hardware.printer import SimulatedPrinter

        printer = SimulatedPrinter(folder / "receipts")
        # Staff mode edits a copy of the configuration, not the file the demo was given.
        demo_config = folder / "kiosk.ini"
        shutil.copyfile(config_path(args.config), demo_config)
        from .client.pin import StaffPin

        StaffPin(folder / "kiosk" / "staff-pin.json").set(DEMO_PIN)
        for line in (
            f"Demo backend (the {args.sample_site} sample site) listening on {url}; data in {folder}",
            f"Simulated receipt printer: each ticket is written to {printer.folder} as PNG and ESC/POS .bin",
            f"Terminal {terminal} token: {token}",
            f"Admin token: {admin_token}",
            f"Admin pages: {url}/admin (user demo, password {admin_password})",
            f"Counter page: {url}/counter (the same user: any counter); hall display: {url}/display?site=main",
            "Sample dossier codes: " + ", ".join(codes[:5]) + ", ...",
            f"Staff mode: five taps within three seconds in the top right corner, then the PIN {DEMO_PIN}",
            "The kiosk app is starting" + (" in a window." if args.windowed else " full screen.")
            + " Close it with Ctrl-C here.",
        ):
            _print(line)
        try:
            settings = KioskSettings(url, token, terminal, None, folder / "kiosk",
                                     idle_timeout=kiosk_settings(config).idle_timeout)
            _run_kiosk(settings, args.windowed, printer, config, demo_config)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    _print("Demo stopped.")


def cmd_run(args: argparse.Namespace) -> int:
    path = config_path(args.config)
    config = load_config(path)
    settings = kiosk_settings(config, args.backend, args.token_file, args.data)
    from .hardware.printer import PrinterError, open_printer

    try:
        printer = open_printer(printer_settings(config))
    except PrinterError as error:
        raise Failure(f"[printer]: {error}") from None
    # Without a terminal token the app starts with its setup wizard.
    return _run_kiosk(settings, args.windowed, printer, config, path)


def cmd_import_catalogue(args: argparse.Namespace) -> int | None:
    if args.upstream or args.file is None:
        return _import_catalogue_upstream(args)
    from .backend.dvcqg import parse_dvcqg, records_of

    config = load_config(args.config)
    try:
        with open(args.file, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except OSError as error:
        raise Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, or nested past the parser
        raise Failure(f"{args.file} is not JSON ({error}); nothing was imported") from None
    store = _open_store(_backend_db(args, config), config, open_keys=False)
    try:
        levels, fields = store.levels(), store.fields()
        if not levels:
            raise Failure("the backend has no administrative levels yet; load a site first (kiosk backend --sample-data)")
        try:
            # {"result": [...]}, a proxy's {"message": "<JSON text>"}, or a bare list.
            parsed = parse_dvcqg(records_of(data), levels, fields)
        except ValueError as error:
            raise Failure(f"{args.file}: {error}; nothing was imported") from None
        version = store.add_procedures(parsed.procedures, parsed.fields) if parsed.procedures else store.catalogue_version
    finally:
        store.close()
    problems = [{"index": p.index, "code": p.code, "reason": p.reason} for p in parsed.problems]
    warnings = [{"index": w.index, "code": w.code, "warning": w.reason} for w in parsed.warnings]
    if args.json:
        _print(json.dumps({"imported": len(parsed.procedures), "new_fields": [f.code for f in parsed.fields],
                           "skipped": problems, "warnings": warnings, "catalogue_version": version},
                          ensure_ascii=False))
        return
    warned = len({w["index"] for w in warnings})
    _print(f"Imported {len(parsed.procedures)} procedures ({warned} with warnings), skipped {len(problems)}; "
           f"catalogue version {version}.")
    if parsed.fields:
        _print("New fields: " + ", ".join(f"{f.code} {f.name}" for f in parsed.fields))
    for w in warnings:
        _print(f"Warning for record {w['index']} ({w['code']}): {w['warning']}")
    for p in problems:
        _print(f"Skipped record {p['index']} ({p['code'] or 'no code'}): {p['reason']}")


def _import_catalogue_upstream(args: argparse.Namespace) -> int | None:
    """`kiosk import-catalogue --upstream`: the whole catalogue from the [upstream] system."""
    if args.upstream == (args.file is not None):
        print("kiosk import-catalogue: give a FILE or --upstream (one of the two)", file=sys.stderr)
        return 2
    from .backend.upstream import UpstreamClient, UpstreamError, pull_catalogue

    config = load_config(args.config)
    settings = upstream_settings(config)
    if settings is None:
        raise Failure("the configuration has no [upstream] section: the one-stop system's address and account")
    store = _open_store(_backend_db(args, config), config, open_keys=False)

    async def pull():
        async with UpstreamClient(settings) as client:
            return await pull_catalogue(client, store)

    try:
        report = asyncio.run(pull())
    except UpstreamError as error:
        raise Failure(f"cannot pull the catalogue from {settings.adapter_url}: {error}; nothing was imported") from None
    finally:
        store.close()
    if args.json:
        _print(json.dumps(report.__dict__, ensure_ascii=False))
        return None
    _print(f"Pulled {report.imported} procedures from {settings.adapter_url}, skipped {len(report.skipped)}; "
           f"catalogue version {report.catalogue_version}.")
    if report.new_fields:
        _print("New fields: " + ", ".join(report.new_fields))
    for p in report.skipped:
        _print(f"Skipped record {p['index']} ({p['code'] or 'no code'}): {p['reason']}")
    for failure in report.failed:
        _print(f"Not pulled: {failure}")
    return None


def _backend_part(args: argparse.Namespace, kind):
    """The backend's store of --db, and `kind` (Terminals, Accounts...) over it."""
    config = load_config(args.config)
    store = _open_store(_backend_db(args, config), config, open_keys=False)
    return store, kind(store)


def _terminals(args: argparse.Namespace):
    from .backend.terminals import Terminals

    return _backend_part(args, Terminals)


def _list(args: argparse.Namespace, part, line) -> None:
    """A `list` subcommand: the rows of `part(args)`'s list(), as JSON with --json, else
    `line(row)` for each row."""
    store, found = part(args)
    try:
        rows = found.list()
    finally:
        store.close()
    if args.json:
        _print(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        _print(line(row))


def _cli_actor() -> str:
    """Who the audit log says made a change from the command line."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in this environment
        return "cli"


def cmd_terminal_add(args: argparse.Namespace) -> None:
    store, terminals = _terminals(args)
    try:
        if args.enrol:
            code, expires = terminals.add_enrolment(args.name, now(), args.site)
            store.audit(_cli_actor(), "enrolment_code_issued", args.name, {"expires_at": expires.isoformat()}, now(),
                        args.site)
        else:
            terminal, token = terminals.add(args.name, now(), args.site)
            store.audit(_cli_actor(), "terminal_added", f"terminal {terminal}", {"name": args.name}, now(), args.site)
    except ValueError as error:
        raise Failure(str(error)) from None
    finally:
        store.close()
    if args.enrol:
        when = expires.isoformat(timespec="minutes")
        if args.json:
            _print(json.dumps({"name": args.name, "code": code, "expires_at": when}, ensure_ascii=False))
        else:
            _print(f"Enrolment code for {args.name} (shown only now; type it on the kiosk's set-up screen, "
                   f"once, before {when}): {code}")
    elif args.json:
        _print(json.dumps({"id": terminal, "token": token}))
    else:
        _print(f"Terminal {terminal} ({args.name}) registered.")
        _print(f"Token (shown only now; put it in the kiosk's configuration): {token}")


def cmd_terminal_list(args: argparse.Namespace) -> None:
    def line(row: dict) -> str:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else f"last seen {row['last_seen'] or 'never'}"
        return f"{row['id']:>4}  {row['site']}  {row['name']}  ({state})"

    _list(args, _terminals, line)


def cmd_terminal_revoke(args: argparse.Namespace) -> None:
    store, terminals = _terminals(args)
    try:
        revoked = terminals.revoke(args.id, now())
    finally:
        store.close()
    if not revoked:
        raise Failure(f"no live terminal has the id {args.id}")
    _print(f"Terminal {args.id} revoked: its token no longer works.")


def _secret(path: str | None, what: str, option: str) -> str:
    """From the file at `path`, or asked twice on the terminal: never on the command line,
    where other users and the shell's history would see it."""
    import getpass

    if path:
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            raise Failure(f"cannot read the {what} file {path}: {error}") from None
    if not sys.stdin.isatty():
        raise Failure(f"no terminal to ask the {what} on: give {option}")
    secret = getpass.getpass(f"{what.capitalize()}: ")
    if getpass.getpass(f"The same {what} again: ") != secret:
        raise Failure(f"the two {what}s differ; nothing was changed")
    return secret


def _new_password(args: argparse.Namespace) -> str:
    from .backend.accounts import password_problems

    password = _secret(args.password_file, "password", "--password-file")
    problems = password_problems(password)
    if problems:
        raise Failure(problems[0])
    return password


def cmd_staff_pin(args: argparse.Namespace) -> None:
    from .client.pin import StaffPin

    settings = kiosk_settings(load_config(args.config), data_dir=args.data)
    pin = _secret(args.pin_file, "staff PIN", "--pin-file")
    try:
        StaffPin(settings.data_dir / "staff-pin.json").set(pin)
    except ValueError as error:
        raise Failure(str(error)) from None
    except OSError as error:
        raise Failure(f"cannot write the staff PIN in {settings.data_dir}: {error}") from None
    _print(f"The staff PIN of the kiosk with data in {settings.data_dir} is set; a lockout is lifted.")


def _accounts(args: argparse.Namespace):
    from .backend.accounts import Accounts

    return _backend_part(args, Accounts)


def cmd_admin_add(args: argparse.Namespace) -> None:
    password = _new_password(args)
    store, accounts = _accounts(args)
    try:
        counters = tuple(args.counter or ())
        # A counter officer works at one site ("main" unless named); an admin sees every site unless named.
        sites = tuple(args.site or (["main"] if counters else ["*"]))
        accounts.add(args.user, password, now(), counters, sites)
        detail = ({"counters": list(counters)} if counters else {}) | ({"sites": list(sites)} if args.site else {})
        store.audit(_cli_actor(), "admin_added", args.user, detail, now())
    except ValueError as error:
        raise Failure(str(error)) from None
    finally:
        store.close()
    where = f" at {', '.join(sites)}" if args.site else (" at every site" if not counters else "")
    if args.json:
        _print(json.dumps({"username": args.user, "role": "counter" if args.counter else "admin",
                           "counters": args.counter or [], "sites": list(sites)}))
    elif args.counter:
        numbers = ", ".join(str(n) for n in args.counter)
        _print(f"Counter account {args.user} added for counter(s) {numbers}{where}: log in at /counter on the backend.")
    else:
        _print(f"Admin account {args.user} added{where}: log in at /admin on the backend.")


def cmd_admin_list(args: argparse.Namespace) -> None:
    def line(row: dict) -> str:
        locked = f", locked until {row['locked_until']}" if row["locked_until"] else ""
        role = f"counter {', '.join(map(str, row['counters']))}" if row["role"] == "counter" else "admin"
        sites = "every site" if row["sites"] == ["*"] else ", ".join(row["sites"])
        return f"{row['username']}  {role}  {sites}  (since {row['created_at']}{locked})"

    _list(args, _accounts, line)


def _integrations(args: argparse.Namespace):
    from .backend.integrations import Integrations

    return _backend_part(args, Integrations)


def cmd_integration_add(args: argparse.Namespace) -> None:
    # A program logs in, not a person: without a file, a strong password is made and shown once.
    password = _new_password(args) if args.password_file else secrets.token_urlsafe(24)
    store, integrations = _integrations(args)
    try:
        number = integrations.add(args.name, password, now())
        store.audit(_cli_actor(), "integration_added", f"integration {number}", {"name": args.name}, now())
    except ValueError as error:
        raise Failure(str(error)) from None
    finally:
        store.close()
    shown = None if args.password_file else password
    if args.json:
        _print(json.dumps({"id": number, "username": args.name, "password": shown}))
        return
    _print(f"Integration {number} ({args.name}) added: the one-stop system logs in at POST /api/v1/dvcqg/auth "
           f"with the username {args.name}.")
    if shown:
        _print(f"Password (shown only now; put it in the one-stop system's settings): {shown}")


def cmd_integration_list(args: argparse.Namespace) -> None:
    def line(row: dict) -> str:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else f"last used {row['last_used_at'] or 'never'}"
        return f"{row['id']:>4}  {row['name']}  ({state})"

    _list(args, _integrations, line)


def cmd_integration_revoke(args: argparse.Namespace) -> None:
    store, integrations = _integrations(args)
    try:
        revoked = integrations.revoke(args.id, now())
        if revoked:
            store.audit(_cli_actor(), "integration_revoked", f"integration {args.id}", {}, now())
    finally:
        store.close()
    if not revoked:
        raise Failure(f"no live integration has the id {args.id}")
    _print(f"Integration {args.id} revoked: its password and sessions no longer work.")


def cmd_import_dossiers(args: argparse.Namespace) -> None:
    from .backend.dvcqg_api import run_service
    from .backend.errors import RequestError

    try:
        with open(args.file, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except OSError as error:
        raise Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    except (ValueError, RecursionError) as error:
        raise Failure(f"{args.file} is not JSON ({error}); nothing was imported") from None
    # One body, or a day's export: a list of bodies, each sent in turn as the system would.
    bodies = data if isinstance(data, list) else [data]
    if not bodies or not all(isinstance(b, dict) for b in bodies):
        raise Failure(f"{args.file} holds neither a DongBoHoSoMC / CapNhatTienDoHoSoMC body nor a list of them; "
                      "nothing was imported")
    config = load_config(args.config)
    store = _open_store(_backend_db(args, config), config)
    report = []
    try:
        for number, body in enumerate(bodies):
            try:
                service, result = run_service(store, body, now())
            except RequestError as error:
                report.append({"body": number, "service": str(body.get("service", ""))[:40], "error": error.message})
                continue
            report.append({"body": number, "service": service, "accepted": result.accepted,
                           "refused": [{"index": p.index, "MaHoSo": p.code, "reason": p.reason}
                                       for p in result.problems]})
        store.audit(_cli_actor(), "dossiers_imported", args.file,
                    {"bodies": len(bodies), "accepted": sum(r.get("accepted", 0) for r in report)}, now())
    finally:
        store.close()
    if args.json:
        _print(json.dumps(report, ensure_ascii=False))
    else:
        for entry in report:
            if "error" in entry:
                _print(f"Body {entry['body']}: not imported: {entry['error']}")
                continue
            _print(f"Body {entry['body']} ({entry['service']}): {entry['accepted']} accepted, "
                   f"{len(entry['refused'])} refused.")
            for refused in entry["refused"]:
                _print(f"  record {refused['index']} ({refused['MaHoSo'] or 'no code'}): {refused['reason']}")
    if any("error" in entry for entry in report):
        raise Failure("some bodies were not the protocol; the others were imported")


def cmd_migrate_store(args: argparse.Namespace) -> None:
    """Copy a backend's database into a new one (docs/deploy-province.md)."""
    from .backend.copy_store import copy_store
    from .backend.database import is_postgres_url, shown_url
    from .backend.store import StoreError

    if not is_postgres_url(args.source) and not Path(args.source).is_file():
        raise Failure(f"there is no database file {args.source} to copy")
    source = _open_store(args.source, open_keys=False)
    try:
        target = _open_store(args.target, open_keys=False)
        try:
            copied = copy_store(source, target)
        except StoreError as error:
            raise Failure(str(error)) from None
        finally:
            target.close()
    finally:
        source.close()
    if args.json:
        _print(json.dumps({"tables": {t.name: t.rows for t in copied}}))
        return
    for table in copied:
        _print(f"{table.name}: {table.rows} rows")
    _print(f"Copied {sum(t.rows for t in copied)} rows from {shown_url(args.source)} to {shown_url(args.target)}, "
           "and found every table equal on both sides. The ID-number hashes came with them: give the new "
           "backend the same citizen key file ([backend] citizen_key_file).")


def cmd_citizen_key(args: argparse.Namespace) -> None:
    """The key file of the ID-number hashes: status, rotate, retire, reset (docs/deploy.md)."""
    from .backend.citizen_keys import KeyFileError
    from .backend.store import StoreError

    config = load_config(args.config)
    action = args.citizen_key_command
    store = _open_store(_backend_db(args, config), config, open_keys=action != "reset")
    try:
        if action == "status":
            report: dict = {"key_file": str(store.key_file), "keys": store.citizen_key_status()}
            lines = [f"Citizen key file: {store.key_file}"] + [
                f"key {k['number']} ({k['kind']}{', newest' if k['newest'] else ''}): "
                f"{k['dossiers']} dossiers, {k['lookups']} audited look-ups" for k in report["keys"]]
        elif action == "rotate":
            number = store.rotate_citizen_key()
            report = {"key_file": str(store.key_file), "new_key": number}
            lines = [f"Added citizen key {number} to {store.key_file}: new hashes use it, and look-ups still find "
                     "dossiers hashed with the older keys. Back the file up again, apart from the database. "
                     "Once the one-stop systems have sent their dossiers again, `kiosk citizen-key retire` "
                     "drops the older keys."]
        elif action == "retire":
            retired, dossiers, lookups = store.retire_citizen_keys()
            report = {"key_file": str(store.key_file), "retired": retired, "dossiers_cleared": dossiers,
                      "lookups_cleared": lookups}
            lines = [f"Retired citizen keys {retired or 'none'}: {dossiers} dossiers can no longer be found by ID "
                     f"number until they are sent again; {lookups} audited look-ups lost their hash."]
        else:
            dossiers, lookups = store.reset_citizen_keys()
            report = {"key_file": str(store.key_file), "dossiers_cleared": dossiers, "lookups_cleared": lookups}
            lines = [f"Made a new citizen key file {store.key_file}: {dossiers} dossiers can no longer be found by "
                     f"ID number until they are sent again; {lookups} audited look-ups lost their hash. "
                     "Back the file up, apart from the database."]
    except (KeyFileError, StoreError) as error:
        raise Failure(str(error)) from None
    finally:
        store.close()
    if args.json:
        _print(json.dumps(report, ensure_ascii=False))
    else:
        for line in lines:
            _print(line)


def cmd_queue_configure(args: argparse.Namespace) -> None:
    from .backend.queue import TicketQueue
    from .domain.queue import QueueConfig
    from .domain.serial import DataShapeError

    config = load_config(args.config)
    try:
        with open(args.file, encoding="utf-8") as handle:
            data = json.load(handle)
        data.pop("_note", None)
        queue_config = QueueConfig.from_dict(data)
    except OSError as error:
        raise Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    except (ValueError, RecursionError, AttributeError, DataShapeError) as error:
        raise Failure(f"{args.file} is not a queue configuration: {error}") from None
    store = _open_store(_backend_db(args, config), config, open_keys=False)
    try:
        TicketQueue(store, working_calendar(config), args.site).configure(queue_config)
    except ValueError as error:
        raise Failure(f"{args.file}: {error}") from None
    finally:
        store.close()
    _print(f"Queue of site {args.site} configured: {len(queue_config.services)} services, "
           f"{len(queue_config.counters)} counters.")


def _sites(args: argparse.Namespace):
    from .backend.sites import Sites

    return _backend_part(args, Sites)


def cmd_site_add(args: argparse.Namespace) -> None:
    store, sites = _sites(args)
    try:
        site = sites.add(args.code, args.name, args.name_en or "", now())
        store.audit(_cli_actor(), "site_added", args.code, {"name": site.name}, now())
    except ValueError as error:
        raise Failure(str(error)) from None
    finally:
        store.close()
    if args.json:
        _print(json.dumps(site.to_dict(), ensure_ascii=False))
        return
    _print(f"Site {site.code} ({site.name}) added. Next: kiosk queue configure FILE --site {site.code}; "
           f"kiosk terminal add NAME --site {site.code}; kiosk admin add USER --site {site.code}; "
           f"its hall display is /display?site={site.code}.")


def cmd_site_list(args: argparse.Namespace) -> None:
    store, sites = _sites(args)
    try:
        rows = [s.to_dict() for s in sites.list()]
    finally:
        store.close()
    if args.json:
        _print(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        _print(f"{row['code']}  {row['name']}" + (f"  ({row['name_en']})" if row["name_en"] else ""))


def _kiosk_data(args: argparse.Namespace):
    from .client.outbox import Outbox
    from .client.store import LocalStore

    settings = kiosk_settings(load_config(args.config), getattr(args, "backend", None),
                              getattr(args, "token_file", None), args.data)
    store = LocalStore(settings.data_dir / "catalogue.sqlite3")
    if store.moved_aside:
        print(f"kiosk {args.command}: the local catalogue was unreadable; moved to {store.moved_aside.name} "
              "and rebuilt", file=sys.stderr)
    return settings, store, Outbox(settings.data_dir / "outbox.sqlite3")


def cmd_sync(args: argparse.Namespace) -> None:
    from .client.errors import BackendError
    from .client.store import CatalogueError
    from .client.sync import sync_all

    settings, store, outbox = _kiosk_data(args)

    async def run():
        async with backend_client(settings) as client:
            return await sync_all(client, store, outbox)

    try:
        catalogue, replay = asyncio.run(run())
    except (BackendError, CatalogueError) as error:
        kept = f"the kiosk keeps catalogue version {store.version or 'none'} ({store.source})"
        raise Failure(f"cannot sync with {settings.backend_url}: {getattr(error, 'detail', '') or error}; {kept}") from None
    finally:
        store.close()
        outbox.close()
    if args.json:
        _print(json.dumps({"changed": catalogue.changed, "version": catalogue.version,
                           "procedures": catalogue.procedures, "bytes": catalogue.bytes_on_wire,
                           "seconds": round(catalogue.seconds, 3), "outbox_sent": replay.sent,
                           "outbox_dropped": replay.dropped, "outbox_left": replay.left}))
        return
    state = "updated to" if catalogue.changed else "already at"
    _print(f"Catalogue {state} version {catalogue.version}: {catalogue.procedures} procedures "
           f"({catalogue.bytes_on_wire} bytes in {catalogue.seconds:.2f} s).")
    _print(f"Outbox: {replay.sent} sent, {replay.dropped} refused by the backend, {replay.left} waiting.")


def cmd_search(args: argparse.Namespace) -> None:
    from .client.search import SearchIndex

    _, store, outbox = _kiosk_data(args)
    outbox.close()
    try:
        if not len(store):
            raise Failure("the kiosk has no catalogue yet: run `kiosk sync`")
        hits = SearchIndex(store.procedures()).search(args.query, level=args.level, field=args.field, limit=args.limit)
    finally:
        store.close()
    if args.json:
        _print(json.dumps([{"code": h.code, "name": h.name} for h in hits], ensure_ascii=False))
        return
    if not hits:
        _print("No procedure matches.")
    for number, hit in enumerate(hits, 1):
        _print(f"{number:>3}. {hit.code}  {hit.name}")


def _scan_from_stdin() -> str:
    """A scan's text from standard input: an ID card's text on the command line is seen by every
    user in `ps`. No more is read than a scan can be: past 4 bytes a character, it is too long
    whatever it holds, and parse_scan says so."""
    from .domain.scan import MAX_SCAN_LENGTH

    limit = 4 * MAX_SCAN_LENGTH
    data = sys.stdin.buffer.read(limit + 1)
    try:
        return data.decode("utf-8") if len(data) <= limit else data.decode("utf-8", "replace")
    except UnicodeDecodeError:
        raise Failure("the text on standard input is not UTF-8") from None


def cmd_parse_scan(args: argparse.Namespace) -> None:
    from .domain.scan import parse_scan

    text = _scan_from_stdin() if args.text == "-" else args.text
    # "unknown" is an answer, not a failure: exit 0 for every kind.
    result = parse_scan(text)
    _print(result.to_json() if args.json else result.describe())


def cmd_read_card(args: argparse.Namespace) -> None:
    """Staff's check of a card on the reader: what was verified, the identity masked."""
    from .domain.scan import parse_scan
    from .domain.text import mask_name
    from .hardware.idcard.errors import CardReadError
    from .hardware.idcard.passive import LEVELS, load_cscas
    from .hardware.idcard.reader import read_card
    from .hardware.idcard.transport import pcsc_transmit
    from .i18n import translate

    id_number = born = issued = can = None
    if args.qr is not None:
        scan = parse_scan(_scan_from_stdin() if args.qr == "-" else args.qr)
        if scan.identity is None:
            raise Failure("the QR text is not an ID card's (kiosk parse-scan - tells what it is)")
        id_number, born, issued = scan.identity.id_number, scan.identity.birth_date, scan.identity.issued_on
    elif args.can is not None:
        if len(args.can) != 6 or not args.can.isascii() or not args.can.isdigit():
            raise Failure("--can is the last 6 digits of the ID number")
        can = args.can
    else:
        raise Failure("give --can DIGITS (the ID number's last 6) or --qr - (the card's QR text on standard input)")
    cscas = load_cscas(Path(args.csca)) if args.csca else []
    try:
        with pcsc_transmit(args.reader) as transmit:
            read = read_card(transmit, id_number, born, issued, can, tuple(cscas))
    except CardReadError as error:
        raise Failure(f"{translate(error.message, 'vi')} / {error.message} ({error.code}: {error.detail})") from None
    level = LEVELS.index(read.passive.level)
    found = {
        "access": read.access, "groups": [str(g) for g in read.groups],
        "integrity": level >= 1, "signature": level >= 2, "chain": level >= 3,
        "active_authentication": read.active, "chip_authentication_offered": read.chip_authentication,
        "signer": read.passive.signer, "problem": read.passive.problem,
        "name": mask_name(read.identity.full_name), "id_number_last4": read.identity.id_number[-4:],
        "cscas": len(cscas),
    }
    if args.json:
        _print(json.dumps(found, ensure_ascii=False))
        return
    _print(f"Card read with {found['access']}: {found['name']}, ID number ending {found['id_number_last4']}.")
    _print(f"  groups: {', '.join(found['groups'])}")
    _print(f"  integrity (each group's hash as signed): {'yes' if found['integrity'] else 'no'}")
    _print(f"  signature (by its document signer): {'yes' if found['signature'] else 'no'}"
           + (f" ({found['signer']})" if found["signer"] else ""))
    _print(f"  chain (to one of {len(cscas)} CSCA certificates installed): {'yes' if found['chain'] else 'no'}")
    _print(f"  active authentication: {found['active_authentication']}")
    if found["chip_authentication_offered"]:
        _print(f"  chip authentication offered (DG14): {found['chip_authentication_offered']}, not run")
    if found["problem"]:
        _print(f"  not further because: {found['problem']}")


def cmd_card_reader(args: argparse.Namespace) -> None:
    from .hardware.card_reader import probe
    from .i18n import translate

    status = probe()
    if args.json:
        _print(json.dumps({"state": str(status.state), "readers": list(status.readers),
                           "with_card": list(status.with_card), "message_vi": translate(status.message, "vi"),
                           "message_en": status.message}, ensure_ascii=False))
    else:
        _print(f"{translate(status.message, 'vi')} / {status.message}")
        for reader in status.readers:
            _print(f"  {reader}" + ("  [thẻ / card]" if reader in status.with_card else ""))
    if status.health != "ok":
        raise Failure(status.message)


def cmd_print_test(args: argparse.Namespace) -> None:
    from .domain.terminal import PrinterSettings
    from .hardware.printer import PrinterError, SimulatedPrinter, open_printer, print_samples

    if args.simulate:
        printer = SimulatedPrinter(Path(args.simulate), profile=args.profile)
    else:
        settings = PrinterSettings(driver=args.driver, profile=args.profile, address=args.address)
        try:
            printer = open_printer(settings)
        except PrinterError as error:
            raise Failure(str(error)) from None
        if printer is None:
            raise Failure("no printer configured: give --driver and --address, or --simulate DIR")
    try:
        printed = print_samples(printer)
    except PrinterError as error:
        raise Failure(str(error)) from None
    if args.json:
        _print(json.dumps({"printer": printer.name, "printed": printed}, ensure_ascii=False))
    else:
        _print(f"Printed on {printer.name}: {', '.join(printed)}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Self-service kiosk for one-stop public-service centres.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("--config", metavar="PATH", help="configuration file (default: $KIOSK_CONFIG, else the kiosk.ini inside the package)")
        sub.set_defaults(handler=handler)
        return sub

    def kiosk_options(sub: argparse.ArgumentParser, backend: bool = True) -> None:
        """Where a kiosk's backend, token and data are, over its [kiosk] configuration."""
        if backend:
            sub.add_argument("--backend", metavar="URL", help="the backend (default: [kiosk] backend_url)")
            sub.add_argument("--token-file", metavar="PATH", help="file holding the terminal token")
        sub.add_argument("--data", metavar="DIR", help="the kiosk's data folder (default: [kiosk] data_dir)")

    demo = command("demo", cmd_demo, "Run the demo: the kiosk app against the sample site's backend, on this machine.")
    demo.add_argument("--host", default="127.0.0.1", help="the backend's address (default 127.0.0.1)")
    demo.add_argument("--port", type=int, default=8080, help="the backend's port (default 8080; 0 picks a free one)")
    demo.add_argument("--windowed", action="store_true", help="a 1280x720 window instead of full screen")
    demo.add_argument("--sample-site", choices=SAMPLE_SITES, default=SAMPLE_SITES[0],
                      help="two-level: a province centre and its communes since July 2025 (default); "
                           "district-2019: the three-level district site of before")

    run = command("run", cmd_run, "Run the kiosk app against the backend in the configuration.")
    kiosk_options(run)
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen")

    backend = command("backend", cmd_backend, "Run the reference central backend.")
    backend.add_argument("--db", metavar="DB", help="an SQLite file (made if missing) or a PostgreSQL URL (postgresql://...)")
    backend.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    backend.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one and prints it)")
    backend.add_argument("--sample-data", action="store_true", help="load the sample site into an empty database")
    backend.add_argument("--sample-site", choices=SAMPLE_SITES, default=SAMPLE_SITES[0],
                         help="which sample site --sample-data loads: two-level (default) or district-2019")
    backend.add_argument("--admin-token-file", metavar="PATH", help="file holding the admin token (16+ characters)")
    backend.add_argument("--workers", type=int, metavar="N",
                         help="N processes serving the one port (default 1, or [backend] workers); for PostgreSQL")

    terminal = command("terminal", None, "Register, list and revoke the kiosks that may use the backend.")
    terminal_commands = terminal.add_subparsers(dest="terminal_command", metavar="ACTION", required=True)
    for name, handler, text in (
        ("add", cmd_terminal_add, "Register a terminal and print its token, once (or with --enrol a one-time "
                                  "code for the kiosk's set-up screen)."),
        ("list", cmd_terminal_list, "List the terminals."),
        ("revoke", cmd_terminal_revoke, "Revoke a terminal's token."),
    ):
        sub = terminal_commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
        sub.set_defaults(handler=handler)
        if name == "add":
            sub.add_argument("name", metavar="NAME")
            sub.add_argument("--enrol", action="store_true",
                             help="print a one-time enrolment code for the kiosk's set-up screen instead of a token")
            sub.add_argument("--site", metavar="CODE", default="main",
                             help="the site (centre) the kiosk serves (default main; see kiosk site list)")
        if name == "revoke":
            sub.add_argument("id", metavar="ID", type=int)
        if name != "revoke":
            sub.add_argument("--json", action="store_true", help="machine-readable output")

    admin = command("admin", None, "The staff accounts of the backend's /admin pages and of the counters' "
                                   "/counter page.")
    admin_commands = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    for name, handler, text in (
        ("add", cmd_admin_add, "Add a staff account; the password is asked twice (10 characters or more)."),
        ("list", cmd_admin_list, "List the staff accounts."),
    ):
        sub = admin_commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.set_defaults(handler=handler)
        if name == "add":
            sub.add_argument("user", metavar="USER", help="the username: 1 to 40 of a-z 0-9 . _ -")
            sub.add_argument("--password-file", metavar="PATH", help="read the password from this file instead")
            sub.add_argument("--counter", metavar="N", type=int, action="append",
                             help="a counter officer's account: only the /counter page, for counter N "
                                  "(give --counter again for more counters)")
            sub.add_argument("--site", metavar="CODE", action="append",
                             help="the site the account works at (give --site again for more); without it an "
                                  "admin sees every site (a province admin) and a counter account works at main")

    integration = command("integration", None,
                          "Accounts of the one-stop systems that push dossiers (the national portal's protocol).")
    integration_commands = integration.add_subparsers(dest="integration_command", metavar="ACTION", required=True)
    for name, handler, text in (
        ("add", cmd_integration_add, "Add an account for a one-stop system; prints a new password once, "
                                     "unless --password-file gives one."),
        ("list", cmd_integration_list, "List the accounts of one-stop systems."),
        ("revoke", cmd_integration_revoke, "Revoke an account: its password and sessions stop working."),
    ):
        sub = integration_commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
        sub.set_defaults(handler=handler)
        if name == "add":
            sub.add_argument("name", metavar="NAME", help="the username: 1 to 64 of A-Z a-z 0-9 . _ -")
            sub.add_argument("--password-file", metavar="PATH", help="read the password from this file")
        if name == "revoke":
            sub.add_argument("id", metavar="ID", type=int)
        else:
            sub.add_argument("--json", action="store_true", help="machine-readable output")

    keys = command("citizen-key", None, "The secret key of the ID-number hashes, kept in a file apart from "
                                        "the database ([backend] citizen_key_file).")
    key_commands = keys.add_subparsers(dest="citizen_key_command", metavar="ACTION", required=True)
    for name, text in (
        ("status", "Show the key file and, for each key, how many dossiers and audited look-ups hold its hashes."),
        ("rotate", "Add a new key: new hashes use it; look-ups still find hashes made with the older keys."),
        ("retire", "Drop every key but the newest, and clear the hashes made with them (those dossiers cannot "
                   "be found by ID number until they are sent again)."),
        ("reset", "Only when the key file is lost for good: clear every hash and make a new key file."),
    ):
        sub = key_commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.set_defaults(handler=cmd_citizen_key)

    dossiers = command("import-dossiers", cmd_import_dossiers,
                       "Import dossiers and their progress from a file of DongBoHoSoMC / CapNhatTienDoHoSoMC "
                       "bodies (one, or a list), as a one-stop system would push them.")
    dossiers.add_argument("file", metavar="FILE")
    dossiers.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
    dossiers.add_argument("--json", action="store_true", help="machine-readable output")

    sync = command("sync", cmd_sync, "Bring this kiosk's catalogue up to date and send its outbox.")
    kiosk_options(sync)
    sync.add_argument("--json", action="store_true", help="machine-readable output")

    staff_pin = command("staff-pin", cmd_staff_pin, "Set the staff PIN that opens the kiosk's staff mode.")
    kiosk_options(staff_pin, backend=False)
    staff_pin.add_argument("--pin-file", metavar="PATH", help="read the PIN from this file instead of asking twice")

    search = command("search", cmd_search, "Search the kiosk's catalogue as a citizen would.")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--level", help="only procedures of this level code (province, district, commune...)")
    search.add_argument("--field", help="only procedures of this field code (HOTICH, DATDAI...)")
    search.add_argument("--limit", type=int, default=20, help="how many results (default 20)")
    kiosk_options(search, backend=False)
    search.add_argument("--json", action="store_true", help="machine-readable output: ranked codes and names")

    parse = command("parse-scan", cmd_parse_scan,
                    "What a scanned text is: dossier code, citizen ID card, queue ticket, or unknown.")
    parse.add_argument("text", metavar="TEXT",
                       help='the scanned text, or "-" to read it from standard input: the safe form for an ID '
                            "card's text, which on the command line any user of the machine sees in the process list")
    parse.add_argument("--json", action="store_true", help='machine-readable: {"kind": ...}; never an ID number')

    test_print = command("print-test", cmd_print_test, "Print a sample of each receipt layout.")
    test_print.add_argument("--driver", default="none", choices=["none", "usb", "serial", "network", "file"],
                            help="printer driver")
    test_print.add_argument("--address", default="",
                            help='USB "vendor:product", serial device, "host:port" or device file')
    test_print.add_argument("--profile", default="TM-T20II", help="capability profile, e.g. TM-T20II, TM-T88V, POS-5890")
    test_print.add_argument("--simulate", metavar="DIR", help="print to PNG and .bin files in DIR instead")
    test_print.add_argument("--json", action="store_true", help="machine-readable output")

    reader = command("card-reader", cmd_card_reader, "Show the card reader: service, readers, card.")
    reader.add_argument("--json", action="store_true", help="machine-readable output")

    read = command("read-card", cmd_read_card,
                   "Read the ID card on the reader's chip and print what was verified, the identity masked.")
    which = read.add_mutually_exclusive_group()
    which.add_argument("--can", metavar="DIGITS", help="the last 6 digits of the card's ID number")
    which.add_argument("--qr", metavar="-", help="the card's QR text: - reads it from standard input")
    read.add_argument("--csca", metavar="DIR", help="a folder of CSCA certificates (PEM or DER) to check the chain")
    read.add_argument("--reader", metavar="NAME", help="the reader (default: the first with a card)")
    read.add_argument("--json", action="store_true", help="machine-readable output")

    queue = command("queue", None, "The centre's queue.")
    queue_commands = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    configure = queue_commands.add_parser(
        "configure", help="Set services, counters and priority categories from a JSON file.",
        description="Set services, counters and priority categories from a JSON file "
                    "(see kiosk/backend/sample_data/two-level/queue.json).")
    configure.add_argument("file", metavar="FILE")
    configure.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
    configure.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
    configure.add_argument("--site", metavar="CODE", default="main", help="the site whose queue it is (default main)")
    configure.set_defaults(handler=cmd_queue_configure)

    site = command("site", None, "The sites (centres) the backend serves: each has its kiosks, queue, counters, "
                                 "hall displays, staff and statistics.")
    site_commands = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)
    for name, handler, text in (
        ("add", cmd_site_add, "Add a site, e.g. kiosk site add xa-hoai-an \"UBND xã Hoài Ân\"."),
        ("list", cmd_site_list, "List the sites."),
    ):
        sub = site_commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.set_defaults(handler=handler)
        if name == "add":
            sub.add_argument("code", metavar="CODE", help="its code in addresses and commands: a-z 0-9 -, e.g. xa-hoai-an")
            sub.add_argument("name", metavar="NAME", help="its name, as the displays and pages show it")
            sub.add_argument("--name-en", metavar="NAME", help="its name in English")

    migrate = command("migrate-store", cmd_migrate_store,
                      "Copy the backend's whole database into a new one: a centre's SQLite file into a "
                      "province's PostgreSQL, say. The target must be empty; both are compared afterwards.")
    migrate.add_argument("source", metavar="FROM", help="the database to copy: an SQLite file or a PostgreSQL URL")
    migrate.add_argument("target", metavar="TO", help="the new, empty database: an SQLite file or a PostgreSQL URL")
    migrate.add_argument("--json", action="store_true", help="machine-readable output")

    importer = command("import-catalogue", cmd_import_catalogue,
                       "Import procedures from a national procedure database (DVCQG) JSON file, or from the "
                       "[upstream] one-stop system.")
    importer.add_argument("file", metavar="FILE", nargs="?")
    importer.add_argument("--upstream", action="store_true",
                          help="pull the catalogue from the [upstream] one-stop system instead of a file")
    importer.add_argument("--db", metavar="DB", help="the backend's SQLite file, or its PostgreSQL URL")
    importer.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Set before any library does it its way (python-escpos 3.1 calls basicConfig on import).
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True)
    try:
        status = args.handler(args)
    except (Failure, ConfigError) as error:
        print(f"kiosk {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status if isinstance(status, int) else 0  # `kiosk run`: the app's (3: staff left for the desktop)


if __name__ == "__main__":
    sys.exit(main())
