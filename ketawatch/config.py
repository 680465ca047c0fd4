"""One configuration loader for the CLI, the web app and the digest.

Each setting is declared once in ``SETTINGS`` (name, environment variable, default, help).
Values come from ``ketawatch.toml`` in the data folder, then from the environment, which wins.
Secrets (SMTP password inside the SMTP URL, signing key, NCBI key) are read only from the
environment or from a ``secrets.toml`` in the data folder that only its owner may read.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketawatch.errors import ConfigError

DEFAULT_PUBMED_QUERY = (
    "(ketamine[tiab] OR esketamine[tiab] OR arketamine[tiab] OR \"R-ketamine\"[tiab] "
    "OR spravato[tiab] OR ketamine[mh] OR esketamine[nm]) AND (depress*[tiab] OR "
    "depressive disorder[mh] OR \"treatment-resistant\"[tiab] OR bipolar[tiab] OR PTSD[tiab] "
    "OR posttraumatic[tiab] OR \"post-traumatic\"[tiab] OR obsessive[tiab] OR OCD[tiab] "
    "OR suicid*[tiab] OR anxiety[tiab] OR psychiatr*[tiab] OR mood[tiab])"
)


@dataclass(frozen=True)
class Setting:
    """One configuration setting: its key, environment variable, default and help."""

    key: str
    env: str
    default: Any
    help: str
    secret: bool = False
    kind: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "KETAWATCH_HOME", "./ketawatch-data", "data folder (store, index, digests)"),
    Setting("pubmed_url", "KETAWATCH_PUBMED_URL",
            "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", "E-utilities base URL"),
    Setting("clinicaltrials_url", "KETAWATCH_CLINICALTRIALS_URL",
            "https://clinicaltrials.gov/api/v2/", "ClinicalTrials.gov API v2 base URL"),
    Setting("medrxiv_url", "KETAWATCH_MEDRXIV_URL", "https://api.biorxiv.org/",
            "bioRxiv/medRxiv API base URL"),
    Setting("europepmc_url", "KETAWATCH_EUROPEPMC_URL",
            "https://www.ebi.ac.uk/europepmc/webservices/rest/", "Europe PMC REST base URL"),
    Setting("crossref_url", "KETAWATCH_CROSSREF_URL", "https://api.crossref.org/",
            "Crossref REST API base URL"),
    Setting("pubmed_query", "KETAWATCH_PUBMED_QUERY", DEFAULT_PUBMED_QUERY,
            "PubMed query for the crawl"),
    Setting("ncbi_api_key", "NCBI_API_KEY", "", "NCBI API key (10 requests/s instead of 3)",
            secret=True),
    Setting("ncbi_email", "NCBI_EMAIL", "", "contact e-mail sent to NCBI and Crossref"),
    Setting("smtp_url", "KETAWATCH_SMTP_URL", "smtp://127.0.0.1:25",
            "mail server: smtp://host:port, smtp+starttls://user:pass@host:587, smtps://...",
            secret=True),
    Setting("mail_from", "KETAWATCH_MAIL_FROM", "KetaWatch <digest@localhost>",
            "From address of the digest"),
    Setting("base_url", "KETAWATCH_BASE_URL", "http://127.0.0.1:8080",
            "public URL of the web app, for links in e-mail and feeds"),
    Setting("secret_key", "KETAWATCH_SECRET_KEY", "", "key that signs tokens and sessions",
            secret=True),
    Setting("mail_rate", "KETAWATCH_MAIL_RATE", 10.0, "messages per second at most", kind=float),
    Setting("request_delay", "KETAWATCH_REQUEST_DELAY", 0.34,
            "seconds between requests to one source", kind=float),
    Setting("request_timeout", "KETAWATCH_REQUEST_TIMEOUT", 60.0,
            "seconds to wait for a source's answer before the request counts as failed",
            kind=float),
    Setting("prepare_workers", "KETAWATCH_PREPARE_WORKERS", 2,
            "processes that normalize and tag the records of large PubMed batches while the "
            "crawler fetches and stores (0: do it in the crawling process)", kind=int),
)

_BY_KEY = {s.key: s for s in SETTINGS}
SECRETS_FILE = "secrets.toml"
CONFIG_FILE = "ketawatch.toml"


@dataclass
class Config:
    """Resolved settings. Read values as attributes: ``config.pubmed_url``."""

    values: dict[str, Any] = field(default_factory=dict)
    demo: bool = False

    def __getattr__(self, key: str) -> Any:
        values = self.__dict__.get("values", {})
        if key in values:
            return values[key]
        raise AttributeError(key)

    @property
    def home_path(self) -> Path:
        """The data folder as an absolute path."""
        return Path(self.values["home"]).expanduser().resolve()

    @property
    def db_path(self) -> Path:
        """Path of the SQLite store."""
        return self.home_path / "ketawatch.sqlite3"

    @property
    def index_path(self) -> Path:
        """Folder of the Whoosh index."""
        return self.home_path / "index"

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with some settings replaced (used by the demo and tests)."""
        values = dict(self.values)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Config(values=values, demo=self.demo)

    def redacted(self) -> dict[str, Any]:
        """Settings safe to print or log: secrets masked, passwords cut out of URLs."""
        out = {}
        for s in SETTINGS:
            value = self.values.get(s.key)
            if s.secret and value:
                out[s.key] = _redact_url(value) if "://" in str(value) else "***"
            else:
                out[s.key] = value
        return out


def _redact_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password or parts.username:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))
    return url


def _coerce(setting: Setting, value: Any) -> Any:
    if setting.kind is int:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"setting {setting.key} ({setting.env}) must be a whole number"
                              ) from exc
        if number < 0:
            raise ConfigError(f"setting {setting.key} ({setting.env}) must not be negative")
        return number
    if setting.kind is float:
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"setting {setting.key} ({setting.env}) must be a number") from exc
    return str(value)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _read_secrets(path: Path) -> dict[str, Any]:
    """Read the secrets file, refusing it when others than its owner may read it."""
    if not path.exists():
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path} must be readable by its owner only (chmod 600 {path})")
    return _read_toml(path)


def load_config(home: str | os.PathLike | None = None, env: dict[str, str] | None = None,
                **overrides: Any) -> Config:
    """Load the settings: defaults, then ``ketawatch.toml``, then the environment.

    ``home`` (the ``--home`` flag) beats ``KETAWATCH_HOME``; ``overrides`` beat everything.
    """
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {s.key: s.default for s in SETTINGS}
    home_value = str(home) if home else env.get("KETAWATCH_HOME") or values["home"]
    home_path = Path(home_value).expanduser()
    values["home"] = str(home_path)

    file_values = _read_toml(home_path / CONFIG_FILE) if (home_path / CONFIG_FILE).exists() else {}
    secret_values = _read_secrets(home_path / SECRETS_FILE)
    for key, value in file_values.items():
        setting = _BY_KEY.get(key)
        if setting is None:
            raise ConfigError(f"unknown setting {key!r} in {home_path / CONFIG_FILE}")
        if setting.secret and value:
            raise ConfigError(
                f"{key} is a secret: put it in the environment ({setting.env}) or in "
                f"{home_path / SECRETS_FILE} (owner-only), not in {CONFIG_FILE}"
            )
        if key != "home":
            values[key] = _coerce(setting, value)
    for key, value in secret_values.items():
        setting = _BY_KEY.get(key)
        if setting is None:
            raise ConfigError(f"unknown setting {key!r} in {home_path / SECRETS_FILE}")
        values[key] = _coerce(setting, value)
    for setting in SETTINGS:
        if setting.key != "home" and setting.env in env and env[setting.env] != "":
            values[setting.key] = _coerce(setting, env[setting.env])
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
    return Config(values=values)
