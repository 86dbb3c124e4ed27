"""The `kiosk` command. Exit 0 on success, 2 on bad usage, 1 on failure with a one-line reason."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import tempfile
from pathlib import Path

from . import __version__
from .config import ConfigError, kiosk_settings, load_config, scanner_settings, working_calendar
from .domain.calendar import now, today


class Failure(Exception):
    """A command that could not do its job; the message is the one-line reason."""


def _print(text: str) -> None:
    print(text, flush=True)


def _backend_db(args: argparse.Namespace, config) -> Path:
    return Path(args.db or config.get("backend", "db", fallback="kiosk-backend.sqlite3"))


def _open_store(path: Path):
    from .backend.store import BackendStore, StoreError

    try:
        return BackendStore(path)
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


def _run_backend(store, calendar, host: str, port: int, banner: list[str], admin_token: str = "",
                 citizen_lookups_per_minute: int = 10) -> None:
    from .backend.server import make_app, serve

    def ready(address: str) -> None:
        for line in banner:
            _print(line)
        _print(f"Kiosk backend listening on {address}")
        _print("Press Ctrl-C to stop.")

    try:
        app = make_app(store, calendar, admin_token=admin_token,
                       citizen_lookups_per_minute=citizen_lookups_per_minute)
        asyncio.run(serve(app, host, port, ready))
    except OSError as error:
        raise Failure(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    finally:
        store.close()
    _print("Kiosk backend stopped.")


def cmd_backend(args: argparse.Namespace) -> None:
    from .backend.sample import load_sample_site

    config = load_config(args.config)
    calendar = working_calendar(config)
    db = _backend_db(args, config)
    admin_token = _admin_token(args, config)
    store = _open_store(db)
    banner = [f"Database: {db}"]
    if not admin_token:
        banner.append("No admin token: counters, terminal configuration and statistics are closed.")
    if args.sample_data:
        if store.is_empty():
            load_sample_site(store, calendar, today())
            banner.append("Loaded the sample site.")
        else:
            banner.append("The database already holds a catalogue: the sample site was not loaded.")
    host = args.host or config.get("backend", "host", fallback="127.0.0.1")
    port = args.port if args.port is not None else config.getint("backend", "port", fallback=8080)
    limit = config.getint("backend", "citizen_lookups_per_minute", fallback=10)
    _run_backend(store, calendar, host, port, banner, admin_token, limit)


def _run_kiosk(settings, windowed: bool, printer, scanner=None) -> None:
    """The kiosk app against the backend in `settings`, until it is closed; `scanner`: the
    ScannerSettings of a serial or camera scanner beside the keyboard-wedge one."""
    from .client.api import BackendClient
    from .client.outbox import Outbox
    from .client.store import LocalStore

    from .kivy_setup import prepare_kivy

    prepare_kivy(windowed, settings.data_dir / "kivy")
    from .app import KioskApp, KioskServices  # only now: Kivy reads its settings on import

    async def main() -> None:
        store = LocalStore(settings.data_dir / "catalogue.sqlite3")
        outbox = Outbox(settings.data_dir / "outbox.sqlite3")
        try:
            async with BackendClient(settings.backend_url, settings.token, ca_file=settings.ca_file) as client:
                office = store.head().get("site", {}).get("name", "")
                app = KioskApp(KioskServices(store, outbox, client, printer=printer, scanner=scanner,
                                             office_name=office, idle_timeout=settings.idle_timeout))
                await app.async_run(async_lib="asyncio")
        finally:
            store.close()
            outbox.close()

    asyncio.run(main())


def cmd_demo(args: argparse.Namespace) -> None:
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
        load_sample_site(store, calendar, today(), all_day=True)
        terminal, token = Terminals(store).add("Demo kiosk", now())
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
        for line in (
            f"Demo backend (the sample site) listening on {url}; data in {folder}",
            f"Simulated receipt printer: each ticket is written to {printer.folder} as PNG and ESC/POS .bin",
            f"Terminal {terminal} token: {token}",
            f"Admin token: {admin_token}",
            "Sample dossier codes: " + ", ".join(codes[:5]) + ", ...",
            "The kiosk app is starting" + (" in a window." if args.windowed else " full screen.")
            + " Close it with Ctrl-C here.",
        ):
            _print(line)
        try:
            settings = KioskSettings(url, token, terminal, None, folder / "kiosk",
                                     idle_timeout=kiosk_settings(config).idle_timeout)
            _run_kiosk(settings, args.windowed, printer, scanner_settings(config))
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    _print("Demo stopped.")


def cmd_run(args: argparse.Namespace) -> None:
    config = load_config(args.config)
    settings = kiosk_settings(config, args.backend, args.token_file, args.data)
    if not settings.token:
        raise Failure("this kiosk has no terminal token: set [kiosk] token_file (from `kiosk terminal add`)")
    from .domain.terminal import PrinterSettings
    from .hardware.printer import PrinterError, open_printer

    section = config["printer"] if config.has_section("printer") else {}
    try:
        printer = open_printer(PrinterSettings(section.get("driver", "none"), section.get("profile", "TM-T20II"),
                                               section.get("address", "")))
    except PrinterError as error:
        raise Failure(f"[printer]: {error}") from None
    _run_kiosk(settings, args.windowed, printer, scanner_settings(config))


def cmd_import_catalogue(args: argparse.Namespace) -> None:
    from .backend.dvcqg import parse_dvcqg

    config = load_config(args.config)
    try:
        with open(args.file, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except OSError as error:
        raise Failure(f"cannot read {args.file}: {error.strerror or error}") from None
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, or nested past the parser
        raise Failure(f"{args.file} is not JSON ({error}); nothing was imported") from None
    store = _open_store(_backend_db(args, config))
    try:
        levels, fields = store.levels(), store.fields()
        if not levels:
            raise Failure("the backend has no administrative levels yet; load a site first (kiosk backend --sample-data)")
        try:
            parsed = parse_dvcqg(data, levels, fields)
        except ValueError as error:
            raise Failure(f"{args.file}: {error}; nothing was imported") from None
        version = store.add_procedures(parsed.procedures, parsed.fields) if parsed.procedures else store.catalogue_version
    finally:
        store.close()
    problems = [{"index": p.index, "code": p.code, "reason": p.reason} for p in parsed.problems]
    if args.json:
        _print(json.dumps({"imported": len(parsed.procedures), "new_fields": [f.code for f in parsed.fields],
                           "skipped": problems, "catalogue_version": version}, ensure_ascii=False))
        return
    _print(f"Imported {len(parsed.procedures)} procedures; catalogue version {version}.")
    if parsed.fields:
        _print("New fields: " + ", ".join(f"{f.code} {f.name}" for f in parsed.fields))
    for p in problems:
        _print(f"Skipped record {p['index']} ({p['code'] or 'no code'}): {p['reason']}")


def _terminals(args: argparse.Namespace):
    from .backend.terminals import Terminals

    store = _open_store(_backend_db(args, load_config(args.config)))
    return store, Terminals(store)


def cmd_terminal_add(args: argparse.Namespace) -> None:
    store, terminals = _terminals(args)
    try:
        terminal, token = terminals.add(args.name, now())
    finally:
        store.close()
    if args.json:
        _print(json.dumps({"id": terminal, "token": token}))
    else:
        _print(f"Terminal {terminal} ({args.name}) registered.")
        _print(f"Token (shown only now; put it in the kiosk's configuration): {token}")


def cmd_terminal_list(args: argparse.Namespace) -> None:
    store, terminals = _terminals(args)
    try:
        rows = terminals.list()
    finally:
        store.close()
    if args.json:
        _print(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else f"last seen {row['last_seen'] or 'never'}"
        _print(f"{row['id']:>4}  {row['name']}  ({state})")


def cmd_terminal_revoke(args: argparse.Namespace) -> None:
    store, terminals = _terminals(args)
    try:
        revoked = terminals.revoke(args.id, now())
    finally:
        store.close()
    if not revoked:
        raise Failure(f"no live terminal has the id {args.id}")
    _print(f"Terminal {args.id} revoked: its token no longer works.")


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
    store = _open_store(_backend_db(args, config))
    try:
        TicketQueue(store, working_calendar(config)).configure(queue_config)
    except ValueError as error:
        raise Failure(f"{args.file}: {error}") from None
    finally:
        store.close()
    _print(f"Queue configured: {len(queue_config.services)} services, {len(queue_config.counters)} counters.")


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
    from .client.api import BackendClient
    from .client.errors import BackendError
    from .client.store import CatalogueError
    from .client.sync import sync_all

    settings, store, outbox = _kiosk_data(args)

    async def run():
        async with BackendClient(settings.backend_url, settings.token, ca_file=settings.ca_file) as client:
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


def cmd_parse_scan(args: argparse.Namespace) -> None:
    from .domain.scan import parse_scan

    # "unknown" is an answer, not a failure: exit 0 for every kind.
    result = parse_scan(args.text)
    _print(result.to_json() if args.json else result.describe())


def cmd_card_reader(args: argparse.Namespace) -> None:
    from .hardware.card_reader import probe

    status = probe()
    if args.json:
        _print(json.dumps({"state": str(status.state), "readers": list(status.readers),
                           "with_card": list(status.with_card), "message_vi": status.message_vi,
                           "message_en": status.message_en}, ensure_ascii=False))
    else:
        _print(f"{status.message_vi} / {status.message_en}")
        for reader in status.readers:
            _print(f"  {reader}" + ("  [thẻ / card]" if reader in status.with_card else ""))
    if status.health != "ok":
        raise Failure(status.message_en)


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
        sub.add_argument("--config", metavar="PATH", help="configuration file (default: $KIOSK_CONFIG or config/kiosk.ini)")
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

    run = command("run", cmd_run, "Run the kiosk app against the backend in the configuration.")
    kiosk_options(run)
    run.add_argument("--windowed", action="store_true", help="a window instead of full screen")

    backend = command("backend", cmd_backend, "Run the reference central backend.")
    backend.add_argument("--db", metavar="PATH", help="SQLite file (created if missing)")
    backend.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    backend.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one and prints it)")
    backend.add_argument("--sample-data", action="store_true", help="load the sample site into an empty database")
    backend.add_argument("--admin-token-file", metavar="PATH", help="file holding the admin token (16+ characters)")

    terminal = command("terminal", None, "Register, list and revoke the kiosks that may use the backend.")
    terminal_commands = terminal.add_subparsers(dest="terminal_command", metavar="ACTION", required=True)
    for name, handler, text in (
        ("add", cmd_terminal_add, "Register a terminal and print its token, once."),
        ("list", cmd_terminal_list, "List the terminals."),
        ("revoke", cmd_terminal_revoke, "Revoke a terminal's token."),
    ):
        sub = terminal_commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", metavar="PATH", help="the backend's SQLite file")
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
        sub.set_defaults(handler=handler)
        if name == "add":
            sub.add_argument("name", metavar="NAME")
        if name == "revoke":
            sub.add_argument("id", metavar="ID", type=int)
        if name != "revoke":
            sub.add_argument("--json", action="store_true", help="machine-readable output")

    sync = command("sync", cmd_sync, "Bring this kiosk's catalogue up to date and send its outbox.")
    kiosk_options(sync)
    sync.add_argument("--json", action="store_true", help="machine-readable output")

    search = command("search", cmd_search, "Search the kiosk's catalogue as a citizen would.")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--level", help="only procedures of this level code (province, district, commune...)")
    search.add_argument("--field", help="only procedures of this field code (HOTICH, DATDAI...)")
    search.add_argument("--limit", type=int, default=20, help="how many results (default 20)")
    kiosk_options(search, backend=False)
    search.add_argument("--json", action="store_true", help="machine-readable output: ranked codes and names")

    parse = command("parse-scan", cmd_parse_scan,
                    "What a scanned text is: dossier code, citizen ID card, queue ticket, or unknown.")
    parse.add_argument("text", metavar="TEXT")
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

    queue = command("queue", None, "The centre's queue.")
    queue_commands = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    configure = queue_commands.add_parser(
        "configure", help="Set services, counters and priority categories from a JSON file.",
        description="Set services, counters and priority categories from a JSON file "
                    "(see kiosk/backend/sample_data/queue.json).")
    configure.add_argument("file", metavar="FILE")
    configure.add_argument("--db", metavar="PATH", help="the backend's SQLite file")
    configure.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="configuration file")
    configure.set_defaults(handler=cmd_queue_configure)

    importer = command("import-catalogue", cmd_import_catalogue,
                       "Import procedures from a national procedure database (DVCQG) JSON file.")
    importer.add_argument("file", metavar="FILE")
    importer.add_argument("--db", metavar="PATH", help="the backend's SQLite file")
    importer.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Set before any library does it its way (python-escpos 3.1 calls basicConfig on import).
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True)
    try:
        args.handler(args)
    except (Failure, ConfigError) as error:
        print(f"kiosk {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
