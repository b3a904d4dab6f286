"""`python -m bench --quick --only pipeline` runs through the app's own handlers and writes the rows issue targets read."""

import json

import pytest


@pytest.mark.slow
def test_quick_pipeline_group_presses_compare_and_writes_its_rows(tmp_path):
    from bench.__main__ import GROUP_ROW, LIVE_ROW, main

    main(["--quick", "--only", "pipeline", "--out", str(tmp_path), "--work", str(tmp_path / "work")])
    data = json.loads((tmp_path / "results.json").read_text())
    assert "pipeline" not in data["skipped"], data["skipped"]
    rows = {row["name"]: row for row in data["rows"]}
    assert rows[GROUP_ROW]["unit"] == "ms" and rows[GROUP_ROW]["value"] > 0
    assert "analyse" in rows[GROUP_ROW]["note"]  # the stage-by-stage split
    assert rows[LIVE_ROW]["value"] > 0
