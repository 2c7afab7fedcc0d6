"""The analytics endpoints of a seeded SYNTHETIC two-arm study: tables as JSON, figures as PNG/SVG, and the
archive (tidy CSV + Parquet, result tables, figures, data dictionary) readable without the platform."""

from __future__ import annotations

import csv
import io
import zipfile

import pyarrow.parquet as pq
import pytest
from rest_framework.test import APIClient

from readingroom.analytics.exports import DICTIONARY, RESULTS
from readingroom.analytics.figures import FIGURES


@pytest.fixture
def client(lead):
    c = APIClient()
    c.force_authenticate(lead)
    return c


@pytest.mark.django_db
def test_tables_figures_and_archive(client, demo_study):
    base = f"/api/reader-studies/{demo_study.pk}/analytics/"
    body = client.get(base).json()
    assert body["reads"] == 36 and body["region_sources"] == ["model_attention"]
    for name in RESULTS:
        assert body[name], name
    assert {r["rater"] for r in body["accuracy"]} >= {"model"}
    assert set(body["figures"]) == set(FIGURES)

    for name in FIGURES:
        png = client.get(f"{base}figures/{name}.png")
        assert png.status_code == 200 and png["Content-Type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
    svg = client.get(f"{base}figures/roc.svg?download=1")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert "attachment" in svg["Content-Disposition"]
    assert client.get(f"{base}figures/nothing.png").status_code == 404
    assert client.get(f"{base}figures/roc.gif").status_code == 404

    response = client.get(body["archive_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(z.namelist())
    for table, columns in DICTIONARY.items():
        header = next(csv.reader(io.StringIO(z.read(f"{table}.csv").decode())))
        assert header == [c for c, _, _ in columns]
        parquet = pq.read_table(io.BytesIO(z.read(f"{table}.parquet")))
        assert parquet.column_names == header
    assert pq.read_table(io.BytesIO(z.read("reads.parquet"))).num_rows == 36
    observations = pq.read_table(io.BytesIO(z.read("observations.parquet")))
    assert observations.num_rows == 36 * 14
    regions = list(csv.DictReader(io.StringIO(z.read("regions.csv").decode())))
    assert len(regions) == 36 and {r["region"] for r in regions} == {"attention_top10"}
    fixations = list(csv.DictReader(io.StringIO(z.read("fixations.csv").decode())))
    assert len(fixations) == body["fixations"]
    assert {f"results/{n}.csv" for n in RESULTS} <= names
    assert {f"figures/{n}.{f}" for n in FIGURES for f in ("png", "svg")} <= names
    dictionary = list(csv.DictReader(io.StringIO(z.read("data_dictionary.csv").decode())))
    assert len(dictionary) == sum(len(c) for c in DICTIONARY.values())
    assert all(row["description"] for row in dictionary)
    md = z.read("data_dictionary.md").decode()
    assert "finding_ttff_ms" in md and "(pooled items)" in md


@pytest.mark.django_db
def test_analytics_of_a_missing_study_is_404(client):
    assert client.get("/api/reader-studies/999/analytics/").status_code == 404
