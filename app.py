"""hmr-compare's web app: `python app.py`, then open http://127.0.0.1:7860 (docs/configuration.md: host, port, ...).

On a Hugging Face Space (env SPACE_ID) it binds 0.0.0.0 and fetches the weights first (app/space.py).
"""

import logging

from app.settings import settings_from_env
from app.startup import warm_up_in_background
from app.ui import build_demo, example_rows, launch_options, queue_options

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = settings_from_env()
    if settings.on_space:
        from app.space import prepare_space

        prepare_space()
    demo = build_demo(settings)
    if settings.examples == "eager":
        from app.tabs.compare import warm_examples

        warm_examples(row[0] for row in example_rows()[0])
    else:
        warm_up_in_background()  # models load while the server starts; the first request waits only for what is left
    demo.queue(**queue_options(settings)).launch(**launch_options(settings))
