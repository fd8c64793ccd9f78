"""Webhooks: endpoints, the deliveries owed to them, and sending them."""
