"""Each tab's main endpoint through gradio_client, against the whole app served on a free port."""
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from demo import shipped

IMAGE_MODEL = shipped.names("image")[0]


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False, download_files=False)


def test_generate_streams_frames_then_the_summary(client):
    job = client.submit(IMAGE_MODEL, 1, 1.0, 2, api_name="/generate")
    updates = list(job)
    canvas, probs, status, step = job.result()
    assert len(updates) >= 10 and "nats" in status and step["value"] == 784
    assert "data:image/png;base64," in canvas and "data:image/png;base64," in probs  # inline: no cache files


def test_complete_fills_the_default_gallery_image(client):
    figure, status, step = client.predict(IMAGE_MODEL, "bottom half", None, 2, 0, 1.0, api_name="/complete")
    assert "data:image/png;base64," in figure and "2 completions" in status


def test_an_uploaded_image_is_scored_by_every_model(client, tmp_path):
    a = np.full((50, 40), 255, np.uint8)
    a[10:40, 15:25] = 0
    Image.fromarray(a).save(tmp_path / "bar.png")
    preview = client.predict(handle_file(str(tmp_path / "bar.png")), api_name="/likelihood_upload")
    table, maps, plot = client.predict(api_name="/score")
    assert preview["path"] and [row[0] for row in table["data"]] == list(shipped.names("image"))
    assert len(maps) == len(table["data"]) and plot


def test_bad_input_is_a_message_over_the_api(client, tmp_path):
    with pytest.raises(AppError, match="greater than maximum value 16"):  # gradio checks slider ranges
        client.predict(IMAGE_MODEL, 0, 1.0, 99, api_name="/generate")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(AppError, match="Could not read"):
        client.predict(handle_file(str(tmp_path / "broken.png")), api_name="/completion_upload")
