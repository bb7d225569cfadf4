"""Build the operator console: its own sources plus the pinned charting library, into one directory.

No CDN at run time (agency networks are often closed): everything the browser loads is in the built directory,
served by `ventanilla up` at /console/ and, in AWS, from a private S3 bucket behind CloudFront.

    python -m console.build [OUT]     (default console/dist)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "console" / "src"
DIST = ROOT / "console" / "dist"
VENDOR = {  # what the console loads from node_modules (package.json pins the versions)
    "uPlot.iife.min.js": ROOT / "node_modules" / "uplot" / "dist" / "uPlot.iife.min.js",
    "uPlot.min.css": ROOT / "node_modules" / "uplot" / "dist" / "uPlot.min.css",
}


class ConsoleBuildError(RuntimeError):
    """A file the console needs is missing (run `npm ci` for the charting library)."""


def build(out: Path = DIST) -> Path:
    """Copy the sources and the vendored library into `out` (replaced); returns `out`."""
    missing = [str(p) for p in (SOURCES, *VENDOR.values()) if not p.exists()]
    if missing:
        raise ConsoleBuildError(f"cannot build the console, missing: {', '.join(missing)} (run `npm ci`)")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(SOURCES, out)
    (out / "vendor").mkdir(exist_ok=True)
    for name, source in VENDOR.items():
        shutil.copyfile(source, out / "vendor" / name)
    return out


def is_stale(out: Path = DIST) -> bool:
    """Whether `out` is older than any source (or missing)."""
    if not out.exists():
        return True
    built = min((p.stat().st_mtime for p in out.rglob("*") if p.is_file()), default=0.0)
    return any(p.stat().st_mtime > built for p in SOURCES.rglob("*") if p.is_file())


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DIST))
