"""Shared test support lives in tests/support and is loaded here as plugins (never imported from
a conftest or a test module). tests.support.environment runs first: it gives this session its
own database, Redis database number and instance folder before anything reads the settings."""

pytest_plugins = [
    "tests.support.environment",
    "tests.support.fixtures",
    "tests.support.web",
    "tests.support.workers",
    "tests.support.idp",
    "tests.support.selfservice",
    "tests.support.mail",
    "tests.support.cli",
    "tests.support.browser",
    "tests.support.dns",
    "tests.support.saml",
]
