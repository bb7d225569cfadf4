"""`make bench`: Ventanilla's benchmark suite (issue #9), one report with every figure beside its baseline.

Sections: ingest overhead, end to end, cold start, scale, money. Every AWS request goes through a metered emulator
(`emulator.py`) that tells who sent it (the botocore user agent's app id: the function's name) and what DynamoDB
would charge for it (`meter.py`). Results are printed and written to benchmarks/results/bench.{json,md}; the
figures and what they mean are in docs/performance.md.
"""
