"""Talking to customers' OIDC identity providers, safely."""
