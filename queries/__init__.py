"""The dashboard's read side: one function per question, SQLAlchemy Core with bound parameters.

Nothing here imports Streamlit or FastAPI; only `progress.schema`, `progress.routes` and
`progress.db` are imported from below. How every number is computed, and where it differs from
the brief's SQL: `docs/queries.md`.

The contract the pages code against
-----------------------------------
A question is a `*_statement(window, …)` function returning a Core `Select`, so a page can both
run it and show it: `queries.sql.frame(engine, statement) -> DataFrame` runs it (columns as
listed below, in that order), `queries.sql.compiled_sql(statement) -> str` is the "Show SQL" text
(PostgreSQL, values written in). A few answers combine statements in Python; those are plain
functions taking `(engine, window)`. Every function takes the sidebar's filters where they mean
something: a `Window` (half-open `[start, end)`, UTC) and `tutorial_id: str | None` (None: all).

`window` — `Window(start, end)`, `Window.last("1h"|"24h"|"7d"|"30d", now=…)`, `.previous()`,
`.length`, `.describe()`; `PRESETS`; `BadWindow` (a `ValueError` with a message for people).

`rollups` — `refresh(engine_or_connection) -> int` folds new `api_logs`, `client_events` and
`progress_events` rows into the rollups (idempotent, cheap when nothing is new, safe to call
concurrently). Writers of those tables call it (demo data, the API's request logger), and so do
the readers (the dashboard in the background at most every 30 s, `progress-ops check`): rows in the
current hour count at once, rows landing in an hour already folded count from the next refresh.
`requests.aggregate_statement(start, end, by="all"|"day"|"endpoint"|"bucket", bucket=…)` →
[day | method, endpoint | bucket], requests, errors_4xx, errors_5xx, error_rate_pct, avg_ms, p95_ms
(p95 within `histogram.RELATIVE_ERROR` ≈ 0.995 % of the exact value).

`overview` (the five targets; keys `avg_response_ms`, `p95_response_ms`, `error_rate_pct`,
`migration_success_pct`, `fallback_rate_pct`, as `queries.targets.targets()` names them):
- `target_values(engine, window) -> dict[str, float | None]`: the five metrics (None: no data),
  plus the counts the error budgets need: `requests`, `errors`, `migrations_succeeded`,
  `migrations_failed`, `fallbacks`.
- `daily_target_values(engine, window) -> DataFrame`: day, the five metrics (NaN: no data).
- `target_series(engine, window) -> DataFrame`: bucket, the five metrics — buckets sized to the
  window (`api_health.bucket_for`), for sparklines.
- `target_report(engine, window) -> DataFrame`: one row per target: key, label, unit, direction,
  threshold, value, status, margin, previous_value, change, bad, total, budget_allowed,
  budget_left, budget_left_pct (budget columns only for the three ratio targets); also volume and
  previous_volume (the events each value is measured over); change is None unless both hold at
  least `TargetSettings.min_comparison_events`; budgets are in whole events.
- statements for "Show SQL": `api_metrics_statement(window, by_day=False)`,
  `client_metrics_statement(window, by_day=False)`.

`api_health`:
- `endpoint_table_statement(window)` → method, endpoint, requests, errors_4xx, errors_5xx,
  error_rate_pct, avg_ms, p95_ms — slowest (p95) first.
- `timeline_statement(window)` → bucket, requests, errors_4xx, errors_5xx, error_rate_pct, avg_ms,
  p95_ms; `bucket_for(window) -> timedelta`; `bucket_starts(window, bucket=None) -> list[datetime]`
  (every bucket the window touches, for charts that show empty buckets as gaps).

`client` (migration & fallback):
- `outcome_counts_statement(window, by="all"|"day"|"bucket", bucket=…)` → [day | bucket],
  migrations_succeeded, migrations_failed, fallbacks.
- `migration_failures_statement(window)` → reason, failures, records.
- `fallbacks_by_operation_statement(window)` → operation, fallbacks.

`annotations`:
- `annotations_statement(window)` → at, ends_at, kind, text, author: annotations that start in
  the window or whose range reaches into it, and one `support` mark per hour with console resets
  or restores (counted from `progress_events`), oldest first.

`certificates` (both take `tutorial_id=` as a keyword):
- `awards_per_day_statement(window)` → day, certificates, overrides, cumulative.
- `awards_by_tutorial_statement(window)` → tutorial_id, certificates, overrides.

`learning` (`tutorial_id` optional unless said):
- `daily_active_tutorials_statement(window, tutorial_id)` → tutorial_id, active_users,
  avg_completion (the brief's query, any window: the page calls it "active tutorials in the
  window").
- `active_learners_per_day_statement(window, tutorial_id)` → day, active_learners (whole UTC
  days the window touches: the first day counts its hours before the window too).
- `completion_distribution_statement(window, tutorial_id)` → band, learners.
- `time_to_certificate_statement(window, tutorial_id, bin_days=0.5)` → days_from, days_to,
  learners (half-day bins).
- `quiz_results_statement(window, tutorial_id)` → tutorial_id, quiz_id, learners, pass_rate_pct,
  avg_attempts.
- `chapter_funnel_statement(window, tutorial_id)` (required) → chapter_id, reached, completed.
- `stop_positions_statement(window, tutorial_id)` (required) → chapter_id, last_position.
- `stuck_learners_statement(window, tutorial_id, chapter_id, limit=200)` → user_id,
  last_position, watch_time, last_watched_at, total_rows (how many match, beyond the limit too).
- `at_risk_statement(window, tutorial_id, limit=200)` → user_id, tutorial_id,
  completion_percentage, last_watched_at, total_rows.
- `tutorials_statement()` → tutorial_id (the sidebar's choices).

`slo` — the four SLOs (`slos()`), their burn-rate tiers (`TIERS`, `WINDOWS`), `window_counts(
connection, end, lengths, fast_ms=…)` from the hourly and per-minute rollups, `slo_statuses(
connection, now)` → `SloStatus` (state, burn rate per window, budget left, time to exhaustion),
`data_findings(connection, now)` (no-data checks; `DATA_CHECKS` is where more are added).
`alerts` — `alert_history_statement(since)`, `open_alerts_statement()`, `budget_burn(engine, now)`
→ hour, slo, budget_spent_pct. docs/alerts.md explains them.

`trends` (completion trends; a `Span(start, end, tutorials)` of start days instead of a window,
`period` "day" | "week" | "month", N = `within` one of `MILESTONES`; `tutorial_id` `ALL` is a
total row; `raw=True` builds the same statement over the progress rows, for tests and benchmarks):
- `cohorts_statement(span, period, days=MILESTONES)` → cohort, tutorial_id, starters,
  complete_{n}d…, certificate_{n}d…; `mature(frame, period, span, now)` blanks cohorts too young,
  `shares(frame, kind, days)` → cohort, tutorial_id, starters, "day N"… (%).
- `median_days_statement(span, period | None, within, now)` → [cohort,] tutorial_id,
  median_days_to_certificate; `completion_over_time(cohorts, medians, within)`.
- `summary_statement(span, within, now)` → tutorial_id, starters, counted, completed, certified,
  quiz_takers, quizzes_passed; `chapter_reach_statement(span)` → tutorial_id,
  chapters_completed, learners; `largest_drops(reach)`, `side_by_side(summary, medians, drops)`.
- `compare(before, after, tutorial_id)` / `difference_interval(c1, n1, c2, n2)` → `Difference`
  (Newcombe's hybrid score interval); `learners_statement(start, end, tutorials, who, within)` →
  user_id, tutorial_id, started_at, completed_at, certified_at, completion_percentage.

`targets` — `targets(settings=None) -> list[Target]` (key, label, threshold, direction, unit;
overridable with `PROGRESS_OPS_TARGET_*` variables), `evaluate(target, value) -> Evaluation`
(status "met" | "missed" | "no data", value, margin), `error_budget(target, bad=, total=)
-> ErrorBudget | None` (allowed, spent, left, left_pct), `format_value(value, unit)`.
"""
