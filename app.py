"""genlab: `python app.py` serves the app (also the Hugging Face Spaces entry point)."""
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(__file__).resolve().parent / ".gradio_cache"))

import torch  # noqa: E402

from demo import CSS, build_app  # noqa: E402  (the variables above must be set before gradio is imported)

torch.set_num_threads(int(os.environ.get("GENLAB_THREADS", "1")))  # tiny per-step work: 1 thread is fastest

demo = build_app()

if __name__ == "__main__":
    # host and port come from GRADIO_SERVER_NAME / GRADIO_SERVER_PORT when set (as on Spaces)
    demo.launch(max_file_size="10mb", css=CSS)
