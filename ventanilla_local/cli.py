"""`ventanilla`: the developer command-line tool (local runtime). Never deployed.

ventanilla up      synthesize, start the embedded runtime, seed the sample, serve until Ctrl-C
ventanilla keys    print the local per-channel API keys as CHANNEL=KEY lines
ventanilla synth   synthesize the CDK app into cdk.out
ventanilla clock   show the running stack's clock, or `clock advance 3d` to run what falls due
ventanilla dlq     list what was parked in the dead-letter queue, or `dlq redrive` it (events back on the bus, parked
                   batches of the table's stream re-read and announced again)
ventanilla outbox  list the messages the running stack sent to citizens (captured, not delivered)
ventanilla fault   make part of the stack fail: `fault events|dynamodb|ses|sns|lambda|whatsapp on|off|N`
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ventanilla_local.faults import PROVIDERS as FAULT_PROVIDERS

STATE_DIR = ".ventanilla"


def project_root() -> Path:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "cdk.json").is_file() and (folder / "ventanilla_local").is_dir():
            return folder
    return Path(__file__).resolve().parent.parent


def synth(root: Path, output: Path | None = None) -> Path:
    """Run `cdk synth` with the pinned CLI; returns the cloud assembly directory."""
    cdk = root / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
    environment = dict(os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    environment.setdefault("CDK_DISABLE_VERSION_CHECK", "1")
    out = output or root / "cdk.out"
    subprocess.run([str(cdk), "synth", "--quiet", "--output", str(out)], cwd=root, check=True, env=environment)
    return out


def command_up(args: argparse.Namespace) -> int:
    from ventanilla_local.runtime import LocalRuntime
    from ventanilla_local.seed import seed, summarise, summarise_cases

    root = project_root()
    cdk_out = Path(args.cdk_out) if args.cdk_out else root / "cdk.out"
    if not args.no_synth:
        print(f"Synthesizing the CDK app into {cdk_out} ...", flush=True)
        synth(root, cdk_out)
    state_dir = Path(args.state_dir) if args.state_dir else root / STATE_DIR
    runtime = LocalRuntime(cdk_out, state_dir, host=args.host, port=args.port)
    try:
        runtime.start()
    except OSError as error:
        runtime.stop()
        print(
            f"Cannot serve on {args.host}:{args.port}: {error.strerror}. Try --port 0 (any free port).", file=sys.stderr
        )
        return 1
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        emulator = "external emulator " if runtime.emulator.external else "embedded emulator (moto) "
        print(f"AWS side: {emulator}at {runtime.emulator.endpoint}", flush=True)
        print(f"Functions: {', '.join(sorted(f.name for f in runtime.template.functions.values()))}", flush=True)
        runtime.warm()
        if not args.no_seed:
            report = seed(runtime)
            runtime.wait_idle(timeout=180)
            total = sum(report.accepted.values())
            by_channel = ", ".join(f"{c} {n}" for c, n in sorted(report.accepted.items()))
            print(f"Seeded {total} sample touchpoints ({by_channel})", flush=True)
            for problem in report.rejected:
                print(f"  rejected: {problem}", flush=True)
            for line in summarise(runtime, report):
                print(line, flush=True)
            cases = summarise_cases(runtime, report)
            if cases:
                print(
                    f"Cases across channels ({report.operator_actions} operator actions on the case API):", flush=True
                )
                for line in cases:
                    print(line, flush=True)
        print(f"\nVentanilla API: {runtime.url}", flush=True)
        print(f"  OpenAPI: {runtime.url}/v1/openapi.json   Swagger UI: {runtime.url}/v1/docs", flush=True)
        print(
            f"  Context: {runtime.url}/v1/context?phone=5512345678   Open311: {runtime.url}/open311/v2/services.json",
            flush=True,
        )
        print(
            f"  Console: {runtime.url}/console/ (sign in as supervisora, agente or auditora: passwords in `make keys`)",
            flush=True,
        )
        print("  API keys: `ventanilla keys` (or `make keys`); logs: .ventanilla/logs/", flush=True)
        print(
            "  Messages to citizens: `ventanilla outbox` (22:00-08:00 Mexico City they wait for the morning: "
            "`ventanilla clock advance 10h`)",
            flush=True,
        )
        print("Serving until Ctrl-C.", flush=True)
        stopped.wait()
    finally:
        print("Stopping ...", flush=True)
        runtime.stop()
    return 0


def command_keys(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir) if args.state_dir else project_root() / STATE_DIR
    path = state_dir / "keys.json"
    if not path.exists():
        print("No local keys yet: run `ventanilla up` (make up) first.", file=sys.stderr)
        return 1
    for client, entry in sorted(json.loads(path.read_text()).items()):
        if entry.get("id") != "local-jwt":  # the local token-signing key is not for people
            print(f"{client}={entry['value']}")
    return 0


def _control_url(args: argparse.Namespace, path: str) -> str | None:
    """The running local stack's control endpoint `path`, or None (with a hint) when nothing runs."""
    state_dir = Path(args.state_dir) if args.state_dir else project_root() / STATE_DIR
    state_file = state_dir / "state.json"
    if not state_file.exists():
        print("No running local stack: run `ventanilla up` (make up) first.", file=sys.stderr)
        return None
    return str(json.loads(state_file.read_text())["api_url"]) + path


def command_outbox(args: argparse.Namespace) -> int:
    """What the running local stack sent to citizens: email and SMS kept by the emulator, WhatsApp by the stand-in."""
    import requests

    url = _control_url(args, "/__ventanilla/outbox")
    if url is None:
        return 1
    response = requests.get(url, timeout=30)
    if not response.ok:
        print(f"outbox: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    messages = response.json()["messages"]
    if args.json:
        print(json.dumps(messages, ensure_ascii=False, indent=2))
        return 0
    if not messages:
        print("Nothing sent yet.")
    for message in messages:
        subject = f" [{message['subject']}]" if message.get("subject") else ""
        print(f"{message['channel']:<9} {message['to']:<32}{subject}")
        for line in str(message["body"]).splitlines() or [""]:
            print(f"    {line}")
    return 0


def command_fault(args: argparse.Namespace) -> int:
    """Make part of the running stack fail (ventanilla_local/faults.py), or show what is failing."""
    import requests

    url = _control_url(args, "/__ventanilla/faults")
    if url is None:
        return 1
    if args.provider is None:
        response = requests.get(url, timeout=30)
        if not response.ok:
            print(f"fault: {response.status_code} {response.text}", file=sys.stderr)
            return 1
        for provider, fault in response.json()["providers"].items():
            injected = fault.get("injected") or {}
            tally = f"  [{injected['failed']} of {injected['calls']} failed]" if injected.get("calls") else ""
            print(f"{provider:<9} {fault['description']}{tally}")
        return 0
    mode = (args.mode or "").lower()
    if mode not in ("on", "off") and not mode.isdigit():
        print(f"Say on, off or a number of failures: `ventanilla fault {args.provider} 3`.", file=sys.stderr)
        return 2
    request: dict[str, Any] = {
        "provider": args.provider,
        "failures": -1 if mode == "on" else 0 if mode == "off" else int(mode),
    }
    for option in ("rate", "partial", "code", "seed"):
        if getattr(args, option) is not None:
            request[option] = getattr(args, option)
    if args.only:
        request["operations"] = args.only.split(",")
    if args.functions:
        request["functions"] = args.functions.split(",")
    response = requests.post(url, json=request, timeout=30)
    if not response.ok:
        detail = response.json().get("error") if response.headers.get("content-type") == "application/json" else None
        print(f"fault: {detail or response.text}", file=sys.stderr)
        return 1
    print(f"{args.provider}: {response.json()['description']}")
    return 0


def command_clock(args: argparse.Namespace) -> int:
    """The clock every timer of the running local stack reads (`make up` in another terminal)."""
    import requests

    state_dir = Path(args.state_dir) if args.state_dir else project_root() / STATE_DIR
    state_file = state_dir / "state.json"
    if not state_file.exists():
        print("No running local stack: run `ventanilla up` (make up) first.", file=sys.stderr)
        return 1
    url = json.loads(state_file.read_text())["api_url"] + "/__ventanilla/clock"
    if args.action == "advance":
        if not args.by:
            print("Say how far: `ventanilla clock advance 3d` (d, h, m).", file=sys.stderr)
            return 2
        response = requests.post(url, json={"advance": args.by}, timeout=120)
    else:
        response = requests.get(url, timeout=30)
    if not response.ok:
        print(f"clock: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    print(f"now {response.json()['now']}")
    return 0


def command_dlq(args: argparse.Namespace) -> int:
    """List what the running local stack parked in its dead-letter queue, or redrive it onto the bus."""
    from ventanilla_local import bulk, dlq

    state_dir = Path(args.state_dir) if args.state_dir else project_root() / STATE_DIR
    target = bulk.local_target(state_dir)
    queue_url = json.loads((state_dir / "state.json").read_text()).get("dead_letter_queue_url")
    if not queue_url:
        print("This stack has no dead-letter queue.", file=sys.stderr)
        return 1
    sqs = target.client("sqs")
    if args.action == "redrive":
        report = dlq.redrive(
            sqs, target.client("events"), queue_url, target.event_bus_name, streams=target.client("dynamodbstreams")
        )
        print(
            f"redriven {report.events} events onto the bus ({report.announced} touchpoints announced again from "
            f"{report.batches} parked table-stream batches); {report.left} messages left (see `dlq list`)"
        )
        for reason in report.reasons:
            print(f"  left {reason}")
        return 0
    parked = dlq.peek(sqs, queue_url)
    if not parked:
        print("The dead-letter queue is empty.")
    for item in parked:
        what = f"{item.kind:<12} {item.detail_type or '-':<22} {item.target or '-':<12}"
        print(f"{item.message_id}  {what} {item.error or ''}")
    return 0


def _target(args: argparse.Namespace) -> Any:
    from ventanilla_local import bulk

    if args.stack:
        return bulk.stack_target(args.stack, args.region)
    return bulk.local_target(Path(args.state_dir) if args.state_dir else project_root() / STATE_DIR)


def command_import(args: argparse.Namespace) -> int:
    from ventanilla_local import bulk

    path = Path(args.file)
    if not path.is_file():
        print(f"No such file: {path}", file=sys.stderr)
        return 2
    report = bulk.import_file(path, bulk.engine_for(_target(args)), progress=not args.quiet)
    for number, problem in report.errors:
        print(f"line {number}: {problem}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors and not report.imported else 0


def command_export_links(args: argparse.Namespace) -> int:
    from ventanilla_local import bulk

    target = _target(args)
    written = bulk.export_links(Path(args.out), bulk.engine_for(target), target.table_name, target.client("dynamodb"))
    print(f"{written} touchpoint links written to {args.out}")
    return 0


def command_citizen(args: argparse.Namespace) -> int:
    """A citizen's export, run with the caller's credentials (local stack or --stack) and audited as the caller."""
    import getpass

    from shared.auth import SUPERVISOR, Caller
    from shared.exceptions import NotFoundError
    from ventanilla_local import bulk

    service = bulk.privacy_service(_target(args))
    caller = Caller(actor=f"cli:{getpass.getuser()}", roles=frozenset({SUPERVISOR}), client="ventanilla-cli")
    try:
        document = service.export(args.citizen_id, caller, "CLI ventanilla citizen export")
    except NotFoundError as error:
        print(f"citizen export: {error}", file=sys.stderr)
        return 1
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        counts = ", ".join(f"{len(document[k])} {k}" for k in ("touchpoints", "cases", "notifications", "access_log"))
        print(f"{document['citizen_id']}: {counts} written to {args.out}")
    else:
        print(text)
    return 0


def command_synth(_: argparse.Namespace) -> int:
    synth(project_root())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ventanilla", description="Ventanilla developer tool (local runtime)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run Ventanilla locally on the embedded emulator with sample data")
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=3000, help="API port (default 3000; 0 picks a free one)")
    up.add_argument("--no-seed", action="store_true", help="do not load the bundled sample")
    up.add_argument("--no-synth", action="store_true", help="use the existing cdk.out")
    up.add_argument("--state-dir", help="where keys, logs and state go (default .ventanilla/)")
    up.add_argument("--cdk-out", help="cloud assembly directory (default cdk.out/)")
    up.set_defaults(run=command_up)
    keys = commands.add_parser("keys", help="print local API keys as CHANNEL=KEY lines")
    keys.add_argument("--state-dir")
    keys.set_defaults(run=command_keys)
    commands.add_parser("synth", help="synthesize the CDK app").set_defaults(run=command_synth)
    clock = commands.add_parser(
        "clock", help="show the running stack's clock, or `clock advance 3d` to run what falls due"
    )
    clock.add_argument("action", nargs="?", choices=("show", "advance"), default="show")
    clock.add_argument("by", nargs="?", help="with advance: 3d, 12h, 90m")
    clock.add_argument("--state-dir")
    clock.set_defaults(run=command_clock)
    dead = commands.add_parser("dlq", help="list what the local stack parked after its retries, or redrive it")
    dead.add_argument("action", nargs="?", choices=("list", "redrive"), default="list")
    dead.add_argument("--state-dir")
    dead.set_defaults(run=command_dlq)
    outbox = commands.add_parser("outbox", help="list the messages the local stack sent to citizens")
    outbox.add_argument("--json", action="store_true", help="as JSON")
    outbox.add_argument("--state-dir")
    outbox.set_defaults(run=command_outbox)
    fault = commands.add_parser(
        "fault",
        help="make part of the local stack fail: `fault events 5`, `fault dynamodb on --rate 0.3`, "
        "`fault whatsapp off`, `fault all off`; no arguments: what is failing",
    )
    fault.add_argument("provider", nargs="?", choices=(*FAULT_PROVIDERS, "all"))
    fault.add_argument("mode", nargs="?", help="on (every call fails), off, or N (the next N calls fail)")
    fault.add_argument("--rate", type=float, help="the chance a matching call fails (default 1)")
    fault.add_argument("--partial", type=float, help="events: share of failures answered as a partial PutEvents")
    fault.add_argument("--code", help="the error code to answer with (default: drawn from the provider's)")
    fault.add_argument("--only", help="operations, comma-separated (e.g. PutItem,TransactWriteItems)")
    fault.add_argument("--functions", help="only these functions' calls (lambda: these targets), comma-separated")
    fault.add_argument("--seed", type=int, help="reseed the fault generator (same calls, same failures)")
    fault.add_argument("--state-dir")
    fault.set_defaults(run=command_fault)
    citizen = commands.add_parser("citizen", help="a citizen's data: `citizen export ID` (right of access)")
    citizen.add_argument("action", choices=("export",))
    citizen.add_argument("citizen_id")
    citizen.add_argument("--out", help="write the JSON document here (default: print it)")
    citizen.add_argument("--state-dir", help="local stack state (default .ventanilla/)")
    citizen.add_argument("--stack", help="a deployed stack's name instead of the local stack")
    citizen.add_argument("--region", help="AWS region of --stack")
    citizen.set_defaults(run=command_citizen)
    for name, help_text, argument, runner in (
        ("import", "load touchpoints in the interchange format (JSON lines), in file order", "file", command_import),
        ("export-links", "write one {touchpoint_id, citizen_id} line per touchpoint", "out", command_export_links),
    ):
        bulk_command = commands.add_parser(name, help=help_text)
        bulk_command.add_argument(argument)
        bulk_command.add_argument("--state-dir", help="local stack state (default .ventanilla/)")
        bulk_command.add_argument("--stack", help="a deployed stack's name instead of the local stack")
        bulk_command.add_argument("--region", help="AWS region of --stack")
        bulk_command.add_argument("--quiet", action="store_true", help="no progress bar")
        bulk_command.set_defaults(run=runner)
    args = parser.parse_args(argv)
    root = str(project_root())
    if root not in sys.path:
        sys.path.insert(0, root)  # bulk commands run the project's shared code in this process
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
