"""The docs' numbers, generated: every figure README*.md and docs/**/*.md take from the committed metrics.

A generated block sits between two HTML comments, `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
Each NAME has one generator here, which reads the committed files (metrics/*.json, reports/results.md,
reports/study.md, metrics/study.json, metrics/sweep/*.json, params.yaml, and the code's import graph) and
writes the block in the document's language: Portuguese in README.pt-BR.md and docs/pt-BR/, English
elsewhere. A block generator writes whole lines (a table, a paragraph), starting on the line after the
opening comment; an inline generator writes a value inside a sentence.

    python -m hhforecast.reporting.docnumbers           # rewrite every block (make docs-numbers)
    python -m hhforecast.reporting.docnumbers --check   # change nothing; exit 1 naming each stale document

An unknown NAME or a block left open is an error naming the document and the line. Everything but
`Sources` (which reads the files, and runs `ruff analyze graph` for the import graph) and `main` is pure:
text in, text out.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hhforecast.core import config, paths
from hhforecast.core.errors import HHForecastError
from hhforecast.evaluation import compare
from hhforecast.forecasting import forecasters
from hhforecast.reporting import labels, release, sweep

BLOCK = re.compile(r"<!-- generated:(?P<name>[a-z0-9-]+) -->(?P<body>.*?)<!-- /generated:(?P=name) -->", re.S)
OPENING = re.compile(r"<!-- generated:([a-z0-9-]+) -->")
CLOSING = re.compile(r"<!-- /generated:([a-z0-9-]+) -->")


class DocNumbersError(HHForecastError):
    """A document or a source the docs' numbers cannot be generated from: the message names it."""


def documents(root: Path) -> list[Path]:
    """The documents whose blocks are generated: README*.md and docs/**/*.md."""
    return sorted([*root.glob("README*.md"), *root.glob("docs/**/*.md")])


def language_of(relative: Path) -> str:
    """'pt' for README.pt-BR.md and everything under docs/pt-BR/, 'en' otherwise."""
    return "pt" if relative.name == "README.pt-BR.md" or relative.parts[:2] == ("docs", "pt-BR") else "en"


@dataclass
class Sources:
    """The committed files the numbers come from, each read once."""

    root: Path
    _cache: dict[str, Any] = field(default_factory=dict)

    def _once(self, key: str, read: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def text(self, relative: Path) -> str:
        def read() -> str:
            path = self.root / relative
            if not path.is_file():
                raise DocNumbersError(f"{relative.as_posix()} is missing: it is committed, or made by `make repro`")
            return path.read_text(encoding="utf-8")

        return str(self._once(relative.as_posix(), read))

    def json(self, relative: Path) -> Any:
        return self._once(f"json:{relative.as_posix()}", lambda: json.loads(self.text(relative)))

    def params(self) -> dict[str, Any]:
        return dict(self._once("params", lambda: yaml.safe_load(self.text(config.DEFAULT_PARAMS))))

    def sweep(self) -> dict[str, dict[str, Any]]:
        """metrics/sweep/NAME.json, by NAME."""

        def read() -> dict[str, dict[str, Any]]:
            files = sorted((self.root / paths.SWEEP).glob("*.json"))
            if not files:
                raise DocNumbersError(f"{paths.SWEEP.as_posix()}/ holds no run: record the sweep first")
            return {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in files}

        return dict(self._once("sweep", read))

    def import_graph(self) -> dict[str, list[str]]:
        """`ruff analyze graph hhforecast`: each hhforecast file and the hhforecast files it imports."""

        def read() -> dict[str, list[str]]:
            ruff = Path(sys.executable).parent / "ruff"
            command = [
                str(ruff) if ruff.is_file() else shutil.which("ruff") or "ruff",
                "analyze",
                "graph",
                "hhforecast",
            ]
            result = subprocess.run(command, cwd=self.root, capture_output=True, text=True)
            if result.returncode != 0:
                raise DocNumbersError(f"{' '.join(command[1:])} failed: {result.stderr.strip()}")
            return dict(json.loads(result.stdout))

        return dict(self._once("graph", read))


# --- formatting -------------------------------------------------------------------------------


def number(value: float, digits: int, language: str, sign: bool = False) -> str:
    """A number in prose: 1,234.5 in English, 1.234,5 in Portuguese; a true minus sign."""
    text = f"{value:{'+' if sign else ''},.{digits}f}"
    if language == "pt":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "−")


def percent(share: float, language: str) -> str:
    return f"{number(100 * share, 0, language)} %"


def listing(items: list[str], language: str, either: bool = False) -> str:
    """'a', 'a and b', 'a, b and c' (Portuguese 'e'); with `either`, 'or' ('nem', after a negation)."""
    word = {("en", False): " and ", ("pt", False): " e ", ("en", True): " or ", ("pt", True): " nem "}[
        (language, either)
    ]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + word + items[-1]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


# Model names in Portuguese prose, with the contraction of "de" + the article ("da regressão linear").
PT_MODELS = {
    forecasters.NETWORK: ("rede", "da"),
    "seasonal_naive": ("ingênua sazonal", "da"),
    "rate_naive": ("ingênua de taxa", "da"),
    "linear": ("regressão linear", "da"),
    "glm": ("GLM de Poisson", "do"),
    "gbm": ("gradient boosting", "do"),
    "gbm_rate": ("gradient boosting sobre HH por FH", "do"),
}


def model(name: str, language: str) -> str:
    if language == "pt":
        return PT_MODELS.get(name, (name, "de"))[0]
    return forecasters.LABELS.get(name, name)


def of_model(name: str, language: str) -> str:
    """'linear regression's' / 'da regressão linear'."""
    if language == "pt":
        label, of = PT_MODELS.get(name, (name, "de"))
        return f"{of} {label}"
    return f"{model(name, language)}'s"


def _baselines(names: list[str]) -> list[str]:
    return [b for b in forecasters.BASELINES if b in names] + sorted(n for n in names if n not in forecasters.BASELINES)


# --- the generators ---------------------------------------------------------------------------


def results(sources: Sources, language: str) -> str:
    """reports/results.md as the `results` stage wrote it (in English in both languages)."""
    return sources.text(paths.RESULTS)


def expected_numbers(sources: Sources, language: str) -> str:
    """The reviewers' numbers to expect: the same lines as a release's tag message."""
    lines = release.headline(sources.json(paths.EVAL), sources.json(paths.DATA_QUALITY), language)
    return release.markdown_table(lines, language)


STUDY_HEADINGS_PT = {
    "What it says": "O que ele diz",
    "The retraining verdict, measured": "O veredito de retreino, medido",
}


def study_results(sources: Sources, language: str) -> str:
    """reports/study.md without its title, its headings two levels down (they sit under a section's "Results")."""
    lines = sources.text(paths.STUDY_REPORT).splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    while lines and not lines[0].strip():
        lines = lines[1:]
    out = []
    for line in lines:
        heading = re.match(r"(#{2,4}) (.+)", line)
        if heading:
            title = heading.group(2)
            if language == "pt":
                title = STUDY_HEADINGS_PT.get(title, title)
            line = f"{heading.group(1)}## {title}"
        out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def _in_params_order(sources: Sources) -> dict[str, Any]:
    """metrics/study.json's families in the order `study.families` lists them (the JSON sorts them)."""
    scenarios: dict[str, Any] = sources.json(paths.STUDY)["scenarios"]
    listed = [f for f in sources.params()["study"]["families"] if f in scenarios]
    return {f: scenarios[f] for f in [*listed, *sorted(set(scenarios) - set(listed))]}


def study_run(sources: Sources, language: str) -> str:
    """How many worlds the committed study has, and which networks it fitted."""
    scenarios = sources.json(paths.STUDY)["scenarios"]
    counts = sorted({s["worlds"] for s in scenarios.values()})
    per = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    total = sum(s["worlds"] for s in scenarios.values())
    study, train = sources.params()["study"], sources.params()["train"]
    networks = study.get("ensemble") or train["ensemble"]
    setting = f"`study.ensemble: {'null' if study.get('ensemble') is None else study['ensemble']}`"
    if language == "pt":
        whose = "do modelo principal" if study.get("ensemble") is None else "por ajuste"
        return (
            f"**Esta execução tem {per} mundos por família** ({total} ao todo, cada um com o seu gêmeo sem drift) "
            f"e o ensemble de {networks} redes {whose} ({setting}).\n"
        )
    whose = "the main model's" if study.get("ensemble") is None else "a per-fit"
    return (
        f"**This run has {per} worlds per family** ({total} in all, each with its drift-free twin) and "
        f"{whose} {networks}-network ensemble ({setting}).\n"
    )


VERDICTS = ("network better", "tie", "network worse")
REASONS = {
    "en": {"errors": "its errors", "feature": "feature drift", "age": "the model's age"},
    # Portuguese: with its contracted preposition ("pelos seus erros"), as every sentence needs one.
    "pt": {"errors": "pelos seus erros", "feature": "por drift de feature", "age": "pela idade do modelo"},
}


def study_reading(sources: Sources, language: str) -> str:
    """What the study's tables say across families, every figure read from metrics/study.json."""
    pt = language == "pt"
    scenarios = _in_params_order(sources)
    families = list(scenarios)
    monitor_params = sources.params()["monitor"]
    names = _baselines(
        sorted({m for s in scenarios.values() for m in s["vs_network"] if m not in forecasters.ARCHITECTURE_MODELS})
    )

    rows, better_in = [], {}
    for name in names:
        groups = _families_by_verdict(scenarios, name, language)
        better_in[name] = len(groups["network better"])
        rows.append([model(name, language), *[", ".join(groups[v]) or "–" for v in VERDICTS]])
    header = (
        ["referência", "rede melhor em", "empate em", "rede pior em"]
        if pt
        else ["baseline", "network better in", "tie in", "network worse in"]
    )
    out = [table(header, rows)]

    n = len(families)
    counts = listing([f"{model(m, language)} {better_in[m]}" for m in names], language)
    out.append(
        f"Famílias (de {n}) em que a rede é melhor: {counts}."
        if pt
        else f"Families (of {n}) where the network is better: {counts}."
    )
    for family in families:
        comparisons = scenarios[family]["vs_network"]
        for name in _baselines(list(comparisons)):
            c = comparisons[name]
            if c["verdict"] == "tie" and (c["ci_low"] > 0 or c["ci_high"] < 0):
                diff = number(c["diff_mean"], 3, language, sign=True)
                span = (
                    f"[{number(c['ci_low'], 3, language, sign=True)}, {number(c['ci_high'], 3, language, sign=True)}]"
                )
                size = c.get("holm_size", len(comparisons))
                if pt:
                    edge = (
                        f"da rede sobre a {model(name, language)}" if c["diff_mean"] < 0 else of_model(name, language)
                    )
                    out.append(
                        f"Em `{family}`, a vantagem {edge} ({diff}, intervalo {span}) é um empate depois que a "
                        f"correção de Holm conta as {size} comparações da pergunta "
                        f"(p {labels.p_value(c['p_holm'], language)})."
                    )
                else:
                    edge = (
                        f"the network's edge over {model(name, language)}"
                        if c["diff_mean"] < 0
                        else f"{of_model(name, language)} edge"
                    )
                    out.append(
                        f"In `{family}`, {edge} ({diff}, interval {span}) is a tie once Holm's correction counts "
                        f"the question's {size} comparisons (p {labels.p_value(c['p_holm'], language)})."
                    )
    out.append(_equivalence_sentence(scenarios, names, sources.json(paths.STUDY)["equivalence_margin"], language))
    ablation = _ablation_sentence(scenarios, language)
    if ablation:
        out.append(ablation)
    out[-1] += "\n"
    out.append(_verdict_paragraph(scenarios, monitor_params, language))
    return out[0] + "\n" + "\n".join(out[1:]) + "\n"


def study_headline(sources: Sources, language: str) -> str:
    """Where the network pays, in a few plain lines for the README, from metrics/study.json."""
    pt = language == "pt"
    scenarios = _in_params_order(sources)
    worlds = sorted({s["worlds"] for s in scenarios.values()})
    network = [
        f"`{f}` {number(s['models'][forecasters.NETWORK]['ratio_mean'], 3, language)}" for f, s in scenarios.items()
    ]
    verdicts: dict[str, dict[str, list[str]]] = {v: {} for v in VERDICTS}
    for family, scenario in scenarios.items():
        for name, c in scenario["vs_network"].items():
            verdicts[c["verdict"]].setdefault(model(name, language), []).append(f"`{family}`")

    def grouped(verdict: str) -> str:
        return "; ".join(f"{name}: {', '.join(families)}" for name, families in verdicts[verdict].items()) or "–"

    count = "–".join(str(w) for w in dict.fromkeys([worlds[0], worlds[-1]]))
    if pt:
        return (
            f"No estudo de simulação ({len(scenarios)} famílias, {count} mundos cada), o MAE esperado da rede padrão "
            f"como razão ao do oráculo da mediana (média por família): {', '.join(network)}.\n\n"
            f"- **A rede é melhor** (Holm, p < 0,05) que {grouped('network better')}.\n"
            f"- **Nenhuma diferença demonstrada** com {grouped('tie')}.\n"
            f"- **A rede é pior** que {grouped('network worse')}.\n"
        )
    return (
        f"In the simulation study ({len(scenarios)} families, {count} worlds each), the default network's expected MAE "
        f"as a ratio to the median oracle's (mean per family): {', '.join(network)}.\n\n"
        f"- **The network is better** (Holm, p < 0.05) than {grouped('network better')}.\n"
        f"- **No difference shown** from {grouped('tie')}.\n"
        f"- **The network is worse** than {grouped('network worse')}.\n"
    )


def _equivalence_sentence(scenarios: dict[str, Any], names: list[str], margin_ratio: float, language: str) -> str:
    """Where TOST shows the network equivalent to a baseline within the margin (or nowhere)."""
    pt = language == "pt"
    found = [
        f"{model(name, language)} (`{family}`)"
        for family, scenario in scenarios.items()
        for name in names
        if scenario["vs_network"].get(name, {}).get("equivalent")
    ]
    margin = number(margin_ratio, 2, language)
    if pt:
        head = f"**Equivalência** (TOST, margem ±{margin} na razão): "
        return head + (
            f"a rede é equivalente a {listing(found, language)}." if found else "não demonstrada em nenhum caso."
        )
    head = f"**Equivalence** (TOST, margin ±{margin} in ratio): "
    return head + (f"the network is equivalent to {listing(found, language)}." if found else "shown nowhere.")


def _families_by_verdict(scenarios: dict[str, Any], name: str, language: str) -> dict[str, list[str]]:
    """Per verdict of the network against `name`, the families it holds in, each with its mean difference."""
    groups: dict[str, list[str]] = {v: [] for v in VERDICTS}
    for family, scenario in scenarios.items():
        c = scenario["vs_network"].get(name)
        if c is not None:
            groups[c["verdict"]].append(f"`{family}` ({number(c['diff_mean'], 3, language, sign=True)})")
    return groups


def _ablation_sentence(scenarios: dict[str, Any], language: str) -> str:
    """The default network against the other architecture, family by family (the second Holm family)."""
    pt = language == "pt"
    compared = [n for n in forecasters.ARCHITECTURE_MODELS if any(n in s["vs_network"] for s in scenarios.values())]
    if not compared:
        return ""
    other = compared[0]
    groups = _families_by_verdict(scenarios, other, language)
    what = model(other, language)
    if pt:
        return (
            f"**Ablação** (a rede padrão contra a {what}, Holm sobre as famílias): melhor em "
            f"{', '.join(groups['network better']) or '–'}; empate em {', '.join(groups['tie']) or '–'}; pior em "
            f"{', '.join(groups['network worse']) or '–'}."
        )
    return (
        f"**Ablation** (the default network against the {what}, Holm over the families): better in "
        f"{', '.join(groups['network better']) or '–'}; tie in {', '.join(groups['tie']) or '–'}; worse in "
        f"{', '.join(groups['network worse']) or '–'}."
    )


def _verdict_paragraph(scenarios: dict[str, Any], monitor_params: dict[str, Any], language: str) -> str:
    pt = language == "pt"
    families = list(scenarios)
    rate = float(monitor_params["false_alarm_rate"])
    worlds = {f: int(s["worlds"]) for f, s in scenarios.items()}
    noise = {f: round(s["monitor"]["noise_false_alarm_rate"] * worlds[f]) for f, s in scenarios.items()}
    total, fired = sum(worlds.values()), sum(noise.values())
    by_family = ", ".join(f"`{f}` {noise[f]}" for f in families)
    within = fired / total <= rate
    parts = []
    if pt:
        parts.append(
            f"**O veredito de retreino.** O seu teste de erro, alimentado com as previsões do oráculo da mediana "
            f"(um modelo que não pode se degradar), disparou em {fired} dos {total} gêmeos sem drift ({by_family}): "
            f"{'dentro' if within else 'acima'} dos {percent(rate, language)} para os quais é calibrado "
            f"(`monitor.false_alarm_rate`)."
        )
    else:
        parts.append(
            f"**The retraining verdict.** Its error test, fed the median oracle's forecasts (a model that cannot "
            f"decay), fired on {fired} of the {total} drift-free twins ({by_family}): "
            f"{'within' if within else 'above'} the {percent(rate, language)} it is calibrated to "
            f"(`monitor.false_alarm_rate`)."
        )
    kinds = sorted({k for s in scenarios.values() for k in s["monitor"]["false_alarm_reasons"]})
    silent = [REASONS[language][k] for k in ("feature", "age") if k not in kinds]
    for kind in kinds:
        shares = ", ".join(
            f"`{f}` {percent(scenarios[f]['monitor']['false_alarm_reasons'].get(kind, 0.0), language)}"
            for f in families
        )
        if pt:
            parts.append(f"Nos gêmeos sem drift, o veredito da rede disparou {REASONS[language][kind]} em: {shares}.")
        else:
            parts.append(
                f"On the drift-free twins the network's verdict fired through {REASONS[language][kind]} in: {shares}."
            )
    if silent:
        who = listing(silent, language, either=True)
        parts.append(f"Nunca disparou {who}." if pt else f"It never fired through {who}.")
    decayed = [f for f in families if scenarios[f]["monitor"]["false_alarm_rate"] > rate]
    if decayed:

        def ratios(f: str) -> str:
            production = number(scenarios[f]["monitor"]["drift_free_production_ratio_mean"], 2, language)
            test = number(scenarios[f]["models"][forecasters.NETWORK]["ratio_mean"], 2, language)
            if pt:
                return f"{production} em `{f}` ({test} na sua janela de teste)"
            return f"{production} in `{f}` ({test} on its test window)"

        deserved = all(
            scenarios[f]["monitor"]["drift_free_production_ratio_mean"]
            > scenarios[f]["models"][forecasters.NETWORK]["ratio_mean"]
            for f in decayed
        )
        listed = listing([ratios(f) for f in decayed], language)
        if pt:
            parts.append(
                f"Onde disparou em mais que {percent(rate, language)} dos gêmeos, o MAE esperado da rede nas semanas "
                f"de produção, como razão ao do oráculo, foi {listed}"
                + (": a rede se degradou sem drift plantado, e esses alarmes são merecidos." if deserved else ".")
            )
        else:
            parts.append(
                f"Where it fired on more than {percent(rate, language)} of the twins, the network's expected MAE over "
                f"the production weeks, as a ratio to the oracle's, was {listed}"
                + (": the network decayed with no planted drift, and those alarms are deserved." if deserved else ".")
            )
    rates = sorted({s["monitor"]["detection_rate"] for s in scenarios.values()})
    delays = sorted(
        {
            s["monitor"]["detection_delay_weeks"]
            for s in scenarios.values()
            if s["monitor"]["detection_delay_weeks"] is not None
        }
    )
    if rates == [1.0]:
        found = "em todos os mundos com drift" if pt else "in every drifted world"
    else:
        found = (
            f"em {percent(rates[0], language)} a {percent(rates[-1], language)} dos mundos com drift"
            if pt
            else f"in {percent(rates[0], language)} to {percent(rates[-1], language)} of the drifted worlds"
        )
    if delays:
        span = number(delays[0], 1, language) + (f"–{number(delays[-1], 1, language)}" if len(delays) > 1 else "")
        first = len(delays) == 1 and delays[0] == monitor_params["min_drift_weeks"]
        if pt:
            parts.append(
                f"Detectou o drift plantado {found}, após {span} semanas em média"
                + (", a primeira semana em que o drift pode ser julgado (`monitor.min_drift_weeks`)." if first else ".")
            )
        else:
            parts.append(
                f"It detected the planted drift {found}, after {span} weeks on average"
                + (", the first week drift may be judged (`monitor.min_drift_weeks`)." if first else ".")
            )
    return " ".join(parts) + "\n"


def _describe(train: dict[str, Any]) -> str:
    return f"{train['layers']}×{train['units']}, ensemble {train['ensemble']}, lr {train['learning_rate']}"


def sweep_table(sources: Sources, language: str) -> str:
    """The sweep's runs against the default, paired week by week on the backtest, from metrics/sweep/."""
    pt = language == "pt"
    runs = sources.sweep()
    if sweep.DEFAULT not in runs:
        raise DocNumbersError(f"{paths.SWEEP.as_posix()}/{sweep.DEFAULT}.json is missing: record the default run")
    default = runs[sweep.DEFAULT]
    others = {name: run for name, run in runs.items() if name != sweep.DEFAULT}
    words = {"better": "melhor", "worse": "pior", "tie": "empate"} if pt else {}
    header = (
        [
            "execução",
            "params",
            "MAE do backtest",
            "execução − padrão, pareado (HH/semana, IC 95 %)",
            "DM p (HLN)",
            "p (Holm)",
            "veredito",
            "razão do MAE esperado",
            "MAE no teste",
        ]
        if pt
        else [
            "run",
            "params",
            "backtest MAE",
            "run − default, paired (HH/week, 95 % CI)",
            "DM p (HLN)",
            "p (Holm)",
            "verdict",
            "expected MAE ratio",
            "test MAE",
        ]
    )
    rows = [
        [
            "padrão" if pt else "default",
            _describe(default["train"]),
            f"{default['backtest_mae']:.3f}",
            "–",
            "–",
            "–",
            "–",
            f"{default['expected_mae_ratio']:.4f}",
            f"{default['test_mae']:.3f}",
        ]
    ]
    if "fold" not in default["backtest"]:
        raise DocNumbersError(f"{paths.SWEEP.as_posix()}/{sweep.DEFAULT}.json has no folds: re-record the sweep")
    paired = {}
    for name, run in others.items():
        if run["backtest"]["date"] != default["backtest"]["date"]:
            raise DocNumbersError(f"sweep run {name!r} was backtested on other weeks than the default: re-record both")
        paired[name] = compare.paired_backtest(
            np.asarray(default["backtest"]["actual"], float),
            np.asarray(run["backtest"][forecasters.NETWORK], float),
            np.asarray(default["backtest"][forecasters.NETWORK], float),
            default["backtest"]["fold"],
        )
    # One Holm family: every run against the default, as the backtest's baselines against the network.
    held = dict(zip(paired, compare.holm([result.p_value for result in paired.values()])))
    verdicts = {
        name: compare.verdict_after_holm(result.ci_low, result.ci_high, held[name]) for name, result in paired.items()
    }
    for name, run in others.items():
        result = paired[name]
        changed = ", ".join(f"{k} {v}" for k, v in sorted(run["train"].items()) if default["train"].get(k) != v)
        rows.append(
            [
                name,
                changed or "–",
                f"{run['backtest_mae']:.3f}",
                f"{result.mae_diff:+.2f} [{result.ci_low:+.2f}, {result.ci_high:+.2f}]",
                labels.p_value(result.p_value, language),
                labels.p_value(held[name], language),
                words.get(verdicts[name], verdicts[name]),
                f"{run['expected_mae_ratio']:.4f}",
                f"{run['test_mae']:.3f}",
            ]
        )
    weeks = len(default["backtest"]["date"])
    horizon = compare.fold_horizon(default["backtest"]["fold"])
    out = [table(header, rows)]
    out.append(
        f"Backtest de {weeks} semanas; cada execução é pareada com a padrão semana a semana: Diebold–Mariano com "
        f"HAC de Newey–West de {horizon} defasagens (uma dobra) e a correção de Harvey–Leybourne–Newbold, como no "
        f"backtest; Holm sobre as {len(paired)} execuções. Um empate não mostra diferença."
        if pt
        else f"Backtest of {weeks} weeks; each run is paired with the default week by week: Diebold–Mariano with a "
        f"Newey–West HAC of {horizon} lags (one fold) and the Harvey–Leybourne–Newbold correction, as in the "
        f"backtest; Holm over the {len(paired)} runs. A tie shows no difference."
    )
    for name, result in paired.items():
        if verdicts[name] == compare.TIE:
            continue
        ratio = others[name]["expected_mae_ratio"] / default["expected_mae_ratio"] - 1
        low, high = number(abs(result.ci_low), 2, language), number(abs(result.ci_high), 2, language)
        if verdicts[name] == compare.BETTER:
            low, high = high, low
        if pt:
            out.append(
                f"`{name}` é {words[verdicts[name]]} que a padrão em "
                f"{number(abs(result.mae_diff), 2, language)} HH por semana "
                f"no backtest (IC de 95 % de {low} a {high}), e a sua razão do MAE esperado é "
                f"{percent(abs(ratio), language)} {'maior' if ratio > 0 else 'menor'}."
            )
        else:
            out.append(
                f"`{name}` is {verdicts[name]} than the default by "
                f"{number(abs(result.mae_diff), 2, language)} HH a week "
                f"over the backtest (95 % CI {low} to {high}), and its expected MAE ratio is "
                f"{percent(abs(ratio), language)} {'higher' if ratio > 0 else 'lower'}."
            )
    ties = [name for name in paired if verdicts[name] == compare.TIE]
    if ties:
        spread = max(abs(others[n]["expected_mae_ratio"] - default["expected_mae_ratio"]) for n in ties)
        named = listing([f"`{n}`" for n in ties], language)
        out.append(
            f"{named} empatam com a padrão: nenhuma diferença mostrada após Holm, e as suas razões do MAE esperado "
            "diferem "
            f"da dela em no máximo {number(spread, 4, language)}."
            if pt
            else f"{named} tie with the default: no difference shown after Holm, and their expected MAE ratios "
            "differ "
            f"from its by at most {number(spread, 4, language)}."
        )
    lowest = min(runs, key=lambda n: runs[n]["test_mae"])
    if lowest in paired and verdicts[lowest] == compare.WORSE:
        value = number(runs[lowest]["test_mae"], 2, language)
        out.append(
            f"O MAE de teste de `{lowest}` é o menor de todos ({value}): o sorteio de um ano premiou um modelo que o "
            f"backtest julga pior, e é por isso que a janela de teste não decide nada aqui."
            if pt
            else f"`{lowest}`'s test MAE is the lowest of all ({value}): one year's draw rewarded a model the backtest "
            f"finds worse, which is why the test window decides nothing here."
        )
    if compare.BETTER not in verdicts.values():
        out.append(
            "Nenhuma execução vence a padrão, que fica: as configurações foram escolhidas nos mundos de "
            "desenvolvimento e confirmadas pelo estudo, e um empate aqui não mostra diferença, não uma equivalência."
            if pt
            else "No run beats the default, so it stays: the settings were chosen on the development worlds and "
            "confirmed by the study, and a tie here shows no difference, not an equivalence."
        )
    committed = sources.json(paths.EVAL)
    tolerance = float(sources.params()["verify"]["rel_tolerance"])
    now = (committed["backtest"]["mae"][forecasters.NETWORK], committed["test"]["mae"])
    then = (default["backtest_mae"], default["test_mae"])
    if any(abs(a - b) > tolerance * abs(b) for a, b in zip(now, then)):
        out.append(
            f"O modelo versionado mudou desde a varredura (MAE do backtest {number(now[0], 3, language)}, contra "
            f"{number(then[0], 3, language)} na varredura): execute-a de novo."
            if pt
            else "The committed model has changed since the sweep "
            f"(backtest MAE {number(now[0], 3, language)}, against "
            f"{number(then[0], 3, language)} in the sweep): run it again."
        )
    else:
        out.append(
            "A execução padrão é o modelo versionado (o mesmo MAE de backtest e de teste de `metrics/eval.json`)."
            if pt
            else "The default run is the committed model (the same backtest and test MAE as `metrics/eval.json`)."
        )
    return out[0] + "\n" + "\n".join(out[1:]) + "\n"


def backtest_span(sources: Sources, language: str) -> str:
    backtest = sources.json(paths.EVAL)["backtest"]
    if language == "pt":
        return f"{backtest['folds']} dobras, {backtest['weeks']} semanas"
    return f"{backtest['folds']} folds, {backtest['weeks']} weeks"


def oracle_r2(sources: Sources, language: str) -> str:
    return number(sources.json(paths.EVAL)["oracle"]["r2"], 2, language)


def monitor_default(sources: Sources, language: str) -> str:
    """What the committed metrics/monitor.json says, in one sentence."""
    pt = language == "pt"
    summary = sources.json(paths.MONITOR)
    drift = summary.get("drift", {})
    alerts = [f"`{f}`" for f, d in drift.items() if d.get("status") == "alert"]
    warnings = [f"`{f}`" for f, d in drift.items() if d.get("status") == "warn"]
    kinds = [REASONS[language].get(k, k) for k in summary.get("reason_kinds", [])]
    performance = summary.get("performance", {})
    parts = [
        (
            f"No mundo sintético padrão, `metrics/monitor.json` tem o status `{summary['status']}` "
            f"(status de saída {summary['exit_code']})"
        )
        if pt
        else f"On the default synthetic world, `metrics/monitor.json` has status `{summary['status']}` "
        f"(exit status {summary['exit_code']})"
    ]
    if alerts:
        parts.append(("alerta de drift em " if pt else "a drift alert on ") + listing(alerts, language))
    if warnings:
        parts.append(("aviso de drift em " if pt else "a drift warning on ") + listing(warnings, language))
    if kinds:
        parts.append(
            ("retreino recomendado " if pt else "retraining recommended because of ") + listing(kinds, language)
        )
    if "error_rise_p_value" in performance:
        p = number(performance["error_rise_p_value"], 3, language)
        level = number(performance["error_rise_critical_p"], 4, language)
        parts.append(
            f"o teste de erro dá p {p} contra o nível por verificação {level}"
            if pt
            else f"the error test gives p {p} against the per-check level {level}"
        )
    return "; ".join(parts) + ".\n"


def import_graph(sources: Sources, language: str) -> str:
    """Files, edges (importing file, imported hhforecast file) and packages of `ruff analyze graph hhforecast`."""
    graph = sources.import_graph()
    edges = sum(len(targets) for targets in graph.values())
    packages = sum(1 for f in graph if re.fullmatch(r"hhforecast/\w+/__init__\.py", f))
    if language == "pt":
        return f"{len(graph)} arquivos, {edges} arestas, {packages} pacotes"
    return f"{len(graph)} files, {edges} edges, {packages} packages"


Generator = Callable[[Sources, str], str]
# NAME -> (True for a block of whole lines, False for a value inside a sentence; its generator).
GENERATORS: dict[str, tuple[bool, Generator]] = {
    "results": (True, results),
    "expected-numbers": (True, expected_numbers),
    "study-results": (True, study_results),
    "study-run": (True, study_run),
    "study-reading": (True, study_reading),
    "study-headline": (True, study_headline),
    "sweep": (True, sweep_table),
    "monitor-default": (True, monitor_default),
    "backtest-span": (False, backtest_span),
    "oracle-r2": (False, oracle_r2),
    "import-graph": (False, import_graph),
}


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def render(text: str, language: str, sources: Sources, where: str) -> str:
    """`text` with every generated block rewritten; `where` names the document in errors."""
    blocks = list(BLOCK.finditer(text))
    inside = [(m.start(), m.end()) for m in blocks]
    for marker in (*OPENING.finditer(text), *CLOSING.finditer(text)):
        if not any(start <= marker.start() < end for start, end in inside):
            raise DocNumbersError(f"{where}:{_line(text, marker.start())}: {marker.group(0)} has no matching end")
    for m in blocks:
        if m.group("name") not in GENERATORS:
            known = ", ".join(sorted(GENERATORS))
            raise DocNumbersError(
                f"{where}:{_line(text, m.start())}: no generator for block {m.group('name')!r} (known: {known})"
            )

    def rewrite(m: re.Match[str]) -> str:
        name = m.group("name")
        whole_lines, generate = GENERATORS[name]
        body = generate(sources, language)
        if whole_lines:
            body = "\n" + body.rstrip("\n") + "\n"
        elif "\n" in body:
            raise DocNumbersError(f"{where}:{_line(text, m.start())}: block {name!r} is inline but spans lines")
        return f"<!-- generated:{name} -->{body}<!-- /generated:{name} -->"

    return BLOCK.sub(rewrite, text)


def stale(root: Path, write: bool) -> list[str]:
    """The documents whose generated blocks differ from what the committed files give; rewritten if `write`."""
    sources = Sources(root)
    changed = []
    for path in documents(root):
        relative = path.relative_to(root)
        text = path.read_text(encoding="utf-8")
        updated = render(text, language_of(relative), sources, relative.as_posix())
        if updated != text:
            changed.append(relative.as_posix())
            if write:
                path.write_text(updated, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a document is stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (default: here)")
    args = parser.parse_args(argv)
    try:
        changed = stale(args.root, write=not args.check)
    except HHForecastError as exc:
        print(f"docnumbers: {exc}", file=sys.stderr)
        return 1
    if args.check and changed:
        print(
            f"docnumbers: {', '.join(changed)} differ from the committed metrics: run `make docs-numbers`",
            file=sys.stderr,
        )
        return 1
    print(f"docnumbers: {'rewrote ' + ', '.join(changed) if changed else 'every generated block is current'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
