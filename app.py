#!/usr/bin/env python3
"""CDK entry point: `cdk synth [-c env=dev|prod]`. No AWS calls, no network (except pip on a cold layer cache)."""

from infra.app_builder import build_app

build_app().synth()
