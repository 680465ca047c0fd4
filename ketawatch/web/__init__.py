"""The Flask web app for clinicians: search page, study pages, JSON API, Atom feeds, exports.

``create_app(config)`` takes the one Config of ``ketawatch.config.load_config`` (the same the
CLI uses). Templates live in the shared ``templates/`` folder (``templates/web/`` for pages),
static files in ``templates/web/static/``; nothing is loaded from other hosts.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask

from ketawatch.config import Config
from ketawatch.web.context import EXTENSION, close_resources
from ketawatch.web.errors import register_error_handlers
from ketawatch.web.security import init_security, secret_key_for

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
STATIC_DIR = TEMPLATES_DIR / "web" / "static"
#: blueprints of other modules that plug in when they exist: (module, attribute)
OPTIONAL_BLUEPRINTS = (("ketawatch.web.subscribe", "bp"),)


def create_app(config: Config, *, demo: bool = False) -> Flask:
    """Build the web app for a configuration.

    Refuses to start (ConfigError naming KETAWATCH_SECRET_KEY) without a secret key, unless
    ``demo`` is true: the demo signs its sessions with a random key made for this process.
    """
    secret_key = secret_key_for(config, demo=demo)
    app = Flask("ketawatch.web", template_folder=str(TEMPLATES_DIR),
                static_folder=str(STATIC_DIR), static_url_path="/static")
    # Werkzeug answers "/study//1" with an absolute redirect built from the request's Host
    # header (http://<any host>/study/1): a forged Host would make it point off the site.
    # No link of ours has doubled slashes, so such paths are simply not found.
    app.url_map.merge_slashes = False
    app.config.update(SECRET_KEY=secret_key, MAX_CONTENT_LENGTH=256 * 1024,
                      JSON_AS_ASCII=False)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # every template is escaped, whatever its file name says
    app.jinja_env.autoescape = True
    app.extensions[EXTENSION] = {"config": config, "demo": demo}
    app.teardown_appcontext(close_resources)
    init_security(app, config)
    register_error_handlers(app)

    from ketawatch.web import api, exports, feeds, pages

    pages.init_templates(app)
    for module in (pages, api, feeds, exports):
        app.register_blueprint(module.bp)
    for module_name, attr in OPTIONAL_BLUEPRINTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise  # the module exists but something it imports is missing: say so
            continue
        app.register_blueprint(getattr(module, attr))
    return app
