"""The embedded runtime: emulator + data resources + functions + gateway + event pump, from cdk.out."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ventanilla_local.emulator import Emulator, Physical, provision, wire_rules
from ventanilla_local.faults import PROVIDERS, FaultInjector, caller_key
from ventanilla_local.functions import FunctionPool
from ventanilla_local.gateway import COGNITO_PATH, Gateway, LocalKey
from ventanilla_local.outbox import WhatsAppStub, emulator_messages
from ventanilla_local.pump import EventPump
from ventanilla_local.scheduler import Scheduler
from ventanilla_local.signin import CLIENT_ID, LocalSignIn
from ventanilla_local.streams import StreamPoller, start_pollers
from ventanilla_local.template import QUEUE, SECRET, AppTemplate, load
from ventanilla_local.ttl import TimeToLive

log = logging.getLogger("ventanilla")

OPEN311_CLIENT = "open311"
OPEN311_SECRET_PREFIX = "DataOpen311Keys"  # noqa: S105 - a logical id prefix
CHANNEL_SECRETS_PREFIX = "DataChannelSecrets"
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "TMPDIR", "VIRTUAL_ENV")


def load_or_create_keys(template: AppTemplate, state_dir: Path) -> dict[str, LocalKey]:
    """Local API keys by ApiKey logical id, kept in <state>/keys.json (created on first run, mode 0600)."""
    path = state_dir / "keys.json"
    saved: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    keys = {}
    for spec in template.api_keys:
        entry = saved.get(spec.client) or {"id": f"local{secrets.token_hex(5)}", "value": secrets.token_urlsafe(30)}
        saved[spec.client] = entry
        keys[spec.logical_id] = LocalKey(key_id=entry["id"], value=entry["value"], client=spec.client)
    state_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=2, sort_keys=True))
    path.chmod(0o600)
    return keys


class LocalRuntime:
    def __init__(
        self,
        cdk_out: Path,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        emulator_endpoint: str | None = None,
        concurrency: int = 2,
    ) -> None:
        self.template = load(cdk_out)
        self.state_dir = state_dir
        self.host, self.port = host, port
        self.faults = FaultInjector(spec.name for spec in self.template.functions.values())
        self.emulator = Emulator(emulator_endpoint, middleware=self.faults.middleware)
        self.concurrency = concurrency
        self.prefix = f"vtl{secrets.token_hex(3)}"
        self.physical = Physical()
        self.pools: dict[str, FunctionPool] = {}
        self.keys: dict[str, LocalKey] = {}
        self.open311_key: str | None = None
        self.provider_secrets: dict[str, str] = {}
        self.gateway: Gateway | None = None
        self.pump: EventPump | None = None
        self.pollers: list[StreamPoller] = []
        self.scheduler: Scheduler | None = None
        self.whatsapp = WhatsAppStub()  # always on the loopback
        self.signin: LocalSignIn | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> LocalRuntime:
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.emulator.start()
        self.physical = provision(self.template, self.emulator, self.prefix)
        self.keys = load_or_create_keys(self.template, self.state_dir)
        self.signin = LocalSignIn.for_template(self.template.resources, self.state_dir)
        for logical_id, key in self.keys.items():
            self.physical.refs[logical_id] = key.key_id
        self.open311_key = self._register_open311_key()
        self.provider_secrets = self._seed_provider_secrets()
        self.whatsapp.access_token = self.provider_secrets.get("whatsapp_access_token", "")
        self.whatsapp.phone_number_id = self.provider_secrets.get("whatsapp_phone_number_id", "")
        self.whatsapp.start()
        self._verify_email_senders()
        for logical_id, spec in self.template.functions.items():
            self.pools[logical_id] = FunctionPool(
                spec, self.function_environment(logical_id), self.state_dir / "logs", self.concurrency
            )
        inboxes = wire_rules(self.template, self.emulator, self.prefix, self.physical)
        self.time_to_live = TimeToLive(self.template, self.emulator, self.physical)
        self.scheduler = Scheduler(self.template, self.pools, housekeeping=[self.time_to_live.sweep])
        self.pump = EventPump(
            self.template,
            self.emulator,
            self.physical,
            inboxes,
            self.pools,
            clock_offset=self.scheduler.offset,
            faults=self.faults.lambda_fault,
        )
        self.pump.start()
        self.pollers = start_pollers(
            self.template, self.emulator, self.physical, self.pools, faults=self.faults.lambda_fault
        )
        self.scheduler.start()
        self.gateway = Gateway(
            self.template,
            self.pools,
            self.keys,
            self.host,
            self.port,
            clock=self.advance_clock,
            outbox=self.outbox,
            faults=self.fault,
            idle=self.settle,
            console=self.console_config,
            console_dir=self._build_console(),
            signin=self.signin,
        )
        self.gateway.start()
        self._write_state()
        return self

    def stop(self) -> None:
        """Stop whatever was started (safe after a failed start)."""
        if self.gateway:
            self.gateway.stop()
        if self.pump:
            self.pump.stop()
        for poller in self.pollers:
            poller.stop()
        if self.scheduler:
            self.scheduler.stop()
        for pool in self.pools.values():
            pool.stop()
        self.whatsapp.stop()
        self.emulator.stop()
        (self.state_dir / "state.json").unlink(missing_ok=True)

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- what callers need ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.gateway is not None, "runtime not started"
        return self.gateway.url

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The environment the template gives the function, resolved to local names, plus Lambda's own."""
        spec = self.template.functions[logical_id]
        environment = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        environment.update(self.emulator.environment(access_key_id=caller_key(spec.name)))
        environment.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": self.physical.refs[logical_id],
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_EXECUTION_ENV": "AWS_Lambda_python_local",
                "POWERTOOLS_TRACE_DISABLED": "true",  # there is no X-Ray daemon locally
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        environment.update({name: str(self.physical.resolve(value)) for name, value in spec.environment.items()})
        if "SENTIMENT_BACKEND" in environment:
            environment["SENTIMENT_BACKEND"] = "local"  # the emulator's Comprehend returns canned answers
        if "WHATSAPP_API_URL" in environment:
            environment["WHATSAPP_API_URL"] = self.whatsapp.url  # the local stand-in for the Cloud API
        return environment

    def warm(self) -> None:
        """Start one worker per function now, in parallel (cold starts overlap instead of queueing)."""
        with ThreadPoolExecutor(max_workers=len(self.pools) or 1) as pool:
            list(pool.map(lambda p: p.warm(), self.pools.values()))

    def invoke(self, function_name: str, event: Any) -> Any:
        """Invoke a function directly, as `aws lambda invoke` would."""
        return self.pools[self.template.function_by_name(function_name).logical_id].invoke(event)

    def operator_token(self, username: str = "supervisora") -> str:
        """An ID token of a local operator (what signing in to the console gives), for scripts and the seed."""
        assert self.signin is not None, "runtime not started"
        return self.signin.token_for(username)

    def client_keys(self) -> dict[str, str]:
        """API key value by client (channel name, `operator`, and `open311` for the Open311 form's api_key)."""
        keys = {key.client: key.value for key in self.keys.values()}
        if self.open311_key:
            keys[OPEN311_CLIENT] = self.open311_key
        return keys

    def _seed_provider_secrets(self) -> dict[str, str]:
        """Local values for the channel providers' secrets (kept in keys.json, printed by `ventanilla keys`), so a
        test or a provider SDK can sign requests exactly as WhatsApp, Meta, Twilio or SNS would."""
        secret_id = next((lid for lid in self.template.of_type(SECRET) if lid.startswith(CHANNEL_SECRETS_PREFIX)), None)
        if secret_id is None:
            return {}
        names = json.loads(self.template.resources[secret_id]["Properties"]["SecretString"])
        path = self.state_dir / "keys.json"
        saved = json.loads(path.read_text())
        values = {}
        for name in names:
            entry = saved.setdefault(name, {"id": "provider-secret", "value": secrets.token_urlsafe(24)})
            values[name] = str(entry["value"])
        path.write_text(json.dumps(saved, indent=2, sort_keys=True))
        self.emulator.client("secretsmanager").put_secret_value(
            SecretId=self.physical.refs[secret_id], SecretString=json.dumps(values)
        )
        return values

    def _verify_email_senders(self) -> None:
        """Verify each function's NOTIFY_EMAIL_FROM in the emulator's SES, as the agency verifies it in AWS."""
        ses = self.emulator.client("ses")
        for spec in self.template.functions.values():
            sender = spec.environment.get("NOTIFY_EMAIL_FROM")
            if isinstance(sender, str):
                ses.verify_email_identity(EmailAddress=sender)

    def _build_console(self) -> Path | None:
        """The operator console, built from console/src (when this checkout has it)."""
        try:
            from console.build import build, is_stale
        except ImportError:  # an installed CLI without the repository
            return None
        out = self.state_dir / "console"
        try:
            return build(out) if is_stale(out) else out
        except RuntimeError as error:
            log.warning("%s", error)
            return None

    def console_config(self) -> dict[str, Any]:
        """What the console reads at start (in AWS the console stack writes the same file to its bucket)."""
        keys = self.client_keys()
        return {
            "apiUrl": "",
            "apiKey": keys.get("console") or keys.get("operator", ""),
            "auth": {"url": COGNITO_PATH, "clientId": CLIENT_ID} if self.signin and self.signin.operators else None,
        }

    def outbox(self) -> list[dict[str, Any]]:
        """Every message the stack sent to citizens: email and SMS from the emulator, WhatsApp from the stand-in."""
        messages = emulator_messages(self.emulator.endpoint, self.emulator.external) + self.whatsapp.sent()
        return [asdict(m) for m in messages]

    def fault(self, request: dict[str, Any] | None = None) -> dict[str, Any]:
        """Set a fault (`ventanilla fault`, ventanilla_local/faults.py), or with no request say what is set and
        what was injected. `{"provider": "all", "failures": 0}` switches every fault off."""
        if request is None:
            state = self.faults.state()
            state["providers"]["whatsapp"] = self._whatsapp_fault()
            return state
        provider = str(request.get("provider", ""))
        if provider == "all":
            if request.get("failures", 0) != 0:
                raise ValueError("all takes failures 0 (every fault off); set the others one provider at a time")
            self.faults.clear()
            self.whatsapp.fail(0)
            return {"provider": "all", "failures": 0, "description": "every fault off"}
        if provider == "whatsapp":
            failures = request.get("failures", 0)
            if isinstance(failures, bool) or not isinstance(failures, int) or failures < -1:
                raise ValueError("failures is a count, -1 (until switched off) or 0 (off)")
            self.whatsapp.fail(failures)
            return self._whatsapp_fault()
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}: one of {', '.join(PROVIDERS)} (or all, with failures 0)")
        return self.faults.configure(request)

    def _whatsapp_fault(self) -> dict[str, Any]:
        failing = self.whatsapp.failing
        description = "every send fails" if failing < 0 else f"the next {failing} sends fail" if failing else "working"
        return {"provider": "whatsapp", "failures": failing, "description": description}

    def _register_open311_key(self) -> str | None:
        """A local Open311 client key (kept in keys.json), its SHA-256 put in the Open311Keys secret as an
        agency administrator would."""
        secret_id = next((lid for lid in self.template.of_type(SECRET) if lid.startswith(OPEN311_SECRET_PREFIX)), None)
        if secret_id is None:
            return None
        path = self.state_dir / "keys.json"
        saved = json.loads(path.read_text())
        entry = saved.setdefault(OPEN311_CLIENT, {"id": OPEN311_CLIENT, "value": secrets.token_urlsafe(30)})
        path.write_text(json.dumps(saved, indent=2, sort_keys=True))
        digest = hashlib.sha256(entry["value"].encode()).hexdigest()
        self.emulator.client("secretsmanager").put_secret_value(
            SecretId=self.physical.refs[secret_id],
            SecretString=json.dumps({"keys": [{"client": "local", "sha256": digest}]}),
        )
        return str(entry["value"])

    def resource_name(self, resource_type: str) -> str:
        """Physical name of the template's only resource of a type (e.g. the table)."""
        (logical_id,) = self.template.of_type(resource_type)
        return self.physical.refs[logical_id]

    def wait_idle(self, timeout: float = 30.0, settle: float = 0.3) -> bool:
        """Wait until every published event has been delivered (checked twice, `settle` apart)."""
        assert self.pump is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle():
                time.sleep(settle)
                if self._idle():
                    return True
            time.sleep(0.1)
        return False

    def settle(self, timeout: float = 60.0) -> dict[str, Any]:
        """Wait until idle (`/__ventanilla/idle`), and say what the event pump did so far."""
        idle = self.wait_idle(timeout=timeout)
        assert self.pump is not None
        failed = Counter(self.pump.failed_attempts)
        for poller in self.pollers:
            failed.update(poller.failed_attempts)
        return {
            "idle": idle,
            "deliveries": {
                "delivered": self.pump.delivered,
                "failed_attempts": dict(failed),
                "parked": self.pump.dead_lettered,
            },
            "streams": {
                p.mapping.logical_id: {
                    "delivered": p.delivered,
                    "filtered_out": p.filtered_out,
                    "parked": p.dead_lettered,
                    "failed_attempts": dict(p.failed_attempts),
                }
                for p in self.pollers
            },
        }

    def advance_clock(self, by: timedelta | None) -> datetime:
        """The clock every timer reads; with `by`, move it forward and run what fell due, then settle."""
        assert self.scheduler is not None, "runtime not started"
        if by is None:
            return self.scheduler.now()
        self.wait_idle(timeout=30)
        moment = self.scheduler.advance(by)
        self.wait_idle(timeout=30)
        return moment

    def _idle(self) -> bool:
        """Streams first: an event a stream's function published before its poller went idle is in a rule queue by
        the time the pump is asked."""
        assert self.pump is not None
        return all(p.idle() for p in self.pollers) and self.pump.idle()

    def _write_state(self) -> None:
        state = {
            "api_url": self.url,
            "emulator_endpoint": self.emulator.endpoint,
            "pid": os.getpid(),
            "resource_prefix": self.prefix,
            "template": str(self.template.path),
            # what `ventanilla import` / `export-links` need to run the identity code against this stack
            "identity_environment": {
                **self.function_environment(self.template.function_by_name("identity").logical_id),
                # the CLI's own key: a fault set for the identity function's calls is not one for the operator's
                "AWS_ACCESS_KEY_ID": caller_key("cli"),
            },
            "dead_letter_queue_url": next(iter(self.physical.refs[q] for q in self.template.of_type(QUEUE)), None),
        }
        path = self.state_dir / "state.json"
        path.write_text(json.dumps(state, indent=2))
        path.chmod(0o600)
