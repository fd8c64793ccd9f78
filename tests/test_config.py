"""Settings: what the portal refuses to start with, and what it provides for itself locally."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import SettingsError, load_settings, provision_instance

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def settings_for(instance: Path, **values: str):
    """Load settings from exactly these variables (never from the test process's environment)."""
    return load_settings({"PORTAL_INSTANCE_PATH": str(instance), **values})


def production(instance: Path, **values: str):
    return settings_for(instance, PORTAL_ENV="production", **values)


# --- Production fails fast -------------------------------------------------------------------


def test_production_without_keys_names_both_and_writes_nothing(instance: Path) -> None:
    with pytest.raises(SettingsError) as failed:
        production(instance)
    message = str(failed.value)
    assert "PORTAL_SECRET_KEY" in message
    assert "PORTAL_ENCRYPTION_KEYS" in message
    assert "_FILE" in message
    assert not instance.exists()


@pytest.mark.parametrize(
    ("given", "missing", "present"),
    [
        ({"PORTAL_SECRET_KEY": "s" * 40}, "PORTAL_ENCRYPTION_KEYS", "PORTAL_SECRET_KEY"),
        ({"PORTAL_ENCRYPTION_KEYS": KEY_A}, "PORTAL_SECRET_KEY", "PORTAL_ENCRYPTION_KEYS"),
    ],
)
def test_production_names_only_what_is_missing(
    instance: Path, given: dict[str, str], missing: str, present: str
) -> None:
    with pytest.raises(SettingsError) as failed:
        production(instance, **given)
    assert missing in str(failed.value)
    assert present not in str(failed.value)


def test_production_with_both_keys_starts(instance: Path) -> None:
    keys = {"PORTAL_SECRET_KEY": "s" * 40, "PORTAL_ENCRYPTION_KEYS": f"{KEY_A},{KEY_B}"}
    settings = production(instance, PORTAL_PUBLIC_URL="https://portal.example.com", **keys)
    assert settings.is_production
    assert settings.secret_key == "s" * 40
    assert settings.encryption_keys == (KEY_A, KEY_B)
    assert settings.warnings == ()
    assert not (instance / "secret_key").exists()
    plain = production(instance, PORTAL_PUBLIC_URL="http://portal.example.com", **keys)
    assert any("not be marked Secure" in warning for warning in plain.warnings)


def test_environment_names_are_checked(instance: Path) -> None:
    with pytest.raises(SettingsError, match="PORTAL_ENV"):
        settings_for(instance, PORTAL_ENV="staging")
    assert settings_for(
        instance, PORTAL_ENV=" Production ", PORTAL_SECRET_KEY="s", PORTAL_ENCRYPTION_KEYS=KEY_A
    ).is_production


# --- *_FILE variants -------------------------------------------------------------------------


def test_secrets_can_come_from_files(instance: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("from-a-file\n")
    (tmp_path / "keys").write_text(f"{KEY_B}, {KEY_A}\n")
    (tmp_path / "db").write_text("postgresql://portal:pw@db/portal\n")
    settings = production(
        instance,
        PORTAL_SECRET_KEY_FILE=str(tmp_path / "secret"),
        PORTAL_ENCRYPTION_KEYS_FILE=str(tmp_path / "keys"),
        PORTAL_DATABASE_URL_FILE=str(tmp_path / "db"),
    )
    assert settings.secret_key == "from-a-file"
    assert settings.encryption_keys == (KEY_B, KEY_A)
    assert settings.database_url == "postgresql+psycopg://portal:pw@db/portal"


def test_a_value_and_a_file_for_the_same_setting_is_an_error(
    instance: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text("from-a-file")
    with pytest.raises(SettingsError) as failed:
        production(
            instance,
            PORTAL_SECRET_KEY="inline",
            PORTAL_SECRET_KEY_FILE=str(tmp_path / "secret"),
            PORTAL_ENCRYPTION_KEYS=KEY_A,
        )
    assert "PORTAL_SECRET_KEY" in str(failed.value)
    assert "PORTAL_SECRET_KEY_FILE" in str(failed.value)


def test_an_unreadable_file_is_named(instance: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file"
    with pytest.raises(SettingsError) as failed:
        production(instance, PORTAL_SECRET_KEY="s", PORTAL_ENCRYPTION_KEYS_FILE=str(missing))
    assert "PORTAL_ENCRYPTION_KEYS_FILE" in str(failed.value)
    assert str(missing) in str(failed.value)


def test_an_empty_secret_file_counts_as_missing_in_production(
    instance: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY"):
        production(
            instance, PORTAL_SECRET_KEY_FILE=str(tmp_path / "empty"), PORTAL_ENCRYPTION_KEYS=KEY_A
        )


# --- Booleans --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        ("yes", True),
        ("YES", True),
        ("on", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("FALSE", False),
        ("no", False),
        ("off", False),
        ("Off", False),
    ],
)
def test_booleans_accept_every_spelling(instance: Path, raw: str, expected: bool) -> None:
    settings = settings_for(instance, PORTAL_ALLOW_LOOPBACK_ISSUERS=raw)
    assert settings.allow_loopback_issuers is expected


def test_loopback_issuers_are_off_by_default(instance: Path) -> None:
    assert settings_for(instance).allow_loopback_issuers is False


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "y"])
def test_a_bad_boolean_names_the_variable_and_the_value(instance: Path, raw: str) -> None:
    with pytest.raises(SettingsError) as failed:
        settings_for(instance, PORTAL_ALLOW_LOOPBACK_ISSUERS=raw)
    assert "PORTAL_ALLOW_LOOPBACK_ISSUERS" in str(failed.value)
    assert repr(raw) in str(failed.value)


# --- Development provides its own keys -------------------------------------------------------


def test_reading_the_settings_writes_nothing(instance: Path) -> None:
    settings = settings_for(instance)
    assert settings.secret_key is None and settings.encryption_keys is None
    assert not instance.exists()


def test_development_generates_keys_once_and_keeps_them(instance: Path) -> None:
    first = provision_instance(settings_for(instance))
    assert first.env == "development"
    for name in ("secret_key", "encryption_keys"):
        path = instance / name
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert any(name in warning and str(path) in warning for warning in first.warnings)
    assert len(first.secret_key) >= 32
    token = Fernet(first.encryption_keys[0].encode()).encrypt(b"client secret")

    second = provision_instance(settings_for(instance))
    assert second.secret_key == first.secret_key
    assert second.encryption_keys == first.encryption_keys
    assert Fernet(second.encryption_keys[0].encode()).decrypt(token) == b"client secret"


def test_development_with_explicit_keys_generates_nothing(instance: Path) -> None:
    settings = provision_instance(
        settings_for(instance, PORTAL_SECRET_KEY="given", PORTAL_ENCRYPTION_KEYS=KEY_A)
    )
    assert settings.secret_key == "given"
    assert settings.warnings == ()
    assert not (instance / "secret_key").exists()
    assert not (instance / "encryption_keys").exists()


def test_separate_instance_folders_get_separate_keys(tmp_path: Path) -> None:
    one = provision_instance(settings_for(tmp_path / "one"))
    two = provision_instance(settings_for(tmp_path / "two"))
    assert one.secret_key != two.secret_key
    assert one.encryption_keys != two.encryption_keys


# --- Encryption keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "position"),
    [("not-a-fernet-key", "#1"), (f"{KEY_A},short", "#2"), (KEY_A[:-4], "#1")],
    # Fixed ids: the keys are random, and xdist needs every worker to collect the same names.
    ids=["not-a-key", "second-key-short", "truncated-key"],
)
def test_a_bad_fernet_key_is_rejected_without_echoing_it(
    instance: Path, raw: str, position: str
) -> None:
    with pytest.raises(SettingsError) as failed:
        production(instance, PORTAL_SECRET_KEY="s", PORTAL_ENCRYPTION_KEYS=raw)
    message = str(failed.value)
    assert "PORTAL_ENCRYPTION_KEYS" in message
    assert f"key {position} is not a Fernet key" in message
    assert raw.split(",")[-1] not in message


def test_a_key_list_of_only_commas_is_rejected(instance: Path) -> None:
    with pytest.raises(SettingsError, match="holds no key"):
        production(instance, PORTAL_SECRET_KEY="s", PORTAL_ENCRYPTION_KEYS=" , ,")


def test_the_first_key_encrypts_and_spaces_are_ignored(instance: Path) -> None:
    settings = settings_for(instance, PORTAL_ENCRYPTION_KEYS=f" {KEY_B} ,\n{KEY_A} ")
    assert settings.encryption_keys == (KEY_B, KEY_A)


# --- Database, broker, Redis -----------------------------------------------------------------


def test_the_database_defaults_to_sqlite_in_the_instance_folder(instance: Path) -> None:
    settings = settings_for(instance)
    assert settings.database_url == f"sqlite:///{instance.resolve() / 'portal.db'}"
    assert settings.instance_path == instance.resolve()


def test_a_relative_instance_path_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"PORTAL_INSTANCE_PATH": "relative-instance"})
    assert settings.instance_path == tmp_path.resolve() / "relative-instance"
    assert settings.database_url.startswith(f"sqlite:///{tmp_path.resolve()}/")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/portal", "postgresql+psycopg://u:p@db:5432/portal"),
        ("postgres://u:p@db/portal", "postgresql+psycopg://u:p@db/portal"),
        ("postgresql+psycopg://u@db/portal", "postgresql+psycopg://u@db/portal"),
        ("sqlite:////srv/portal.db", "sqlite:////srv/portal.db"),
    ],
)
def test_postgresql_urls_use_psycopg(instance: Path, given: str, expected: str) -> None:
    assert settings_for(instance, PORTAL_DATABASE_URL=given).database_url == expected


def test_the_broker_defaults_to_a_serverless_transport(instance: Path) -> None:
    settings = settings_for(instance)
    assert settings.broker_url.startswith("filesystem://")
    assert str(instance.resolve()) in settings.broker_url
    assert settings.redis_url is None


@pytest.mark.parametrize("broker", ["redis://cache:6379/0", "rediss://:pw@cache:6380/1"])
def test_redis_defaults_to_a_redis_broker(instance: Path, broker: str) -> None:
    settings = settings_for(instance, PORTAL_BROKER_URL=broker)
    assert settings.broker_url == broker
    assert settings.redis_url == broker


def test_an_explicit_redis_url_wins_over_the_broker(instance: Path) -> None:
    settings = settings_for(
        instance, PORTAL_BROKER_URL="redis://cache:6379/0", PORTAL_REDIS_URL="redis://other/2"
    )
    assert settings.redis_url == "redis://other/2"


def test_a_broker_that_is_not_redis_gives_no_redis_url(instance: Path) -> None:
    settings = settings_for(instance, PORTAL_BROKER_URL="amqp://guest@rabbit//")
    assert settings.redis_url is None


# --- The portal's own URL ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["portal.example.com", "/portal", "ftp://portal.example.com", "https://", "localhost:8000"],
)
def test_the_public_url_must_be_absolute(instance: Path, url: str) -> None:
    with pytest.raises(SettingsError) as failed:
        settings_for(instance, PORTAL_PUBLIC_URL=url)
    assert "PORTAL_PUBLIC_URL" in str(failed.value)
    assert "absolute" in str(failed.value)


def test_the_public_url_loses_its_trailing_slash_and_sets_secure_cookies(instance: Path) -> None:
    settings = settings_for(instance, PORTAL_PUBLIC_URL="https://portal.example.com/")
    assert settings.public_url == "https://portal.example.com"
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True
    local = settings_for(instance)
    assert local.public_url == "http://localhost:8000"
    assert local.flask_config()["SESSION_COOKIE_SECURE"] is False


def test_whole_number_settings_are_checked(instance: Path) -> None:
    assert settings_for(instance, PORTAL_RUN_LEASE_SECONDS="30").run_lease_seconds == 30
    with pytest.raises(SettingsError, match="PORTAL_RUN_LEASE_SECONDS"):
        settings_for(instance, PORTAL_RUN_LEASE_SECONDS="soon")
    with pytest.raises(SettingsError, match="PORTAL_STALE_QUEUED_SECONDS"):
        settings_for(instance, PORTAL_STALE_QUEUED_SECONDS="0")
