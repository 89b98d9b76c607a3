"""[llm] settings: validated keys, the model's precedence, a current default, the key check."""

from __future__ import annotations

import typing

import pytest

from dbxray.config import Config
from dbxray.errors import BadInput
from dbxray.llm.settings import DEFAULT_MODEL, KEYS, LLMSettings, require_key, resolve_settings


def test_defaults_match_the_documented_ones(monkeypatch):
    monkeypatch.delenv("DBXRAY_LLM_MODEL", raising=False)
    s = resolve_settings(Config())
    assert (s.model, s.max_input_tokens, s.timeout, s.max_retries) == (DEFAULT_MODEL, 8000, 60.0, 2)
    assert (s.max_tool_calls, s.max_seconds) == (8, 90.0)
    assert set(KEYS) == {f for f in LLMSettings.__dataclass_fields__}


def test_the_default_model_is_current_in_the_installed_sdk():
    from anthropic._data import DEPRECATED_MODELS
    from anthropic.types.model_param import ModelParam

    literals = typing.get_args(typing.get_args(ModelParam)[0])
    assert DEFAULT_MODEL in literals
    assert DEFAULT_MODEL not in DEPRECATED_MODELS


def test_model_precedence_flag_then_environment_then_config(monkeypatch):
    cfg = Config(llm={"model": "claude-from-config"})
    monkeypatch.setenv("DBXRAY_LLM_MODEL", "claude-from-env")
    assert resolve_settings(cfg, "claude-from-flag").model == "claude-from-flag"
    assert resolve_settings(cfg).model == "claude-from-env"
    monkeypatch.delenv("DBXRAY_LLM_MODEL")
    assert resolve_settings(cfg).model == "claude-from-config"


@pytest.mark.parametrize(("section", "message"), [
    ({"max_input_token": 9000}, "no key named max_input_token"),
    ({"timeout": "fast"}, "timeout must be a number"),
    ({"max_retries": -1}, "max_retries must be at least 0"),
    ({"max_input_tokens": True}, "max_input_tokens must be a number"),
    ({"force_tool": "yes"}, "force_tool must be bool"),
])
def test_bad_llm_keys_are_one_line_errors(section, message):
    with pytest.raises(BadInput, match=message):
        resolve_settings(Config(llm=section))


def test_integers_are_accepted_for_seconds():
    assert resolve_settings(Config(llm={"timeout": 30})).timeout == 30.0


def test_forced_tool_follows_the_model_unless_configured():
    assert LLMSettings(model="claude-haiku-5-5").forces_tool
    assert not LLMSettings(model="claude-sonnet-5-5").forces_tool  # rejects a forced tool_choice
    assert LLMSettings(model="claude-sonnet-5-5", force_tool=True).forces_tool


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    with pytest.raises(BadInput, match="ANTHROPIC_API_KEY"):
        require_key()
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "gateway-token")
    require_key()
