"""Loaded at start-up by the Scrapy crawl child of the fault tests (their PYTHONPATH only).

The crawl settings hard-code a 60 s download timeout (``crawlers.settings``) and KetaWatch has
no setting for it, so the fault tests could not make a slow answer time out in a few seconds.
When ``KETAWATCH_TEST_DOWNLOAD_TIMEOUT`` is set, this wraps ``scrapy_settings`` to use it; the
crawl code itself runs unchanged.
"""

import os

_TIMEOUT = os.environ.get("KETAWATCH_TEST_DOWNLOAD_TIMEOUT")

if _TIMEOUT:
    import crawlers.settings as _settings

    _original = _settings.scrapy_settings

    def _scrapy_settings(config):
        values = _original(config)
        values["DOWNLOAD_TIMEOUT"] = float(_TIMEOUT)
        return values

    _settings.scrapy_settings = _scrapy_settings
