import pytest

from hhforecast.core.config import LANGUAGES
from hhforecast.reporting import labels


def test_every_label_has_one_text_per_report_language():
    assert LANGUAGES == ("pt", "en")
    wrong = {key: texts for key, texts in labels.TEXT.items() if len(texts) != len(LANGUAGES) or not all(texts)}
    assert not wrong


@pytest.mark.parametrize(
    ("key", "language", "shown"),
    [
        ("hh_week", "pt", "HH por semana"),
        ("hh_week", "en", "HH per week"),
        ("no_such_key", "pt", "no_such_key"),  # an unknown key is shown as is
    ],
)
def test_a_label_in_each_language(key, language, shown):
    assert labels.text(key, language) == shown


def test_a_language_outside_the_config_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"report.language must be one of \('pt', 'en'\), got 'de'"):
        labels.text("hh_week", "de")


def test_every_reject_reason_and_every_model_has_a_name_in_each_language():
    from hhforecast.core.contract import EVENT_REJECT_REASONS, UTILIZATION_REJECT_REASONS
    from hhforecast.forecasting.forecasters import LABELS

    assert set(labels.REASONS) == set(EVENT_REJECT_REASONS) | set(UTILIZATION_REJECT_REASONS)
    assert set(labels.MODELS_PT) == set(LABELS)
    assert labels.reason("source_not_kept", "pt") == "fonte fora do escopo"
    assert labels.model("seasonal_naive", "en") == "seasonal naive" and labels.model("glm", "pt") == "GLM de Poisson"
    assert [labels.month(m, "pt") for m in (2, 5, 9)] == ["fev", "mai", "set"]
