"""The embedded local runtime and the `ventanilla` command-line tool. Development only: never deployed.

It reads the synthesized CDK template (cdk.out), creates the data resources in an AWS emulator
(moto server on 127.0.0.1, or the endpoint in AWS_ENDPOINT_URL) and plays the compute part itself.
"""
