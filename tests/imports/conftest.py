from tests.web.conftest import signed_in, users  # noqa: F401  (fixtures)
