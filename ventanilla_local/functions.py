"""The compute part: a small pool of warm worker processes per function, as Lambda would keep."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from ventanilla_local.template import FunctionSpec


class FunctionError(Exception):
    """The handler raised (the local equivalent of a Lambda function error)."""

    def __init__(self, function: str, error: dict[str, Any]) -> None:
        super().__init__(f"{function}: {error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error


class _Worker:
    def __init__(self, spec: FunctionSpec, environment: dict[str, str], log: IO[bytes]) -> None:
        read_fd, write_fd = os.pipe()
        layers = os.pathsep.join(str(p) for p in spec.layer_dirs)
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ventanilla_local.worker",
                str(write_fd),
                spec.handler,
                str(spec.code_dir),
                layers,
                str(spec.timeout),
            ],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            env=environment,
            pass_fds=(write_fd,),
            cwd=str(spec.code_dir),
        )
        os.close(write_fd)
        self._replies = os.fdopen(read_fd, "r")
        self._ids = itertools.count()

    def call(self, kind: str, event: Any = None) -> dict[str, Any]:
        request_id = next(self._ids)
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps({"id": request_id, "kind": kind, "event": event}) + "\n").encode())
        self._process.stdin.flush()
        line = self._replies.readline()
        if not line:
            raise RuntimeError(f"worker exited with {self._process.wait()}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def alive(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._replies.close()


class FunctionPool:
    """Invokes one function; up to `concurrency` warm workers, started on demand."""

    def __init__(self, spec: FunctionSpec, environment: dict[str, str], log_dir: Path, concurrency: int = 2) -> None:
        self.spec = spec
        self._environment = environment
        self._log = (log_dir / f"{spec.name}.log").open("ab")
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(concurrency)
        self._all: list[_Worker] = []
        self._lock = threading.Lock()

    def invoke(self, event: Any) -> Any:
        reply = self._call("invoke", event)
        if not reply.get("ok"):
            raise FunctionError(self.spec.name, reply.get("error", {}))
        return reply.get("result")

    def warm(self) -> None:
        """Start a worker and import the handler (Lambda's init phase)."""
        self._call("init")

    def openapi(self) -> dict[str, Any] | None:
        reply = self._call("openapi")
        return reply.get("result") if reply.get("ok") else None

    def _call(self, kind: str, event: Any = None) -> dict[str, Any]:
        with self._slots:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _Worker(self.spec, self._environment, self._log)
                with self._lock:
                    self._all.append(worker)
            try:
                return worker.call(kind, event)
            finally:
                if worker.alive():
                    self._idle.put(worker)

    def stop(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.stop()
            self._all.clear()
        self._log.close()
