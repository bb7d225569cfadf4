"""The API Gateway part: HTTP on 127.0.0.1 turned into REST proxy events for the mapped functions.

Routes, API-key requirements, usage-plan throttles and gateway error responses all come from the
template. Besides them it serves the combined OpenAPI document and Swagger UI (local only).
"""

from __future__ import annotations

import base64
import json
import logging
import mimetypes
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ventanilla_local.functions import FunctionError, FunctionPool
from ventanilla_local.scheduler import parse_duration
from ventanilla_local.signin import LocalSignIn
from ventanilla_local.template import AppTemplate, Route

log = logging.getLogger("ventanilla.gateway")

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
SWAGGER_DIR = Path(__file__).resolve().parent.parent / "node_modules" / "swagger-ui-dist"
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ventanilla API</title>
<link rel="stylesheet" href="/v1/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/v1/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/v1/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>
"""


@dataclass(frozen=True)
class LocalKey:
    key_id: str
    value: str
    client: str


class _Bucket:
    """Token bucket for a usage plan's rate and burst limits."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.capacity = rate, max(1, burst)
        self.tokens, self.stamp = float(self.capacity), time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


CLOCK_PATH = "/__ventanilla/clock"
OUTBOX_PATH = "/__ventanilla/outbox"
FAULTS_PATH = "/__ventanilla/faults"
IDLE_PATH = "/__ventanilla/idle"
COGNITO_PATH = "/__ventanilla/cognito"  # the local stand-in for cognito-idp's InitiateAuth
LOOPBACK = ("127.0.0.1", "::1")
# The console loads nothing from elsewhere: its own scripts, styles and the API on the same origin.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
JSON = {"Content-Type": "application/json"}


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of concurrent clients (a channel system's retries, a
    # provider's webhook storm) would see connections reset, which API Gateway never does.
    request_queue_size = 256
    daemon_threads = True


class Gateway:
    def __init__(
        self,
        template: AppTemplate,
        pools: dict[str, FunctionPool],
        keys: dict[str, LocalKey],
        host: str,
        port: int,
        clock: Callable[[timedelta | None], datetime] | None = None,
        outbox: Callable[[], list[dict[str, Any]]] | None = None,
        faults: Callable[[dict[str, Any] | None], dict[str, Any]] | None = None,
        idle: Callable[[float], dict[str, Any]] | None = None,
        console: Callable[[], dict[str, Any]] | None = None,
        console_dir: Path | None = None,
        signin: LocalSignIn | None = None,
    ) -> None:
        self._signin = signin
        self._console_config = console
        self._console_dir = console_dir
        self.template = template
        self._clock = clock
        self._outbox = outbox
        self._faults = faults
        self._idle = idle
        self.pools = pools
        self._keys_by_value = {k.value: k for k in keys.values()}
        self._buckets = self._throttles(keys)
        self._server = _Server((host, port), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._openapi: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def _throttles(self, keys: dict[str, LocalKey]) -> dict[str, _Bucket]:
        buckets = {}
        by_logical = {logical: key for logical, key in keys.items()}
        for plan in self.template.usage_plans:
            if plan.rate_limit is None:
                continue
            for logical in plan.key_ids:
                if logical in by_logical:
                    buckets[by_logical[logical].value] = _Bucket(float(plan.rate_limit), int(plan.burst_limit or 1))
        return buckets

    # -- request handling -------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes | None, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(raw_path)
        path = re.sub(r"/{2,}", "/", url.path)
        if method == "GET" and (path in ("/v1/openapi.json", "/v1/docs") or path.startswith("/v1/docs/")):
            return self._local_page(path)
        if method == "GET" and (path == "/console" or path.startswith("/console/")):
            return self._console_page(path)
        if path.startswith("/__ventanilla/") and source_ip in LOOPBACK:
            local = self._control(method, path, body)
            if local is not None:
                return local
        context = {"httpMethod": method, "path": path, "requestId": str(uuid.uuid4())}
        if body is None:
            return self._gateway_response("REQUEST_TOO_LARGE", context, "Request Too Long")
        route, params = self._match(method, path)
        if route is None:
            return self._gateway_response("MISSING_AUTHENTICATION_TOKEN", context, "Missing Authentication Token")
        claims = None
        if route.cognito:  # API Gateway's Cognito authorizer: no valid token, no call
            claims = self._signin.claims(headers.get("authorization")) if self._signin else None
            if claims is None:
                return self._gateway_response("UNAUTHORIZED", context, "Unauthorized", status=401)
        key = self._keys_by_value.get(headers.get("x-api-key", ""))
        if route.api_key_required:
            if key is None:
                return self._gateway_response("INVALID_API_KEY", context, "Forbidden")
            bucket = self._buckets.get(key.value)
            if bucket is not None and not bucket.take():
                return self._gateway_response("THROTTLED", context, "Too Many Requests")
        event = self._proxy_event(route, method, path, url.query, params or {}, headers, body, key, source_ip, context)
        if claims is not None:
            event["requestContext"]["authorizer"] = {"claims": claims}
        try:
            result = self.pools[route.function].invoke(event)
        except (FunctionError, RuntimeError) as error:
            log.error("function %s failed: %s", route.function, error)
            return self._gateway_response("DEFAULT_5XX", context, "Internal server error", status=502)
        return self._from_proxy_result(result)

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str] | None]:
        for route in self.template.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None, None

    def _proxy_event(
        self,
        route: Route,
        method: str,
        path: str,
        query: str,
        params: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        key: LocalKey | None,
        source_ip: str,
        context: dict[str, str],
    ) -> dict[str, Any]:
        multi_query = parse_qs(query, keep_blank_values=True) if query else {}
        text: str | None
        encoded = False
        try:
            text = body.decode("utf-8") if body else None
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers or None,
            "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": method,
                "path": f"/{self.template.stage}{path}",
                "stage": self.template.stage,
                "requestId": context["requestId"],
                "requestTimeEpoch": int(time.time() * 1000),
                "accountId": "123456789012",
                "apiId": "local",
                "protocol": "HTTP/1.1",
                "identity": {
                    "sourceIp": source_ip,
                    "userAgent": headers.get("user-agent"),
                    "apiKey": key.value if key else None,
                    "apiKeyId": key.key_id if key else None,
                },
            },
            "body": text,
            "isBase64Encoded": encoded,
        }

    @staticmethod
    def _from_proxy_result(result: Any) -> tuple[int, dict[str, str], bytes]:
        if not isinstance(result, dict) or "statusCode" not in result:
            return 502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
        headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(str(v) for v in values)
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return int(result["statusCode"]), headers, payload

    def _gateway_response(
        self, response_type: str, context: dict[str, str], message: str, status: int | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        family = "DEFAULT_5XX" if response_type == "DEFAULT_5XX" else "DEFAULT_4XX"
        spec = self.template.gateway_responses.get(response_type) or self.template.gateway_responses.get(family)
        own_status = status or {
            "REQUEST_TOO_LARGE": 413,
            "MISSING_AUTHENTICATION_TOKEN": 403,
            "INVALID_API_KEY": 403,
            "THROTTLED": 429,
        }.get(response_type, 400)
        code = spec.status if spec is not None and spec.status is not None else own_status
        if spec is None or spec.template is None:
            return code, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()
        variables = {
            "$context.httpMethod": context["httpMethod"],
            "$context.path": f"/{self.template.stage}{context['path']}",
            "$context.resourcePath": context["path"],
            "$context.requestId": context["requestId"],
            "$context.error.messageString": json.dumps(message),
            "$context.error.message": message,
            "$context.error.responseType": response_type,
        }
        text = spec.template
        for name in sorted(variables, key=len, reverse=True):
            text = text.replace(name, variables[name])
        return code, {"Content-Type": "application/json"}, text.encode()

    # -- local-only pages -------------------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        if self._openapi is None:
            self._openapi = build_openapi(self.template, self.pools, self.url)
        return self._openapi

    def _control(self, method: str, path: str, body: bytes | None) -> tuple[int, dict[str, str], bytes] | None:
        """The local runtime's controls (not part of the API, loopback only): clock, outbox, faults, idle."""
        if path == CLOCK_PATH and self._clock is not None:
            return self._clock_page(method, body)
        if path == OUTBOX_PATH and self._outbox is not None and method == "GET":
            return 200, JSON, json.dumps({"messages": self._outbox()}).encode()
        if path == COGNITO_PATH and self._signin is not None and method == "POST":
            try:
                status, answer = self._signin.initiate_auth(json.loads(body or b"{}"))
            except (ValueError, AttributeError):
                status, answer = 400, {"__type": "SerializationException", "message": "body is not JSON"}
            return status, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(answer).encode()
        if path == FAULTS_PATH and self._faults is not None and method in ("GET", "POST"):
            try:
                request = json.loads(body or b"{}") if method == "POST" else None
                if request is not None and not isinstance(request, dict):
                    raise ValueError("the body is a JSON object: provider, failures and the fault's options")
                answer = self._faults(request)
            except (ValueError, TypeError) as error:
                return 400, JSON, json.dumps({"error": str(error)}).encode()
            return 200, JSON, json.dumps(answer).encode()
        if path == IDLE_PATH and self._idle is not None and method == "GET":
            # every event published so far delivered (or parked): what a script waits for before looking
            return 200, JSON, json.dumps(self._idle(60.0)).encode()
        return None

    def _clock_page(self, method: str, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        """The local runtime's clock (not part of the API): GET reads it, POST {"advance": "3d"} moves it."""
        assert self._clock is not None
        by = None
        if method == "POST":
            try:
                by = parse_duration(str(json.loads(body or b"{}").get("advance", "")))
            except (ValueError, AttributeError) as error:
                return 400, {"Content-Type": "application/json"}, json.dumps({"error": str(error)}).encode()
        moment = self._clock(by)
        return 200, {"Content-Type": "application/json"}, json.dumps({"now": moment.isoformat()}).encode()

    def _console_page(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """The operator console, as CloudFront serves it in AWS: its built files, and its config.json."""
        if path == "/console":
            return 301, {"Location": "/console/"}, b""
        if path == "/console/config.json" and self._console_config is not None:
            return 200, {**JSON, "Cache-Control": "no-store"}, json.dumps(self._console_config()).encode()
        if self._console_dir is None:
            return 404, JSON, b'{"error": "not_found", "message": "no console in this runtime"}'
        root = self._console_dir.resolve()
        asset = (root / (path.removeprefix("/console/") or "index.html")).resolve()
        if not asset.is_relative_to(root) or not asset.is_file():
            return 404, JSON, b'{"error": "not_found", "message": "no such console file"}'
        kind = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
        textual = kind.startswith("text/") or kind.endswith(("javascript", "json"))
        headers = {
            "Content-Type": f"{kind}; charset=utf-8" if textual else kind,
            "Content-Security-Policy": CONSOLE_CSP,
            "X-Content-Type-Options": "nosniff",
        }
        return 200, headers, asset.read_bytes()

    def _local_page(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/v1/openapi.json":
            return 200, {"Content-Type": "application/json"}, json.dumps(self.openapi()).encode()
        if path in ("/v1/docs", "/v1/docs/"):
            return 200, {"Content-Type": "text/html; charset=utf-8"}, DOCS_PAGE.encode()
        asset = (SWAGGER_DIR / path.removeprefix("/v1/docs/")).resolve()
        if asset.parent != SWAGGER_DIR.resolve() or not asset.is_file():
            return 404, {"Content-Type": "application/json"}, b'{"error": "not_found", "message": "no such asset"}'
        kind = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
        return 200, {"Content-Type": kind}, asset.read_bytes()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "ventanilla-local"

            def _serve(self) -> None:
                started = time.perf_counter()
                length = int(self.headers.get("Content-Length") or 0)
                body: bytes | None
                if length > API_GATEWAY_MAX_BODY:
                    body = None
                    self.close_connection = True
                else:
                    body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, out_headers, payload = gateway.handle(
                    self.command, self.path, headers, body, self.client_address[0]
                )
                self.send_response(status)
                for name, value in out_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                # Path only: query strings carry identifiers (phone, email) and must not reach logs.
                log.info(
                    "%s %s %s %.0fms",
                    self.command,
                    urlsplit(self.path).path,
                    status,
                    (time.perf_counter() - started) * 1000,
                )

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def build_openapi(template: AppTemplate, pools: dict[str, FunctionPool], base_url: str) -> dict[str, Any]:
    """One document from every function's own OpenAPI, keeping only the routes the template maps to it."""
    combined: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Ventanilla API",
            "version": "1",
            "description": "Omnichannel touchpoint ingest and citizen records. Every route needs an x-api-key.",
        },
        "servers": [{"url": base_url}],
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
        "security": [{"apiKey": []}],
    }
    for function in sorted({r.function for r in template.routes}):
        document = pools[function].openapi() or {}
        routed = {re.sub(r"\{[^}]+\}", "{}", r.path) for r in template.routes if r.function == function}
        for path, operations in (document.get("paths") or {}).items():
            if re.sub(r"\{[^}]+\}", "{}", path) in routed:
                combined["paths"].setdefault(path, {}).update(operations)
        combined["components"]["schemas"].update((document.get("components") or {}).get("schemas") or {})
    return combined
