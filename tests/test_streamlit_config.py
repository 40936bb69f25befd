"""The app's Streamlit settings (.streamlit/config.toml) agree with what the code accepts: the upload
widget offers no more than the readers take (loose end of issue 11's review: it said 200 MB while the
worklist reader refuses anything over 10 MiB). AppTest does not read this file, so it is read here."""

from __future__ import annotations

import tomllib
from pathlib import Path

from compounding.worklist.columns import MAX_FILE_BYTES

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_the_upload_limit_is_the_readers_limit():
    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    limit_mb = settings["server"]["maxUploadSize"]  # Streamlit's unit: megabytes, a whole number
    assert isinstance(limit_mb, int)
    # 10 MiB = 10,485,760 bytes; Streamlit may count a megabyte as 10^6 or 2^20 bytes, and either way the
    # widget must not offer more than the reader takes, nor much less (only 10 fits 10 MiB)
    assert limit_mb * 10**6 <= MAX_FILE_BYTES <= limit_mb * 2**20


def test_the_config_names_only_options_streamlit_knows():
    from streamlit import config

    settings = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    for section, options in settings.items():
        for name in options:
            assert f"{section}.{name}" in config._config_options_template, f"{section}.{name}"
