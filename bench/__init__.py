"""Benchmarks of hmr-compare on the current machine: `python -m bench [--quick] [--out docs/bench]`.

One module per group (models, pipeline, app, training, memory); each adds rows to a `Results` that is
written as docs/bench/results.json and docs/bench/results.md with the machine description. Everything
runs on synthetic checkpoints with the official key names (random weights run at the same speed) and the
stand-in SMPL with a real-sized mesh (6,890 vertices), so no licensed file is needed.
"""
