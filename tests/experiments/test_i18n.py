"""The translation catalogue: complete for shipped languages, English as the fallback."""

import pytest

from experiments import i18n


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_english_key_is_translated(lang):
    assert i18n.missing_keys(lang) == []


def test_no_language_has_keys_english_lacks():
    english = set(i18n.catalogue("en"))
    for lang in i18n.LANGUAGES:
        assert set(i18n.catalogue(lang)) <= english, lang


def test_domain_terms_in_chinese():
    assert i18n.text("term.grid_manager", "zh") == "网格员"
    assert i18n.text("mechanism.hierarchical", "zh") == "层级上报"
    assert i18n.text("term.grid_manager") == "grid manager"


def test_unknown_key_and_language_are_errors():
    with pytest.raises(KeyError):
        i18n.text("no.such.key")
    with pytest.raises(ValueError):
        i18n.catalogue("fr")
