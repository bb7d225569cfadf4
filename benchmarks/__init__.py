"""Measured runs with a report; not part of the test suite and never deployed."""
