"""What the command lines share (python -m core.demo, core.video)."""

from __future__ import annotations

import logging


def log_to_stderr(logger: logging.Logger) -> None:
    """`logger`'s lines on stderr; other libraries keep their own (quieter) levels."""
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
