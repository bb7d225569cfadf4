"""Ventanilla infrastructure (AWS CDK). Never imported by runtime code."""
