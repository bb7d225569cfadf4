"""Deployment package sizes: each function's code asset and the dependency layer, zipped as they are uploaded.

The assets are the directories `cdk synth` bundled into the cloud assembly; each is zipped here (deflate, in
memory) the way the CDK CLI zips a directory asset. The baseline for the layer is its bare Powertools part
(`aws_lambda_powertools` and the packages it needs at run time), zipped the same way.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from benchmarks.suite.figures import Figure, Section, Table, at_most
from ventanilla_local.template import load

LAYER_TARGET_MB = 10.0
POWERTOOLS_PARTS = ("aws_lambda_powertools", "jmespath", "typing_extensions")
MB = 1024 * 1024


def zipped_size(root: Path, only: Iterable[str] | None = None) -> int:
    """Bytes of a deflate zip of every file under `root` (or only under the named top-level entries)."""
    names = set(only) if only is not None else None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if names is not None and relative.parts[0].split(".")[0] not in names:
                continue
            if path.is_file():
                archive.write(path, relative.as_posix())
    return len(buffer.getvalue())


def unzipped_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def run(cdk_out: Path) -> Section:
    template = load(cdk_out)
    specs = sorted(template.functions.values(), key=lambda s: s.name)
    layers = {layer.parent for spec in specs for layer in spec.layer_dirs}
    section = Section("package size")
    for layer in sorted(layers):
        site = layer / "python"
        size = zipped_size(layer)
        section.figures.append(
            Figure(
                "dependency layer, zipped",
                round(size / MB, 2),
                "MB",
                round(zipped_size(site, POWERTOOLS_PARTS) / MB, 2),
                "bare Powertools (+ jmespath, typing_extensions), zipped",
                f"≤ {LAYER_TARGET_MB:g} MB",
                at_most(size / MB, LAYER_TARGET_MB),
                note=f"{unzipped_size(layer) / MB:.1f} MB unzipped (Lambda's limit: 250 MB with the code)",
            )
        )
        biggest = sorted(
            (
                (entry.name, zipped_size(site, (entry.name.split(".")[0],)))
                for entry in site.iterdir()
                if entry.is_dir()
            ),
            key=lambda kv: kv[1],
            reverse=True,
        )[:8]
        section.tables.append(
            Table(
                "What the layer holds (zipped, largest first)",
                ("package", "KB"),
                tuple((n, round(b / 1024)) for n, b in biggest),
            )
        )
    rows = tuple((spec.name, round(zipped_size(spec.code_dir) / 1024, 1)) for spec in specs)
    section.tables.append(Table("Function code, zipped (the layer is shared)", ("function", "KB"), rows))
    section.details = {"function_code_kb": dict(rows)}
    return section
