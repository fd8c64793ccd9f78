"""Registered user pools: registration, usage against each quota, and tenant placement."""
