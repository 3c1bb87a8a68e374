"""The app as a public Space meets it: hostile input on every endpoint, a crowd on one model, many new
visitors, heavy and light requests at once. Loopback only, every loop bounded in count and time."""
import concurrent.futures
import os
import time

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from gen_core import bench

CALL_TIMEOUT = 60  # seconds any one request may take, whatever it is sent


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False, download_files=False)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    """Files no image endpoint should choke on: a decompression bomb, a truncated PNG, text, a 1 x 4000 strip."""
    d = tmp_path_factory.mktemp("bad")
    Image.new("L", (20_000, 20_000)).save(d / "bomb.png", optimize=True)
    Image.new("L", (300, 300), 128).save(d / "whole.png")
    (d / "cut.png").write_bytes((d / "whole.png").read_bytes()[:200])
    (d / "notes.png").write_text("not an image")
    Image.new("L", (4000, 1), 255).save(d / "strip.png")
    return [d / name for name in ("bomb.png", "cut.png", "notes.png", "strip.png")]


def bad_values(parameter, files):
    """Values a hostile visitor sends in place of a parameter, by the parameter's kind."""
    kind, component = parameter["python_type"]["type"], parameter["component"]
    if component in ("Number", "Slider"):
        return ["abc", -1e12, 1e12, None]
    if component in ("Textbox",):
        return ["x" * 100_000, "\x00\uffff" * 50]
    if component in ("Dropdown", "Radio", "Checkboxgroup"):
        return ["no-such-choice"]
    if kind == "filepath":
        return [handle_file(str(f)) for f in files]
    return [None]


def call(client, api_name, args):
    """(seconds, outcome) of one call: 'ok', or the message of the error it raised."""
    t0 = time.perf_counter()
    job = client.submit(*args, api_name=api_name)
    try:
        job.result(timeout=CALL_TIMEOUT)
        outcome = "ok"
    except AppError as e:
        outcome = str(e)
    return time.perf_counter() - t0, outcome


def test_every_endpoint_answers_hostile_input_with_a_clear_message_in_bounded_time(client, bad_files):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert len(endpoints) >= 15
    worst, calls = 0.0, 0
    for api_name, info in endpoints.items():
        parameters = info["parameters"]
        good = [p.get("example_input") if not p["parameter_has_default"] else p["parameter_default"]
                for p in parameters]
        for i, parameter in enumerate(parameters[:4]):  # the first few parameters of each: bounded
            for value in bad_values(parameter, bad_files):
                seconds, outcome = call(client, api_name, [*good[:i], value, *good[i + 1:]])
                worst, calls = max(worst, seconds), calls + 1
                assert seconds < CALL_TIMEOUT, (api_name, parameter["parameter_name"])
                assert outcome == "ok" or (outcome.strip() and "Traceback" not in outcome
                                           and "has raised an exception" not in outcome), \
                    (api_name, parameter["parameter_name"], str(value)[:40], outcome)
    assert calls > 60
    print(f"{calls} hostile calls, the slowest took {worst:.2f} s")


def test_sixteen_visitors_completing_on_one_made_get_the_serial_results(client):
    made = "made-fashion-mnist"
    args = [(made, preset, None, 1, seed, 1.0) for seed in range(4) for preset in ("bottom half", "random pixels",
                                                                                  "right half", "centre square")]
    def complete(a):  # each a new visitor, so each completes the default image
        return Client(client.src, verbose=False, download_files=False).predict(*a, api_name="/complete")[0]

    from demo import layout, shipped

    serial = [complete(a) for a in args]
    rounds = layout.batcher(shipped.get(made)).round_sizes
    before = len(rounds)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(complete, args))
    assert parallel == serial and len(set(serial)) == len(serial)  # same pictures; each request its own
    assert len(rounds) - before < len(args)  # completions hiding the same pixels shared a round


def test_visitors_pressing_generate_at_once_share_rounds_and_get_the_serial_results(client):
    from demo import layout, shipped

    name = "pixelcnn-fashion-mnist"
    args = [(name, seed, temperature, n) for seed, temperature, n in ((1, 1.0, 1), (2, 0.8, 3), (3, 1.2, 2),
                                                                      (4, 1.0, 4), (5, 0.9, 1), (6, 1.0, 2))]
    draw = lambda a: client.predict(*a, api_name="/generate")[:2]  # noqa: E731  (canvas and probability map)
    serial = [draw(a) for a in args]
    rounds = layout.batcher(shipped.get(name)).round_sizes
    before = len(rounds)
    with concurrent.futures.ThreadPoolExecutor(len(args)) as pool:
        parallel = list(pool.map(draw, args))
    assert parallel == serial and len(set(map(str, serial))) == len(serial)
    assert len(rounds) - before < len(args)  # some requests shared a round


def rss_mb() -> float:
    return bench.rss_mb(os.getpid())  # the app runs in this process


def test_many_new_sessions_grow_memory_only_a_little(client):
    """60 new visitors, each drawing 2 images (its recorded draw stays in its session) — the app runs in this
    process, so its resident memory is ours."""
    def visit(seed):
        return Client(client.src, verbose=False, download_files=False).predict(
            "fvsbn-fashion-mnist", seed, 1.0, 2, api_name="/generate")

    visit(0)  # warm-up: the model loaded, the first allocations made
    before = rss_mb()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(visit, range(1, 61)))
    grown = rss_mb() - before
    print(f"RSS grew {grown:.1f} MB over 60 new sessions")
    assert grown < 120


def test_a_light_request_stays_fast_while_heavy_ones_run(client):
    """Sliders (the latent decoder) keep answering while 6 visitors race 8 models: they never wait for the
    heavy pool."""
    heavy_args = (["pixelcnn_8bit-fashion-mnist", "pixelrnn-fashion-mnist", "image_transformer-fashion-mnist"], 0,
                  1.0, 4)
    heavy = [Client(client.src, verbose=False, download_files=False).submit(*heavy_args, api_name="/race")
             for _ in range(6)]
    slider = Client(client.src, verbose=False, download_files=False)
    light = []
    t_end = time.perf_counter() + 20
    while time.perf_counter() < t_end and not all(job.done() for job in heavy) and len(light) < 40:
        t0 = time.perf_counter()
        slider.predict("vae_2d-fashion-mnist", "T-shirt/top", *([0.5] * 16), api_name="/latent_slide")
        light.append(time.perf_counter() - t0)
    busy = sum(not job.done() for job in heavy)
    for job in heavy:
        job.cancel()
    median, p95 = bench.quantiles(light)
    print(f"{len(light)} slider updates under load: median {median:.3f} s, p95 {p95:.3f} s; "
          f"{busy} heavy requests still running")
    assert len(light) >= 5 and p95 < 2.0


def test_a_painted_layer_that_inflates_to_gigabytes_is_refused_before_it_is_decoded(client, bad_files):
    bomb = handle_file(str(bad_files[0]))  # 20,000 x 20,000 pixels in a small file
    before = rss_mb()
    seconds, outcome = call(Client(client.src, verbose=False, download_files=False), "/complete",
                            ["made-fashion-mnist", "my painting", {"background": None, "layers": [bomb],
                                                                   "composite": None, "id": None}, 1, 0, 1.0])
    assert outcome != "ok" and seconds < 10, outcome
    print(outcome)
    assert rss_mb() - before < 200  # 20,000² RGBA would be 1.6 GB
