"""The one way every benchmark reports a figure: median of N runs with the range, and the load."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench.common import (
    LoadAverage,
    Spread,
    add_runs_argument,
    load_average,
    load_line,
    markdown_table,
    number,
    postgres_line,
    repeat,
    runs_line,
    server_place,
    slowest,
    spread,
)


def test_a_figure_is_the_median_of_its_runs_with_the_range() -> None:
    figure = spread([91.0, 85.2, 87.4])
    assert (figure.median, figure.low, figure.high) == (87.4, 85.2, 91.0)
    assert figure.cell() == "87.4 (85.2–91.0)"


def test_an_even_number_of_runs_has_the_middle_two_averaged_as_its_median() -> None:
    assert spread([1.0, 2.0, 4.0, 10.0]).median == 3.0


def test_figures_of_a_thousand_and_more_are_shown_without_decimals_and_with_separators() -> None:
    assert spread([642.0, 1093.4, 880.6]).cell() == "880.6 (642.0–1,093)"
    assert number(1234.5) == "1,234"  # banker's rounding of .5 is fine: it is noise
    assert number(0.1834, 3) == "0.183"


def test_the_median_is_bold_only_when_it_is_over_the_budget() -> None:
    over_by_a_bad_run = spread([80.0, 82.0, 130.0])
    assert over_by_a_bad_run.within(100)
    assert over_by_a_bad_run.cell(budget=100) == "82.0 (80.0–130.0)"
    over = spread([95.0, 101.0, 120.0])
    assert not over.within(100)
    assert over.cell(0, budget=100) == "**101** (95–120)"


def test_a_figure_without_a_run_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one run"):
        Spread(())


def test_repeat_runs_the_measurement_n_times_and_collects_each_figure_over_the_runs() -> None:
    calls: list[int] = []

    def measure(run: int) -> dict[str, float]:
        calls.append(run)
        return {"ours": 10.0 + run, "baseline": 100.0 - run}

    figures = repeat(measure, 3)
    assert calls == [0, 1, 2]
    assert figures["ours"].values == (10.0, 11.0, 12.0)
    assert figures["baseline"].cell(0) == "99 (98–100)"


def test_repeat_refuses_fewer_than_one_run() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        repeat(lambda _run: {"x": 1.0}, 0)


def test_every_script_takes_runs_with_at_least_three_by_default() -> None:
    parser = argparse.ArgumentParser()
    add_runs_argument(parser)
    assert parser.parse_args([]).runs >= 3
    assert parser.parse_args(["--runs", "7"]).runs == 7
    with pytest.raises(SystemExit):
        parser.parse_args(["--runs", "0"])


def test_the_load_average_is_read_from_proc_loadavg(tmp_path: Path) -> None:
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("11.09 15.30 20.40 9/467 12345\n")
    assert load_average(loadavg) == LoadAverage(11.09, 15.3, 20.4)
    with pytest.raises(ValueError, match="not a load average"):
        LoadAverage.parse("")


def test_the_load_line_names_before_after_and_the_cores() -> None:
    line = load_line(LoadAverage(0.5, 0.25, 0.1), LoadAverage(3.0, 1.5, 0.75), cores=2)
    assert line == (
        "Load average (1 / 5 / 15 min, 2 cores): 0.50 / 0.25 / 0.10 before, "
        "3.00 / 1.50 / 0.75 after."
    )
    assert runs_line(3) == "Each cell: median of 3 runs (min–max)."


def test_the_server_line_tells_the_embedded_server_from_one_on_a_host() -> None:
    embedded = "postgresql+psycopg://postgres:@/postgres?host=/tmp/bench/postgres"
    assert server_place(embedded) == "embedded (Unix socket)"
    shared = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_speed"
    assert postgres_line("15.20", shared) == "PostgreSQL 15.20 on 127.0.0.1:5432"


def test_tables_align_names_left_and_figures_right() -> None:
    table = markdown_table(["query", "1h ms"], [["overview", "8.2 (8.0–9.1)"]])
    assert table.splitlines() == [
        "| query | 1h ms |",
        "| --- | ---: |",
        "| overview | 8.2 (8.0–9.1) |",
    ]


def test_the_verdict_on_a_budget_is_by_the_median() -> None:
    assert spread([55.0, 58.0, 71.0]).verdict(60, "the 60 s budget") == (
        "within the 60 s budget by the median"
    )
    assert spread([59.0, 61.0, 62.0]).verdict(60, "the 60 s budget") == (
        "over the 60 s budget by the median"
    )


def test_the_slowest_figure_is_the_one_with_the_highest_median_not_the_highest_run() -> None:
    steady, spiky = spread([90.0, 91.0, 92.0]), spread([20.0, 21.0, 400.0])
    assert slowest([spiky, steady]) is steady


def test_a_text_column_after_the_figures_is_left_aligned_too() -> None:
    table = markdown_table(["query", "ms", "baseline", "ms"], [], also_text={2})
    assert table.splitlines()[1] == "| --- | ---: | --- | ---: |"
