"""genlab: `python app.py` serves the app (also the Hugging Face Spaces entry point)."""
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's files (uploads, output pictures) live outside the checkout, so a read-only one can serve
os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(tempfile.gettempdir()) / "genlab-gradio"))

import torch  # noqa: E402

from demo import CSS, I18N, build_app, layout  # noqa: E402  (the variables above must be set before gradio is imported)

torch.set_num_threads(int(os.environ.get("GENLAB_THREADS", "1")))  # tiny per-step work: 1 thread is fastest

demo = build_app()

if __name__ == "__main__":
    # host and port come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT when set (as on Spaces)
    # per-visitor state (recordings of draws) is kept for at most this many sessions, the oldest dropped first
    demo.launch(max_file_size="5mb", css=CSS, i18n=I18N, max_threads=layout.MAX_THREADS,
                state_session_capacity=int(os.environ.get("GENLAB_SESSIONS", "200")))
