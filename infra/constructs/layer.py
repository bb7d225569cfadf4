"""The dependency layer: requirements.txt (for Python 3.13 / arm64) plus the project's `shared/` package.

It is bundled without Docker: `pip install --platform manylinux2014_aarch64 --only-binary=:all:` into a cache
directory keyed by the requirements and the target platform, then copied with `shared/` into the asset.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import CACHE_DIR, REQUIREMENTS_FILE, SHARED_DIR

# Bump when the bundle layout or the pruning rules change, so every cached asset hash changes too.
BUNDLE_FORMAT = "ventanilla-layer-v1"
TARGET_PLATFORM = "manylinux2014_aarch64"
TARGET_IMPLEMENTATION = "cp"
TARGET_PYTHON = "3.13"
# Never used (bundling is local), but BundlingOptions requires an image: the one SAM would use.
FALLBACK_IMAGE = "public.ecr.aws/sam/build-python3.13"
# Provided by the Lambda runtime; shipping them would only make the layer bigger and pin old versions.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
_IGNORED_NAMES = ("__pycache__", "*.pyc", "*.pyo")


def iter_source_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            yield path


def _platform_spec() -> str:
    return f"{TARGET_PLATFORM}/{TARGET_IMPLEMENTATION}{TARGET_PYTHON}"


def dependencies_cache_key(requirements: bytes) -> str:
    """Cache key of the pip-installed third-party tree: requirements content + target platform."""
    digest = hashlib.sha256()
    digest.update(requirements)
    digest.update(b"\0")
    digest.update(_platform_spec().encode())
    digest.update(b"\0")
    digest.update(BUNDLE_FORMAT.encode())
    return digest.hexdigest()


def layer_asset_hash(requirements_file: Path, shared_dir: Path) -> str:
    """Asset hash of the whole layer: requirements, target platform and every file of `shared/`."""
    digest = hashlib.sha256()
    digest.update(dependencies_cache_key(requirements_file.read_bytes()).encode())
    for path in iter_source_files(shared_dir):
        digest.update(b"\0")
        digest.update(path.relative_to(shared_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalLayerBundler:
    """Builds `<output_dir>/python/...` with the interpreter that runs the CDK app; no Docker."""

    def __init__(self, *, requirements_file: Path, shared_dir: Path, cache_dir: Path) -> None:
        self._requirements_file = requirements_file
        self._shared_dir = shared_dir
        self._cache_dir = cache_dir

    def try_bundle(self, output_dir: str, *, image: DockerImage, **kwargs: Any) -> bool:
        site_packages = Path(output_dir) / "python"
        site_packages.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.dependencies(), site_packages, dirs_exist_ok=True)
        shutil.copytree(self._shared_dir, site_packages / "shared", ignore=shutil.ignore_patterns(*_IGNORED_NAMES))
        return True

    def dependencies(self) -> Path:
        """The installed third-party tree, from the cache or freshly installed (once per requirements+platform)."""
        requirements = self._requirements_file.read_bytes()
        target = self._cache_dir / dependencies_cache_key(requirements)
        if target.is_dir():
            return target
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self._cache_dir))
        try:
            self._pip_install(staging)
            _prune(staging)
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():  # a concurrent synth won the race: use its identical result
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def _pip_install(self, target: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--requirement",
            str(self._requirements_file),
            "--target",
            str(target),
            "--platform",
            TARGET_PLATFORM,
            "--implementation",
            TARGET_IMPLEMENTATION,
            "--python-version",
            TARGET_PYTHON,
            "--only-binary=:all:",
            "--upgrade",
            "--no-compile",
            "--disable-pip-version-check",
            "--quiet",
        ]
        print(f"[ventanilla layer] installing {self._requirements_file.name} for {_platform_spec()}", file=sys.stderr)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"pip install for the dependency layer failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )


def _prune(site_packages: Path) -> None:
    """Drop what the Lambda runtime provides, and pip's console scripts (useless in a layer)."""
    for entry in site_packages.iterdir():
        distribution = entry.name.split("-", 1)[0].lower() if entry.name.endswith(".dist-info") else None
        if entry.name in PROVIDED_BY_RUNTIME or distribution in PROVIDED_BY_RUNTIME or entry.name == "bin":
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


class DependencyLayerConstruct(Construct):
    """One layer version shared by every function: third-party requirements + `shared/` under `python/`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        removal_policy: RemovalPolicy,
        requirements_file: Path = REQUIREMENTS_FILE,
        shared_dir: Path = SHARED_DIR,
        cache_dir: Path = CACHE_DIR / "layer-deps",
    ) -> None:
        super().__init__(scope, construct_id)
        bundler = LocalLayerBundler(requirements_file=requirements_file, shared_dir=shared_dir, cache_dir=cache_dir)
        self.layer = lambda_.LayerVersion(
            self,
            "Resource",
            description="Ventanilla dependencies (requirements.txt) and the shared package",
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            removal_policy=removal_policy,
            code=lambda_.Code.from_asset(
                str(shared_dir),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=layer_asset_hash(requirements_file, shared_dir),
                bundling=BundlingOptions(image=DockerImage.from_registry(FALLBACK_IMAGE), local=bundler),
            ),
        )
