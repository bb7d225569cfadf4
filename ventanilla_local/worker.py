"""One warm 'Lambda container': a process that imports a function's handler and serves invocations.

Started by the local runtime with the function's own environment and code path, like Lambda does.
Protocol: one JSON request per line on stdin, one JSON reply per line on the file descriptor given
as the first argument. Everything the handler prints (logs, EMF metrics) goes to stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any


class LocalContext:
    def __init__(self, timeout_s: int) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    reply_fd = int(sys.argv[1])
    handler_path, code_dir, layer_dirs, timeout = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    replies = os.fdopen(reply_fd, "w", buffering=1)
    sys.stdout = sys.stderr  # the handler's prints must never corrupt the protocol
    # Like Lambda: the function's code first, then the runtime's packages, then the layers. Third-party
    # packages therefore come from this virtualenv (same pins as the layer, but built for this machine,
    # the layer's wheels are for arm64); the layer's own code (`shared`) is found after them. The
    # project checkout is not on the path: only what was synthesized into cdk.out runs.
    here = {"", os.getcwd()}
    sys.path[:] = [code_dir, *(p for p in sys.path if p not in here), *(p for p in layer_dirs.split(os.pathsep) if p)]
    module_name, _, function_name = handler_path.rpartition(".")
    handler = None
    for line in sys.stdin:
        request = json.loads(line)
        reply: dict[str, Any] = {"id": request["id"]}
        try:
            if handler is None:
                module = importlib.import_module(module_name)
                handler = getattr(module, function_name)
            if request["kind"] == "init":
                reply["result"] = None
            elif request["kind"] == "openapi":
                app = getattr(sys.modules[module_name], "app", None)
                reply["result"] = json.loads(app.get_openapi_json_schema()) if app is not None else None
            else:
                reply["result"] = handler(request["event"], LocalContext(timeout))
            reply["ok"] = True
        except Exception as error:  # a function error is the caller's to handle, as in Lambda
            reply.update(
                ok=False,
                error={"errorType": type(error).__name__, "errorMessage": str(error)},
            )
            traceback.print_exc(file=sys.stderr)
        replies.write(json.dumps(reply, default=str) + "\n")
        sys.stderr.flush()


if __name__ == "__main__":
    main()
