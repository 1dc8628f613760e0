"""The Vega-Lite charts a page sent, as AppTest sees them: the spec, and each layer's rows (sent
beside the spec as Arrow datasets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest


@dataclass
class Chart:
    spec: dict[str, Any]
    datasets: dict[str, pd.DataFrame]

    def layers(self, mark: str) -> list[tuple[dict[str, Any], pd.DataFrame]]:
        """The layers drawing `mark`, each with its rows."""
        found = []
        for layer in self.spec.get("layer", [self.spec]):
            kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
            if kind == mark:
                data = layer.get("data", self.spec.get("data"))  # shared data: at the top
                found.append((layer, self.datasets[data["name"]]))
        return found

    def title(self) -> str:
        return " ".join(self.spec["title"]["text"])


def charts(app: AppTest) -> list[Chart]:
    return [
        Chart(
            json.loads(chart.proto.spec),
            {
                dataset.name: convert_arrow_bytes_to_pandas_df(dataset.data.data)
                for dataset in chart.proto.datasets
            },
        )
        for chart in app.get("vega_lite_chart")
    ]
