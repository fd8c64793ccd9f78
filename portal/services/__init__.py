"""Business operations; each owns its transaction."""
