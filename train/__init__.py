"""Training: configs (config.py), `python -m train.run`, the loop (trainer.py, trainers.py), data/, losses,
the discriminator, `python -m train.eval` and `python -m train.synth`. It builds on core/ only."""
