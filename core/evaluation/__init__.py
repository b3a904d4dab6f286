"""Scoring against ground truth: HumanData files, the 3DPW protocol's errors and the app's benchmark sets."""
