"""Reusable constructs, one module per concern; `infra/stack.py` composes them."""
