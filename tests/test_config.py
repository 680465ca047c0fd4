"""The one configuration loader: defaults, the TOML file, the environment, secrets."""

from __future__ import annotations

import os

import pytest

from ketawatch.config import SETTINGS, load_config
from ketawatch.errors import ConfigError


def test_defaults(tmp_path):
    config = load_config(home=tmp_path, env={})
    assert config.pubmed_url == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    assert config.clinicaltrials_url == "https://clinicaltrials.gov/api/v2/"
    assert config.medrxiv_url == "https://api.biorxiv.org/"
    assert config.europepmc_url == "https://www.ebi.ac.uk/europepmc/webservices/rest/"
    assert config.crossref_url == "https://api.crossref.org/"
    assert config.db_path == tmp_path.resolve() / "ketawatch.sqlite3"


def test_home_default_and_env(tmp_path):
    assert load_config(env={}).values["home"] == "ketawatch-data"
    assert load_config(env={"KETAWATCH_HOME": str(tmp_path)}).home_path == tmp_path.resolve()


def test_file_then_environment_wins(tmp_path):
    (tmp_path / "ketawatch.toml").write_text(
        'pubmed_url = "http://file.example/eutils/"\nbase_url = "https://kw.example"\n')
    config = load_config(home=tmp_path, env={"KETAWATCH_PUBMED_URL": "http://env.example/"})
    assert config.pubmed_url == "http://env.example/"
    assert config.base_url == "https://kw.example"


def test_secrets_refused_in_config_file(tmp_path):
    (tmp_path / "ketawatch.toml").write_text('secret_key = "oops"\n')
    with pytest.raises(ConfigError, match="KETAWATCH_SECRET_KEY"):
        load_config(home=tmp_path, env={})


def test_secrets_file_must_be_owner_only(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('secret_key = "s3cret"\nsmtp_url = "smtp+starttls://u:pw@mail:587"\n')
    os.chmod(secrets, 0o644)
    with pytest.raises(ConfigError, match="owner only"):
        load_config(home=tmp_path, env={})
    os.chmod(secrets, 0o600)
    config = load_config(home=tmp_path, env={})
    assert config.secret_key == "s3cret"
    shown = config.redacted()
    assert shown["secret_key"] == "***"
    assert "pw" not in shown["smtp_url"] and "mail:587" in shown["smtp_url"]


def test_unknown_and_malformed_settings(tmp_path):
    (tmp_path / "ketawatch.toml").write_text("nonsense = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(home=tmp_path, env={})
    (tmp_path / "ketawatch.toml").write_text("pubmed_url = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(home=tmp_path, env={})
    with pytest.raises(ConfigError, match="number"):
        load_config(home=tmp_path / "x", env={"KETAWATCH_MAIL_RATE": "fast"})


def test_every_setting_has_help_and_env_name():
    for setting in SETTINGS:
        assert setting.help and setting.env.isupper()
