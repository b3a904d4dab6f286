"""Where the tests find the example photos: the shipped copies in assets/examples/."""
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "assets" / "examples"


def example_image(prefix: str) -> Path:
    """The example photo whose file name starts with `prefix`."""
    matches = sorted(EXAMPLES.glob(prefix + "*"))
    assert matches, f"no example photo starting with {prefix!r} in {EXAMPLES}"
    return matches[0]
