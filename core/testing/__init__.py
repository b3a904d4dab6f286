"""Stand-ins built in code, for tests, benchmarks and scripts (nothing licensed, nothing downloaded).

smpl.py (stand-in SMPL files and body model), checkpoints.py (official-key state dicts), poses.py (skeletons
with known rotations and twists), data.py (HMRC_DATA folders), examples.py (the shipped example photos and
clip), bvh.py (an independent BVH reader), app_server.py (`python app.py` in a subprocess).
"""
