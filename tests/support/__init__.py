"""Test support shared by every suite: fixtures (loaded as pytest plugins by tests/conftest.py),
factories and helpers."""
