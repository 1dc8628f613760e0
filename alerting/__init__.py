"""Burn-rate alerting: evaluate the SLOs (`queries.slo`), record alert state in PostgreSQL
(`alerting.store`), notify a webhook (`alerting.notify`). `alerting.evaluator.evaluate_once` is
what `progress-ops alerts evaluate` and `serve` run. Above `queries/` and `progress/`; the
dashboard reads alert history through `queries.alerts`. Operators' guide: docs/alerts.md.
"""
