"""Training data: datasets over HumanData files, augmentations, and the mixed-dataset sampler."""
