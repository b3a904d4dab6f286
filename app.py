"""hmr-compare's web app: `python app.py`, then open http://127.0.0.1:7860 (docs/configuration.md: host, port, ...).

On a Hugging Face Space (env SPACE_ID) it binds 0.0.0.0 and fetches the weights first (app/space.py).
"""

import logging

from app.settings import settings_from_env
from app.startup import warm_up_in_background

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = settings_from_env()
    if settings.on_space:
        from app.space import prepare_space

        prepare_space()
    if settings.examples != "eager":
        # The models load beside the building of the page and the start of the server (Gradio is imported
        # after this on purpose); the first request waits only for what is left.
        warm_up_in_background()
    from app.ui import build_demo, example_rows, launch_options, queue_options

    demo = build_demo(settings)
    if settings.examples == "eager":
        from app.tabs.compare import warm_examples

        warm_examples(row[0] for row in example_rows()[0])
    demo.queue(**queue_options(settings)).launch(**launch_options(settings))
