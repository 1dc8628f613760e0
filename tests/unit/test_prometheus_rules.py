"""docs/prometheus-rules.yml parses, and every expression reads metrics the API exports (or that
the file itself records), with the SRE workbook's burn-rate tiers capped at 1 / budget."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from api.metrics import ApiMetrics
from progress.request_log import RequestLog

RULES = Path(__file__).resolve().parents[2] / "docs" / "prometheus-rules.yml"
BUDGETS = {"availability": 0.01, "latency": 0.05, "migration": 0.10, "fallback": 0.05}
TIERS: dict[str, list[tuple[str, str, float]]] = {
    "page": [("1h", "5m", 14.4), ("6h", "30m", 6)],
    "ticket": [("1d", "2h", 3), ("3d", "6h", 1)],
}
METRIC = re.compile(r"\b(progress_ops[a-z0-9_:]*)")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def exported_names() -> set[str]:
    """Every sample name the exposition has, once each metric has a labelled series."""
    metrics = ApiMetrics(RequestLog(create_engine("postgresql+psycopg://")))  # never connects
    metrics.observe_request(
        route="/v1/tutorials/progress/{tutorial_id}", method="GET", status_code=200, seconds=0.1
    )
    text = metrics.exposition().decode()
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }


def test_every_expression_reads_metrics_the_api_exports_or_the_rules_record() -> None:
    exported = exported_names()
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    for rule in rules():
        names = set(METRIC.findall(rule["expr"]))
        assert names, rule
        assert names <= exported | recorded, (names - exported - recorded, rule)


def test_the_latency_histogram_has_the_targets_bucket_bounds() -> None:
    exported = exported_names()
    assert "progress_ops_http_request_duration_seconds_bucket" in exported
    from api.metrics import LATENCY_BUCKETS

    assert {0.2, 0.5} <= set(LATENCY_BUCKETS)


@pytest.mark.parametrize("slo", sorted(BUDGETS))
def test_each_slo_pages_and_tickets_at_the_capped_burn_rates(slo: str) -> None:
    budget = BUDGETS[slo]
    alerts = {
        rule["labels"]["severity"]: rule["expr"]
        for rule in rules()
        if "alert" in rule and rule["labels"]["slo"] == slo
    }
    assert set(alerts) == set(TIERS)
    for severity, pairs in TIERS.items():
        for long, short, factor in pairs:
            threshold = min(factor, 1 / budget) * budget
            for window in (long, short):
                pattern = (
                    rf'progress_ops:slo_error_ratio:rate{window}\{{slo="{slo}"\}} >=? '
                    rf"([0-9.]+)"
                )
                found = [float(v) for v in re.findall(pattern, alerts[severity])]
                assert any(v == pytest.approx(threshold) for v in found), (slo, severity, window)
