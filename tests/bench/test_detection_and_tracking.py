"""`python -m bench --quick --only detection tracking` runs and writes the tables the docs quote."""

import json

import pytest


@pytest.mark.slow
def test_quick_detection_and_tracking_groups_write_their_rows(tmp_path):
    from bench.__main__ import main

    main(["--quick", "--only", "detection", "tracking", "--out", str(tmp_path), "--work", str(tmp_path / "work")])
    data = json.loads((tmp_path / "results.json").read_text())
    assert "detection" not in data["skipped"] and "tracking" not in data["skipped"], data["skipped"]
    rows = {row["name"]: row for row in data["rows"]}
    assert rows["people found on the example clip's empty-room frames"]["value"] == 0
    for size in ("≥ 30 %", "15–30 %", "8–15 %"):
        assert 0 <= rows[f"recall, people {size} of the image height (all)"]["value"] <= 100
    assert rows["precision (all)"]["value"] > 80
    assert rows["group photo 1600×1064, detection"]["unit"] == "ms"
    assert rows["one-person photo 640×425, detection"]["unit"] == "ms"
    assert "1 person; 124 windows" in rows["one-person photo 640×425, detection"]["note"]
    switches = [row for name, row in rows.items() if name.startswith("identity switches")]
    assert len(switches) == 1 and switches[0]["value"] == 0
    raw = [row for name, row in rows.items() if name.startswith("joint jitter") and "unsmoothed" in name]
    smoothed = [row for name, row in rows.items() if name.startswith("joint jitter") and "smoothed over" in name]
    assert len(raw) == len(smoothed) == 3
    assert all(0 < after["value"] < before["value"] for before, after in zip(raw, smoothed))
    assert all("the drawn walk's own joint acceleration" in row["note"] for row in raw)
    assert "## detection" in (tmp_path / "results.md").read_text()
