"""Every label and caption of the report's and the thesis's figures and tables, in each report language.

The languages are config.LANGUAGES (report.language's choices); a key missing here is shown as is.
"""

from __future__ import annotations

from hhforecast.core.config import LANGUAGES

# key -> its text in each of config.LANGUAGES, in that order: (Portuguese, English).
TEXT: dict[str, tuple[str, str]] = {
    "hh_week": ("HH por semana", "HH per week"),
    "flight_hours_week": ("horas de voo por semana", "flight hours per week"),
    "date": ("semana", "week"),
    "sum_daily_hours": ("horas de voo da frota na semana", "fleet flight hours in the week"),
    "Cycles": ("ciclos da frota na semana", "fleet cycles in the week"),
    "age_fleet": ("idade média da frota (anos)", "mean fleet age (years)"),
    "acft": ("aeronaves que voaram na semana", "aircraft that flew in the week"),
    "sum_uti_mensal": ("horas de voo em 28 dias", "flight hours in 28 days"),
    "HH": ("HH", "HH"),
    "rows": ("linhas", "rows"),
    "rows_log": ("linhas (escala log)", "rows (log scale)"),
    "hh_per_flight_hour": ("HH por hora de voo", "HH per flight hour"),
    "table": ("tabela", "table"),
    "reason": ("motivo", "reason"),
    "events": ("eventos", "events"),
    "utilization": ("utilização", "utilization"),
    "forecast": ("previsão (faixas: 80 %, 95 %)", "forecast (bands: 80 %, 95 %)"),
    "actual": ("real", "actual"),
    "test_window": ("janela de teste", "test window"),
    "production": ("período de produção", "production period"),
    "residual": ("real − previsão (HH)", "actual − forecast (HH)"),
    "fold": ("dobra", "fold"),
    "mae_hh": ("MAE (HH)", "MAE (HH)"),
    "model": ("modelo", "model"),
    "network": ("rede neural (Keras)", "neural network (Keras)"),
    "oracle": ("oráculo (HH esperado)", "oracle (expected HH)"),
    "statistic": ("estatística", "statistic"),
    "mean": ("média", "mean"),
    "sd": ("desvio-padrão", "std. dev."),
    "min": ("mínimo", "min"),
    "max": ("máximo", "max"),
    "variable": ("variável", "variable"),
    "scenario": ("cenário", "scenario"),
    "baseline": ("referência", "baseline"),
    "epoch": ("época", "epoch"),
    "loss": ("perda (HH)", "loss (HH)"),
    "training": ("treino", "training"),
    "validation": ("semanas de parada", "early-stopping weeks"),
    "best_epoch": ("melhor época ({epoch})", "best epoch ({epoch})"),
    "first_of_members": ("rede 1 de {members}", "network 1 of {members}"),
    "psi_axis": ("PSI, produção contra referência", "PSI, production vs reference"),
    "psi_warn": ("aviso {value:g}", "warn {value:g}"),
    "psi_alert": ("alerta {value:g}", "alert {value:g}"),
    "weekly_abs_error": ("|erro| semanal", "weekly |error|"),
    "mae_4w": ("MAE de 4 semanas", "4-week MAE"),
    "mae_13w": ("MAE de 13 semanas", "13-week MAE"),
    "history_retrain": ("retreino", "retrain"),
    "history_promotion": ("promoção", "promotion"),
    "history_axis": ("dados até", "data through"),
    "replay_forecast": ("previsão (faixa: 80 %)", "forecast (band: 80 %)"),
    "replay_withheld": ("semana exportada com atraso", "week exported late"),
    "replay_crash": ("execução derrubada", "killed run"),
    "replay_ratio": ("MAE esperado / oráculo", "expected MAE / oracle's"),
    "validation_mae": ("MAE de validação {value:.1f}", "validation MAE {value:.1f}"),
    "fig_weekly_series": (
        "Série semanal de HH de manutenção não programada e horas de voo da frota.",
        "Weekly unscheduled-maintenance HH and fleet flight hours.",
    ),
    "fig_hh_vs_features": (
        "HH semanal contra horas de voo, ciclos e idade média da frota.",
        "Weekly HH against flight hours, cycles and mean fleet age.",
    ),
    "fig_rejects": ("Linhas rejeitadas por motivo (escala logarítmica).", "Rejected rows by reason (log scale)."),
    "fig_predicted_vs_actual": (
        "HH semanal real e previsto, com intervalos de 80 % e 95 %, na janela de teste e no período de produção.",
        "Actual and forecast weekly HH, with 80 % and 95 % intervals, over the test window and the production period.",
    ),
    "fig_residuals": (
        "Resíduos (real − previsão) na janela de teste e no período de produção.",
        "Residuals (actual − forecast) over the test window and the production period.",
    ),
    "fig_backtest": (
        "MAE por dobra do backtest com origem móvel (semanas antes da janela de teste).",
        "MAE per fold of the rolling-origin backtest (weeks before the test window).",
    ),
    "fig_training_curve": (
        "Curva de treino: perda por época nas semanas de treino e nas últimas semanas da janela de treino, que "
        "escolhem o número de épocas (train.early_stopping_weeks).",
        "Training curve: loss per epoch on the training weeks and on the training window's last weeks, which "
        "choose the epoch count (train.early_stopping_weeks).",
    ),
    "fig_drift": (
        "Deriva das variáveis: PSI do período de produção contra a janela de referência.",
        "Feature drift: PSI of the production period against the reference window.",
    ),
    "fig_monitoring": (
        "Erro no período de produção: |erro| semanal e MAE móvel de 4 e 13 semanas.",
        "Error over the production period: weekly |error| and the trailing 4- and 13-week MAE.",
    ),
    "tab_dataset_summary": (
        "Resumo do conjunto de dados semanal ({weeks} semanas, {first} a {last}).",
        "Summary of the weekly dataset ({weeks} weeks, {first} to {last}).",
    ),
    "tab_rejects": (
        "Linhas rejeitadas por motivo; nenhuma linha é descartada em silêncio.",
        "Rejected rows by reason; no row is dropped silently.",
    ),
    "tab_model_comparison": (
        "Comparação dos modelos na janela de teste ({n} semanas).",
        "Model comparison on the test window ({n} weeks).",
    ),
    # Appended to a caption where the data has no synthetic truth, or came as a weekly dataset file.
    "no_truth": (
        "Sem verdade sintética (dados reais): oráculo, razões de MAE esperado e coberturas esperadas omitidos.",
        "No synthetic truth (real data): the oracle, expected MAE ratios and expected coverage are left out.",
    ),
    "own_dataset": (
        "Conjunto semanal recebido pronto ({path}): sem linhas brutas, sem rejeições.",
        "Weekly dataset brought in whole ({path}): no raw rows, no rejects.",
    ),
    "tab_model_summary": ("Indicadores resumidos da avaliação.", "Summary figures of the evaluation."),
    "tab_dm": (
        "Testes de Diebold–Mariano no backtest ({weeks} semanas): diferença média dos erros absolutos semanais "
        "(rede − referência), HAC de Newey–West, correção de Harvey–Leybourne–Newbold e Holm sobre as referências; "
        "“sem diferença mostrada” não quer dizer equivalente.",
        "Diebold–Mariano tests over the backtest ({weeks} weeks): mean difference of weekly absolute errors "
        "(network − baseline), Newey–West HAC, Harvey–Leybourne–Newbold correction and Holm over the baselines; "
        "“no difference shown” does not mean equivalent.",
    ),
    "tab_backtest": (
        "Backtest com origem móvel: semanas, MAE da rede e cobertura das faixas por dobra.",
        "Rolling-origin backtest: weeks, the network's MAE and its ranges' coverage per fold.",
    ),
    "tab_backtest_models": (
        "MAE (HH) por dobra e modelo no backtest. {names}.",
        "MAE (HH) per fold and model over the backtest. {names}.",
    ),
    "tab_intervals": (
        "Faixas de previsão na janela de teste ({n} semanas): cobertura com IC de 95 %, largura média e escore de "
        "intervalo.",
        "Prediction ranges over the test window ({n} weeks): coverage with its 95 % CI, mean width and interval score.",
    ),
    "tab_study": (
        "Estudo de simulação: MAE esperado como razão ao do oráculo mediano, por cenário e modelo (média com IC de "
        "95 %, mediana e intervalo interquartil sobre os mundos) e cobertura esperada da faixa de 80 %.",
        "Simulation study: expected MAE as a ratio to the median oracle's, per scenario and model (mean with its "
        "95 % CI, median and interquartile range over the worlds) and the 80 % range's expected coverage.",
    ),
    "tab_study_tests": (
        "Estudo de simulação: a rede contra cada modelo. Diferença pareada das razões (rede − modelo) com IC de "
        "95 %, p de Holm sobre a família da pergunta, p do teste de equivalência (TOST, margem de {margin} % do MAE "
        "esperado do oráculo) e p de Wilcoxon.",
        "Simulation study: the network against each model. Paired difference of the ratios (network − model) with "
        "its 95 % CI, Holm's p over the question's family, the equivalence test's p (TOST, margin {margin} % of the "
        "oracle's expected MAE) and Wilcoxon's p.",
    ),
    "value": ("valor", "value"),
    "col_mae": ("MAE (HH)", "MAE (HH)"),
    "col_rmse": ("RMSE (HH)", "RMSE (HH)"),
    "col_mape": ("MAPE (%)", "MAPE (%)"),
    "col_r2": ("R²", "R²"),
    "col_expected_ratio": ("MAE esperado / oráculo", "expected MAE / oracle's"),
    "col_ranges": ("faixas", "ranges"),
    "col_level": ("nível", "level"),
    "col_coverage": ("cobertura", "coverage"),
    "col_ci95": ("IC\u00a095\u00a0%", "95\u00a0% CI"),
    "col_expected_coverage": ("cobertura esperada", "expected coverage"),
    "col_width": ("largura média (HH)", "mean width (HH)"),
    "col_interval_score": ("escore de intervalo", "interval score"),
    "col_diff": ("diferença (HH/semana)", "difference (HH/week)"),
    "col_p_hln": ("p (HLN)", "p (HLN)"),
    "col_p_holm": ("p (Holm)", "p (Holm)"),
    "col_p_tost": ("p (TOST)", "p (TOST)"),
    "col_p_wilcoxon": ("p (Wilcoxon)", "p (Wilcoxon)"),
    "col_verdict": ("a rede é", "network is"),
    "col_first_week": ("primeira semana", "first week"),
    "col_last_week": ("última semana", "last week"),
    "col_network_mae": ("MAE da rede (HH)", "network MAE (HH)"),
    "col_coverage_80": ("cobertura 80\u00a0%", "80\u00a0% coverage"),
    "col_coverage_95": ("cobertura 95\u00a0%", "95\u00a0% coverage"),
    "col_mean_ratio": ("razão média", "mean ratio"),
    "col_median": ("mediana", "median"),
    "col_iqr": ("IIQ", "IQR"),
    "col_against": ("contra", "against"),
    "col_diff_ratio_ci": ("diferença [IC\u00a095\u00a0%]", "difference [95\u00a0% CI]"),
    "verdict_better": ("melhor", "better"),
    "verdict_worse": ("pior", "worse"),
    "verdict_tie": ("sem diferença mostrada", "no difference shown"),
    "sum_test_weeks": ("semanas de teste", "test weeks"),
    "sum_test_mae": ("MAE da rede no teste (HH)", "network's test MAE (HH)"),
    "sum_skill": ("ganho sobre a melhor referência no teste (%)", "skill over the best baseline, test (%)"),
    "sum_ratio_to_oracle": ("MAE no teste / MAE do oráculo", "test MAE / oracle's MAE"),
    "sum_expected_ratio": ("MAE esperado da rede / oráculo", "network's expected MAE / oracle's"),
    "sum_backtest_folds": ("dobras do backtest", "backtest folds"),
    "sum_backtest_weeks": ("semanas do backtest", "backtest weeks"),
    "sum_backtest_mae": (
        "MAE da rede no backtest (média ± DP das dobras)",
        "network's backtest MAE (mean ± SD over folds)",
    ),
    "sum_backtest_coverage": ("cobertura de 80 % no backtest", "80 % coverage over the backtest"),
    "short_network": ("rede", "network"),
    "short_oracle": ("oráculo", "oracle"),
    "short_network_mlp": ("MLP", "MLP"),
    "short_seasonal_naive": ("sazonal", "seasonal"),
    "short_rate_naive": ("taxa", "rate"),
    "short_linear": ("linear", "linear"),
    "short_network_hybrid": ("híbrida", "hybrid"),
    "short_glm": ("GLM", "GLM"),
    "short_gbm": ("GBM", "GBM"),
    "short_gbm_rate": ("GBM/FH", "GBM/FH"),
    "fig_study_ratio": (
        "Estudo de simulação: MAE esperado como razão ao do oráculo mediano, por modelo e cenário (média e IC de 95 %).",
        "Simulation study: expected MAE as a ratio to the median oracle's, per model and scenario (mean and 95 % CI).",
    ),
    "study_ratio_axis": ("MAE esperado / oráculo mediano", "expected MAE / median oracle's"),
}


# Month abbreviations for date axes, (Portuguese, English) as in TEXT: the machine's locale never decides them.
MONTHS: tuple[tuple[str, str], ...] = (
    ("jan", "Jan"),
    ("fev", "Feb"),
    ("mar", "Mar"),
    ("abr", "Apr"),
    ("mai", "May"),
    ("jun", "Jun"),
    ("jul", "Jul"),
    ("ago", "Aug"),
    ("set", "Sep"),
    ("out", "Oct"),
    ("nov", "Nov"),
    ("dez", "Dec"),
)


# The models' names in Portuguese; English is what reports already call them (forecasting's LABELS).
MODELS_PT = {
    "network": "rede neural",
    "network_mlp": "rede MLP simples",
    "network_hybrid": "rede híbrida",
    "seasonal_naive": "ingênuo sazonal",
    "rate_naive": "ingênuo por taxa",
    "linear": "regressão linear",
    "glm": "GLM de Poisson",
    "gbm": "gradient boosting",
    "gbm_rate": "gradient boosting sobre HH por hora de voo",
}
# Why clean rejected a row, (Portuguese, English), for the reject figures (core.contract's reason codes).
REASONS: dict[str, tuple[str, str]] = {
    "missing_event_id": ("sem número de defeito", "no defect number"),
    "unparseable_date": ("data ilegível", "unreadable date"),
    "unknown_source": ("fonte desconhecida", "unknown source"),
    "missing_hh": ("sem HH", "no HH"),
    "unparseable_hh": ("HH ilegível", "unreadable HH"),
    "negative_hh": ("HH negativo", "negative HH"),
    "hh_above_max": ("HH acima do máximo", "HH above the maximum"),
    "duplicate": ("duplicada", "duplicate"),
    "superseded": ("substituída por exportação posterior", "superseded by a later export"),
    "source_not_kept": ("fonte fora do escopo", "source not modelled"),
    "fleet_not_selected": ("frota não selecionada", "fleet not selected"),
    "outside_dataset_weeks": ("fora das semanas do dataset", "outside the dataset's weeks"),
}


def model(key: str, language: str) -> str:
    """What a model is called in `language` (its key as is when unnamed)."""
    from hhforecast.forecasting.forecasters import LABELS

    if language == "pt":
        return MODELS_PT.get(key, key)
    return LABELS.get(key, key)


def reason(key: str, language: str) -> str:
    """A reject reason in `language` (its code as is when unnamed)."""
    pair = REASONS.get(key)
    return key if pair is None else pair[LANGUAGES.index(language)]


def decimal(shown: str, language: str) -> str:
    """A number already written with a decimal point, with the decimal comma Portuguese uses."""
    return shown.replace(".", ",") if language == "pt" else shown


def month(number: int, language: str) -> str:
    """Month `number` (1-12) abbreviated in `language`."""
    return MONTHS[number - 1][LANGUAGES.index(language)]


def text(key: str, language: str) -> str:
    """The label or caption `key` in `language` ("pt" or "en"); an unknown key is shown as is."""
    if language not in LANGUAGES:
        raise ValueError(f"report.language must be one of {LANGUAGES}, got {language!r}")
    pair = TEXT.get(key)
    return key if pair is None else pair[LANGUAGES.index(language)]


def p_value(value: float, language: str) -> str:
    """A p-value as the study's tables and the docs print it: three significant digits, a decimal comma in
    Portuguese; below the JSON's 6 decimals a bound, not 0."""
    if value < 1e-6:
        return "< 1e-06"
    shown = f"{value:.3g}"
    return decimal(shown, language)
