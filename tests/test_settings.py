"""Settings: one declared table, documented in the README, overridable by environment."""

from __future__ import annotations

import re

import pytest
from cli_helpers import ROOT, run

from ikgraph import settings


def test_readme_documents_every_setting_exactly():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings-table[^>]*-->\n(.*?)\n<!-- /settings-table -->", readme, re.S)
    assert block, "README lacks the settings table markers"
    assert block.group(1).strip() == settings.markdown_table().strip(), (
        "README settings table is out of date: paste `ikgraph settings --markdown`"
    )


def test_environment_overrides_default_and_mapping_overrides_environment():
    env = {"IKGRAPH_MAX_ROWS": "17", "IKGRAPH_BASE_IRI": "http://example.org/x"}
    values = settings.load(environ=env)
    assert values["MAX_ROWS"] == 17
    assert values["BASE_IRI"] == "http://example.org/x/"
    assert settings.load({"MAX_ROWS": 3}, environ=env)["MAX_ROWS"] == 3


def test_bad_value_names_the_setting():
    with pytest.raises(ValueError, match="IKGRAPH_PORT"):
        settings.load(environ={"IKGRAPH_PORT": "eighty"})


def test_cli_prints_settings_and_rejects_bad_environment():
    out = run("settings", check=True).stdout
    for s in settings.SETTINGS:
        assert f"IKGRAPH_{s.name}=" in out
    bad = run("settings", env={"PATH": "/usr/bin:/bin", "IKGRAPH_THREADS": "many"})
    assert bad.returncode == 2 and "IKGRAPH_THREADS" in bad.stderr
