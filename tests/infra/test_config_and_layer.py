"""Environment config from context, and the dependency layer's hashing, caching and pruning (no synth)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from infra.app_builder import cdk_json_context
from infra.config import CONTEXT_ENVIRONMENTS, EnvironmentConfig
from infra.constructs.layer import LocalLayerBundler, _prune, dependencies_cache_key, layer_asset_hash

pytestmark = pytest.mark.infra


def test_dev_and_prod_from_cdk_json() -> None:
    environments = cdk_json_context()[CONTEXT_ENVIRONMENTS]
    dev = EnvironmentConfig.from_context(environments, None)
    assert dev.name == "dev"
    assert dev.cdk_removal_policy == RemovalPolicy.DESTROY
    prod = EnvironmentConfig.from_context(environments, "prod")
    assert prod.cdk_removal_policy == RemovalPolicy.RETAIN
    assert prod.log_retention == logs.RetentionDays.ONE_YEAR
    for config in (dev, prod):
        assert config.default_phone_region == "MX"
        assert config.lambda_memory_mb == 512


def test_unknown_environment_and_bad_values_fail_fast() -> None:
    environments = cdk_json_context()[CONTEXT_ENVIRONMENTS]
    with pytest.raises(ValueError, match="Unknown environment 'staging'"):
        EnvironmentConfig.from_context(environments, "staging")
    with pytest.raises(ValueError, match="missing"):
        EnvironmentConfig.from_context(None, "dev")
    with pytest.raises(ValueError, match="log_retention_days"):
        EnvironmentConfig.from_context({"dev": {"log_retention_days": 13}}, "dev")
    with pytest.raises(ValueError, match="removal_policy"):
        EnvironmentConfig.from_context({"dev": {"removal_policy": "snapshot"}}, "dev")
    with pytest.raises(ValueError, match="typo"):
        EnvironmentConfig.from_context({"dev": {"typo": 1}}, "dev")


def _project(tmp_path: Path) -> tuple[Path, Path]:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pydantic==2.14.4\n")
    shared = tmp_path / "shared"
    (shared / "models").mkdir(parents=True)
    (shared / "__init__.py").write_text("")
    (shared / "models" / "citizen.py").write_text("X = 1\n")
    return requirements, shared


def test_layer_hash_follows_requirements_and_every_shared_file(tmp_path: Path) -> None:
    requirements, shared = _project(tmp_path)
    first = layer_asset_hash(requirements, shared)
    assert layer_asset_hash(requirements, shared) == first

    (shared / "__pycache__").mkdir()
    (shared / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert layer_asset_hash(requirements, shared) == first  # bytecode is not content

    (shared / "models" / "citizen.py").write_text("X = 2\n")
    second = layer_asset_hash(requirements, shared)
    assert second != first

    requirements.write_text("pydantic==2.14.5\n")
    assert layer_asset_hash(requirements, shared) != second


def test_dependency_cache_key_depends_on_content_only() -> None:
    assert dependencies_cache_key(b"a==1\n") == dependencies_cache_key(b"a==1\n")
    assert dependencies_cache_key(b"a==1\n") != dependencies_cache_key(b"a==2\n")


def test_bundler_uses_the_cache_and_copies_shared(tmp_path: Path) -> None:
    requirements, shared = _project(tmp_path)
    cache = tmp_path / "cache"
    cached = cache / dependencies_cache_key(requirements.read_bytes())
    (cached / "pydantic").mkdir(parents=True)  # a pre-filled cache: pip must not run
    (cached / "pydantic" / "__init__.py").write_text("")
    (shared / "__pycache__").mkdir()
    (shared / "__pycache__" / "x.pyc").write_bytes(b"\0")

    bundler = LocalLayerBundler(requirements_file=requirements, shared_dir=shared, cache_dir=cache)
    out = tmp_path / "out"
    assert bundler.try_bundle(str(out), image=None) is True  # type: ignore[arg-type]
    assert (out / "python" / "pydantic" / "__init__.py").is_file()
    assert (out / "python" / "shared" / "models" / "citizen.py").is_file()
    assert not (out / "python" / "shared" / "__pycache__").exists()


def test_prune_drops_what_the_runtime_provides(tmp_path: Path) -> None:
    for name in ("boto3", "botocore", "s3transfer", "boto3-1.0.dist-info", "botocore-1.0.dist-info", "bin", "pydantic"):
        (tmp_path / name).mkdir()
    (tmp_path / "pydantic-2.0.dist-info").mkdir()
    _prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pydantic", "pydantic-2.0.dist-info"]
