"""Where a setting came from, and reading it as a typed value (``voicechat/config_layers.py``).

Properties over any text a user can put in an environment variable or a config file: a typed
reader either gives a value inside its bounds or raises :class:`ConfigError` naming the layer
the value came from (never a ``ValueError`` from deep inside, which the command line printed
as "invalid literal for int() with base 10"), and the layers keep their order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.config_layers import Layers
from voicechat.config_schema import SCHEMA, ConfigError, ConfigFile

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
#: what a user may type: digits of any script, signs, spaces, words, exponents, superscripts
TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["²", "٣", "12", " 80 ", "+5", "-1", "1e3", "1_000", "nan", "inf",
                     "0x10", "3.5", "", " ", "TRUE", " off ", "y"]),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
#: what a config file may hold under a key (TOML's types; the schema's own check comes first
#: in real use, but the readers must not depend on it)
FILE_VALUE = st.one_of(st.booleans(), st.integers(-10**12, 10**12),
                       st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))


def env_layers(key: str, text: str) -> Layers:
    variable = SCHEMA[key].env
    assert variable, f"{key} has no environment variable in the schema"
    return Layers({}, {variable: text}, ConfigFile(None, {}))


def read(reader: Any, *args: Any) -> Any:
    """The reader's value, or the ConfigError's message (any other exception fails)."""
    try:
        return reader(*args)
    except ConfigError as exc:
        return exc


@given(TEXT)
def test_a_bounded_whole_number_from_the_environment_is_in_range_or_a_named_error(
        text: str) -> None:
    layers = env_layers("speaker_buffer_ms", text)
    got = read(layers.bounded_int, "speaker_buffer_ms", 10, 500)
    if text == "":  # an empty variable is not given
        assert got is None
    elif isinstance(got, ConfigError):
        assert str(got).startswith("environment variable VOICECHAT_SPEAKER_BUFFER_MS: ")
        assert "from 10 to 500" in str(got)
    else:
        assert isinstance(got, int) and 10 <= got <= 500
        assert got == int(text.strip())


def test_a_superscript_digit_is_refused_by_name_not_with_a_traceback() -> None:
    """``str.isdigit`` is true for "²", which ``int`` refuses: the CLI printed
    "voicechat: invalid literal for int() with base 10: '²'"."""
    got = read(env_layers("speaker_buffer_ms", "²").bounded_int, "speaker_buffer_ms", 10, 500)
    assert isinstance(got, ConfigError)
    assert "VOICECHAT_SPEAKER_BUFFER_MS" in str(got) and "whole number" in str(got)
    # digits of other scripts are digits (int reads them): Arabic-Indic 80
    assert env_layers("speaker_buffer_ms", "٨٠").bounded_int("speaker_buffer_ms", 10, 500) == 80


@given(TEXT)
def test_seconds_from_the_environment_are_in_range_or_a_named_error(text: str) -> None:
    got = read(env_layers("connect_timeout", text).seconds, "connect_timeout", 10.0)
    if text == "":
        assert got == 10.0
    elif isinstance(got, ConfigError):
        assert str(got).startswith("environment variable VOICECHAT_CONNECT_TIMEOUT: ")
    else:
        assert 0 < got <= 3600


@given(TEXT)
def test_a_number_from_the_environment_is_in_range_or_a_named_error(text: str) -> None:
    got = read(env_layers("speed", text).number, "speed", 0.25, 1.5)
    if text == "":
        assert got is None
    elif isinstance(got, ConfigError):
        assert str(got).startswith("environment variable VOICECHAT_SPEED: ")
        assert "from 0.25 to 1.5" in str(got)
    else:
        assert 0.25 <= got <= 1.5


@given(TEXT)
def test_a_boolean_from_the_environment_takes_exactly_the_documented_words(text: str) -> None:
    got = read(env_layers("barge_in", text).boolean, "barge_in")
    word = text.strip().lower()
    if text == "":
        assert got is None
    elif word in TRUE_WORDS | FALSE_WORDS:
        assert got is (word in TRUE_WORDS)
    else:
        assert isinstance(got, ConfigError)
        assert str(got).startswith("environment variable VOICECHAT_BARGE_IN: ")
        assert "1/0, true/false, yes/no or on/off" in str(got)


@given(TEXT)
def test_a_choice_is_one_of_the_declared_ones_or_an_error_listing_them(text: str) -> None:
    got = read(env_layers("mode", text).choice, "mode", "vad")
    if text == "":
        assert got == "vad"
    elif text in SCHEMA["mode"].choices:
        assert got == text
    else:
        assert isinstance(got, ConfigError)
        assert "is not one of vad, ptt, transcribe" in str(got)


@given(FILE_VALUE)
def test_a_positive_whole_number_from_the_file_is_one_or_more_or_a_named_error(
        value: Any) -> None:
    layers = Layers({}, {}, ConfigFile(Path("/home/me/config.toml"), {"turns": value}))
    got = read(layers.positive_int, "turns")
    if isinstance(got, ConfigError):
        assert "config.toml" in str(got) and "turns" in str(got)
        assert "a whole number of 1 or more" in str(got)
    else:
        assert isinstance(got, int) and not isinstance(got, bool) and got >= 1


@given(flag=st.one_of(st.none(), st.text(min_size=1, max_size=6)),
       env=st.one_of(st.none(), st.text(min_size=1, max_size=6)),
       file=st.one_of(st.none(), st.text(min_size=1, max_size=6)))
def test_a_flag_beats_the_environment_which_beats_the_file_and_the_origin_says_which(
        flag: str | None, env: str | None, file: str | None) -> None:
    layers = Layers({"voice": flag}, {} if env is None else {"VOICECHAT_VOICE": env},
                    ConfigFile(Path("/home/me/config.toml"),
                               {} if file is None else {"voice": file}))
    assert SCHEMA["voice"].env == "VOICECHAT_VOICE"
    got = layers.text("voice")
    if flag is not None:
        assert (got, layers.origin("voice")) == (flag, "--voice")
    elif env is not None:
        assert (got, layers.origin("voice")) == (env, "environment variable VOICECHAT_VOICE")
    elif file is not None:
        assert got == file and "config.toml" in layers.origin("voice")
    else:
        assert got is None and layers.origin("voice") == "voice"


@pytest.mark.parametrize("key", ["openai_api_key", "azure_api_key"])
def test_a_key_is_read_from_the_environment_never_from_a_flag(key: str) -> None:
    """Keys come from the shell or the file (``flag=False``): a flag of the same name, as a
    script might pass by mistake, is not read, so it never lands in an origin or an error."""
    variable = SCHEMA[key].env
    assert variable
    layers = Layers({key: "sk-from-a-flag"}, {variable: "sk-from-env"}, ConfigFile(None, {}))
    assert layers.text(key, flag=False) == "sk-from-env"
    assert layers.origin(key) == f"environment variable {variable}"
