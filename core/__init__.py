"""hmr-compare's library; app/ and train/ build on it, it depends on neither.

methods.py (the method table), settings.py (every environment variable), paths.py; pipeline/ (a photo to
compared people: detect, crop, estimate, fit, analyse, track), networks/ (backbones, heads, HybrIK's IK, the
model builder, checkpoints, ONNX Runtime), body_models/, joints/, render/, outputs/ (pictures, meshes, BVH,
bundles), evaluation/ (HumanData, metrics, the 3DPW protocol, benchmark sets), weights.py, the command lines
demo.py and video.py, and testing/ (stand-ins for tests, bench and scripts). docs/architecture.md maps them.
"""
