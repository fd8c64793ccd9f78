"""The configuration reference: every PORTAL_ setting the code reads is listed and checked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import (
    KNOWN_SETTINGS,
    ROWS,
    SettingsError,
    load_settings,
)
from portal.settings_docs import env_example, settings_table
from tests.support.environment import ROOT

SETTING_RE = re.compile(r"^PORTAL_[A-Z0-9_]+$")


class RecordingEnviron(dict):
    """An environment that remembers every name the settings loader asked for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)


def test_the_readme_table_is_the_one_generated_from_the_settings_list() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- settings:start -->\n", 1)[1].split("\n<!-- settings:end -->", 1)[0]
    assert block == settings_table(), "run scripts/settings_docs.py to update the README"


def test_env_example_is_the_one_generated_from_the_settings_list() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert text == env_example(), "run scripts/settings_docs.py to update .env.example"


def test_the_list_names_exactly_what_the_loader_reads(tmp_path: Path) -> None:
    environ = RecordingEnviron(PORTAL_INSTANCE_PATH=str(tmp_path))
    load_settings(environ)
    read = {name for name in environ.asked if name.startswith("PORTAL_")}
    assert read <= KNOWN_SETTINGS, f"read but not a row: {sorted(read - KNOWN_SETTINGS)}"
    listed = {row.env for _attr, row in ROWS if row.env}
    assert listed <= read, f"listed but never read: {sorted(listed - read)}"


def _portal_literals() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in ("portal", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and SETTING_RE.match(node.value)
                ):
                    found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_portal_name_in_the_code_is_a_known_setting() -> None:
    unknown = {
        name: where for name, where in _portal_literals().items() if name not in KNOWN_SETTINGS
    }
    assert not unknown, f"add these as Settings fields in portal/config.py: {unknown}"


def test_no_default_is_restated_where_a_setting_is_read() -> None:
    """Settings are read as `current_settings().name`, never from app.config with a fallback."""
    restated = []
    for folder in ("portal", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            restated += [
                f"{path.relative_to(ROOT)}: {match.group(0)}"
                for match in re.finditer(r"config(?:\.get\(|\[)[\"']PORTAL_[A-Z_]+", source)
            ]
    assert not restated, restated


def test_secret_settings_are_read_from_files_too(tmp_path: Path) -> None:
    token_file = tmp_path / "metrics-token"
    token_file.write_text("from-a-file\n", encoding="utf-8")
    settings = load_settings(
        {"PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_METRICS_TOKEN_FILE": str(token_file)}
    )
    assert settings.metrics_token == "from-a-file"
    secret = {row.env for _attr, row in ROWS if row.secret}
    assert {"PORTAL_SECRET_KEY", "PORTAL_ENCRYPTION_KEYS", "PORTAL_METRICS_TOKEN"} <= secret
    assert all(f"{name}_FILE" in KNOWN_SETTINGS for name in secret)


def test_logs_are_json_in_production_and_text_in_development(tmp_path: Path) -> None:
    keys = {"PORTAL_SECRET_KEY": "k" * 40, "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode()}

    def logs(**environ: str) -> tuple[str, str]:
        settings = load_settings({"PORTAL_INSTANCE_PATH": str(tmp_path), **keys, **environ})
        return settings.log_format, settings.log_level

    assert logs(PORTAL_ENV="production") == ("json", "INFO")
    assert logs() == ("text", "INFO")
    assert logs(PORTAL_ENV="production", PORTAL_LOG_FORMAT="text")[0] == "text"
    assert logs(PORTAL_LOG_LEVEL="debug")[1] == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORTAL_LOG_FORMAT", "xml"),
        ("PORTAL_LOG_LEVEL", "LOUD"),
        ("PORTAL_COGNITO_RATE_FRACTION", "1.5"),
        ("PORTAL_COGNITO_RATE_FRACTION", "0"),
        ("PORTAL_COGNITO_MAX_ATTEMPTS", "many"),
        ("PORTAL_READYZ_TIMEOUT_SECONDS", "-1"),
        ("PORTAL_READYZ_COGNITO", "maybe"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"PORTAL_INSTANCE_PATH": str(tmp_path), name: value})
    assert name in str(refused.value)


def test_tuning_settings_are_parsed_to_their_types(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": "k" * 40,
            "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PORTAL_INSTANCE_PATH": str(tmp_path),
            "PORTAL_COGNITO_RATE_FRACTION": "0.5",
            "PORTAL_COGNITO_MAX_ATTEMPTS": "3",
            "PORTAL_READYZ_COGNITO": "on",
        }
    )
    assert settings.cognito_rate_fraction == 0.5
    assert settings.cognito_max_attempts == 3
    assert settings.readyz_cognito is True
    assert settings.log_format == "json"
