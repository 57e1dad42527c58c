"""What a benchmark section returns, and how the command prints it."""

import json
import platform
from dataclasses import asdict, dataclass

import django
import psycopg


@dataclass(frozen=True, slots=True)
class Row:
    """One figure. With a floor it is a ratio, and with a target it passes or fails."""

    section: str
    measure: str
    value: float
    unit: str
    floor: float | None = None
    floor_measure: str = ""
    target: str = ""  # "<= 3" or ">= 0.6": the ratio's bound
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.floor == 0:
            return None
        return self.value / self.floor

    @property
    def met(self) -> bool | None:
        if not self.target or self.ratio is None:
            return None
        operator, bound = self.target.split()
        return self.ratio <= float(bound) if operator == "<=" else self.ratio >= float(bound)


def machine() -> dict[str, str]:
    import os

    return {
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "platform": platform.platform(terse=True),
    }


def as_json(rows: list[Row], *, postgres: str) -> str:
    return json.dumps(
        {
            "machine": {**machine(), "postgresql": postgres},
            "rows": [{**asdict(row), "ratio": row.ratio, "met": row.met} for row in rows],
        },
        indent=2,
    )


def as_table(rows: list[Row], *, postgres: str) -> str:
    """A Markdown table, ready to paste into the README."""
    header = "| section | measure | value | floor | ratio | target | met |"
    lines = [header, "|---|---|---:|---|---:|---|---|"]
    for row in rows:
        floor = f"{_number(row.floor)} {row.unit} ({row.floor_measure})" if row.floor else ""
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        met = {True: "yes", False: "**NO**", None: ""}[row.met]
        note = f" — {row.note}" if row.note else ""
        lines.append(
            f"| {row.section} | {row.measure}{note} | {_number(row.value)} {row.unit} | {floor}"
            f" | {ratio} | {row.target.replace('<=', '≤').replace('>=', '≥')} | {met} |"
        )
    info = machine()
    lines.append("")
    lines.append(
        f"Machine: {info['cpus']} CPUs, {info['platform']}, Python {info['python']}, "
        f"Django {info['django']}, psycopg {info['psycopg']}, PostgreSQL {postgres}."
    )
    return "\n".join(lines)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
