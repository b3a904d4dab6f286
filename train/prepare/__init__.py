"""Raw dataset downloads → mmhuman3d HumanData files (`python -m train.prepare`), one module per dataset.

Each converter writes what mmhuman3d 0.11.0's converter for that dataset writes (same keys, conventions, dtypes,
masks, boxes, image paths and sample order; checked against mmhuman3d by scripts/compare_converters_with_mmhuman3d.py),
streams large annotation files, and writes atomically. `miniatures` builds small raw datasets in each official
format for tests and the comparison. Guide: docs/data.md.
"""
