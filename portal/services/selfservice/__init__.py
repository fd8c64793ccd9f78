"""Customer self-service: setup links and test sign-ins."""
