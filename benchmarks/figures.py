"""The figures `make bench` reports: each a value beside the limit measured in the same run,
their ratio oriented so that higher is better, and the target it is judged by.

`Figure.as_dict` is one entry of the JSON's `figures`; `problems` says what makes a result
file incomplete (what `make bench-smoke` checks); `markdown_table` is RESULTS.md's table.
"""

import math
from dataclasses import asdict, dataclass, field

# How a target is read: a least ratio to the baseline, or a limit on the value itself.
MIN_RATIO, MAX_VALUE, MIN_VALUE = "min_ratio", "max_value", "min_value"
# Figures that may be skipped with a printed reason: the only outside software (from PyPI).
MAY_SKIP = ("helpdesk",)


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float
    higher_is_better: bool
    target: float | None = None
    target_kind: str = MIN_RATIO
    spread: dict = field(default_factory=dict)
    cpu_ms_per_op: float | None = None
    note: str = ""
    skipped: str = ""
    baseline_unit: str = ""  # when it differs from the value's

    @property
    def ratio(self) -> float:
        if not self.value or not self.baseline:
            return float("nan")
        return self.value / self.baseline if self.higher_is_better else self.baseline / self.value

    @property
    def met(self) -> bool | None:
        if self.target is None or self.skipped:
            return None
        if self.target_kind == MIN_RATIO:
            return self.ratio >= self.target
        if self.target_kind == MAX_VALUE:
            return self.value <= self.target
        return self.value >= self.target

    def as_dict(self) -> dict:
        out = asdict(self)
        out["ratio"] = _finite(self.ratio)
        out["met"] = self.met
        for key in ("value", "baseline", "cpu_ms_per_op"):
            out[key] = _finite(out[key])
        out["spread"] = {
            k: [_finite(x) for x in v] if isinstance(v, list) else _finite(v)
            for k, v in self.spread.items()
        }
        return out


def skipped(name: str, unit: str, baseline_name: str, reason: str) -> Figure:
    return Figure(
        name=name,
        value=float("nan"),
        unit=unit,
        baseline_name=baseline_name,
        baseline=float("nan"),
        higher_is_better=True,
        skipped=reason,
    )


def _finite(x):
    if isinstance(x, float):
        return round(x, 4) if math.isfinite(x) else None
    return x


def problems(result: dict, expected: list[str]) -> list[str]:
    """Why a result file is not complete: a figure missing or unnamed, a value, baseline or
    ratio not a finite number, no repetitions; a skip only where MAY_SKIP allows one."""
    found = []
    for key in ("revision", "machine", "figures"):
        if key not in result:
            found.append(f"no {key}")
    figures = {f.get("name"): f for f in result.get("figures", [])}
    for name in expected:
        if name not in figures:
            found.append(f"{name}: missing")
    for name, figure in figures.items():
        if figure.get("skipped"):
            if not any(word in name for word in MAY_SKIP):
                found.append(f"{name}: skipped ({figure['skipped']})")
            continue
        for key in ("value", "baseline", "ratio"):
            value = figure.get(key)
            if not isinstance(value, int | float) or isinstance(value, bool):
                found.append(f"{name}: {key} is {value!r}")
            elif not math.isfinite(value):
                found.append(f"{name}: {key} is not finite")
        if not figure.get("baseline_name"):
            found.append(f"{name}: no baseline_name")
        if len(figure.get("spread", {}).get("runs", [])) < 5:
            found.append(f"{name}: fewer than 5 repetitions")
    return found


def _number(x: float | None, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.2f}"
    return f"{text} {unit}".strip()


def _target(figure: dict) -> str:
    if figure["target"] is None:
        return "–"
    if figure["target_kind"] == MIN_RATIO:
        text = f"≥ {figure['target']}×"
    elif figure["target_kind"] == MAX_VALUE:
        text = f"≤ {_number(figure['target'], figure['unit'])}"
    else:
        text = f"≥ {_number(figure['target'], figure['unit'])}"
    return f"{text} {'met' if figure['met'] else '**not met**'}"


def markdown_table(figures: list[dict]) -> list[str]:
    lines = [
        "| figure | value (median; min–max of runs) | server CPU-ms/op | baseline | ratio | target |",
        "|---|---|---:|---|---:|---|",
    ]
    for f in figures:
        if f["skipped"]:
            lines.append(
                f"| `{f['name']}` | skipped: {f['skipped']} | | {f['baseline_name']} | | |"
            )
            continue
        spread = f["spread"]
        runs = (
            f" ({_number(spread['min'])}–{_number(spread['max'])})"
            if spread.get("runs") and spread["min"] != spread["max"]
            else ""
        )
        lines.append(
            f"| `{f['name']}` | {_number(f['value'], f['unit'])}{runs} "
            f"| {_number(f['cpu_ms_per_op'])} "
            f"| {f['baseline_name']}: {_number(f['baseline'], f['baseline_unit'] or f['unit'])} "
            f"| {_number(f['ratio'])}× | {_target(f)} |"
        )
    return lines
