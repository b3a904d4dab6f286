"""The Gradio app: `python app.py`, or `from app.ui import build_demo`.

Importing the package first fixes the app's temporary folder (see app.settings), because Gradio reads
GRADIO_TEMP_DIR when it is imported.
"""

from app.settings import app_temp_root

app_temp_root()
