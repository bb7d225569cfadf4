"""The one reusable Lambda function construct: every Ventanilla function is built here and nowhere else."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import FUNCTIONS_DIR, EnvironmentConfig
from infra.constructs.layer import FALLBACK_IMAGE, iter_source_files

# Code is deployed as `functions/<name>/...` so modules import each other by their full path,
# the same in Lambda, in the local runtime and in tests.
HANDLER = "functions.{name}.handler.lambda_handler"
METRICS_NAMESPACE = "Ventanilla"
FUNCTION_METADATA_KEY = "ventanilla:function"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def _code_files(name: str) -> list[Path]:
    return [FUNCTIONS_DIR / "__init__.py", *iter_source_files(FUNCTIONS_DIR / name)]


def function_code_hash(name: str) -> str:
    digest = hashlib.sha256()
    for path in _code_files(name):
        digest.update(path.relative_to(FUNCTIONS_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class FunctionCodeBundler:
    """Copies `functions/__init__.py` and `functions/<name>/` into the asset; no Docker."""

    def __init__(self, name: str) -> None:
        self._name = name

    def try_bundle(self, output_dir: str, *, image: DockerImage, **kwargs: Any) -> bool:
        package = Path(output_dir) / "functions"
        package.mkdir(parents=True, exist_ok=True)
        shutil.copy2(FUNCTIONS_DIR / "__init__.py", package / "__init__.py")
        shutil.copytree(FUNCTIONS_DIR / self._name, package / self._name, ignore=_IGNORED, dirs_exist_ok=True)
        return True


class VentanillaFunction(Construct):
    """A Python 3.13 / arm64 function from `functions/<name>/handler.py` (handler `functions.<name>.handler`).

    Fixed here: runtime, architecture, X-Ray tracing, JSON logs at INFO into its own log group with the
    configured retention and encrypted with the data key, timeout, memory, the dependency layer, Powertools
    settings, and its own role whose only built-in permission is writing to that log group. Callers grant the
    rest explicitly.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        config: EnvironmentConfig,
        layer: lambda_.ILayerVersion,
        key: kms.IKey,
        environment: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        code_dir = FUNCTIONS_DIR / name
        if not (code_dir / "handler.py").is_file():
            raise FileNotFoundError(f"Function '{name}' has no {code_dir / 'handler.py'}")
        self.name = name

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=config.log_retention,
            encryption_key=key,
            removal_policy=config.cdk_removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of the Ventanilla '{name}' function",
        )
        # Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): write to its own group only.
        self.log_group.grant_write(self.role)

        self.function = lambda_.Function(
            self,
            "Resource",
            description=description or f"Ventanilla {name}",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER.format(name=name),
            code=lambda_.Code.from_asset(
                str(code_dir),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=function_code_hash(name),
                bundling=BundlingOptions(
                    image=DockerImage.from_registry(FALLBACK_IMAGE), local=FunctionCodeBundler(name)
                ),
            ),
            layers=[layer],
            role=self.role,
            memory_size=config.lambda_memory_mb,
            timeout=config.lambda_timeout,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            environment={
                "POWERTOOLS_SERVICE_NAME": f"ventanilla-{name}",
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                # Off: no X-Ray SDK import (~150 ms per cold start); active tracing stays (shared/observability.py).
                "POWERTOOLS_TRACE_DISABLED": "false" if config.trace_aws_calls else "true",
                # Pydantic scans every installed distribution for plugins at its first model; there are none.
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
                "TEXT_RETENTION_DAYS": str(config.text_retention_days),
                **(environment or {}),
            },
        )
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.add_metadata(FUNCTION_METADATA_KEY, name)
