"""Running the portal for real: request context, structured logs, metrics and readiness."""
