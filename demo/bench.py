"""UI latency, end to end: ``python -m demo.bench [--n 16] [--json PATH]``.

Serves the app on a free port and, for every shipped autoregressive image model, presses Generate
through gradio_client (the same queue and streaming path a browser uses) and measures the time to
the first streamed frame and to the finished grid of n images.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(client, name: str, n: int, seed: int = 0) -> dict:
    t0 = time.perf_counter()
    job = client.submit(name, seed, 1.0, n, api_name="/generate")
    first = None
    for _ in job:
        first = first or time.perf_counter() - t0
    job.result()
    return {"model": name, "images": n, "first_frame_s": first, "finished_s": time.perf_counter() - t0}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m demo.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=16, help="images per press of Generate")
    ap.add_argument("--json", default=None, metavar="PATH")
    args = ap.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio_client import Client

    from app import demo
    from demo import shipped

    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, download_files=False)
        rows = [measure(client, name, args.n) for name in shipped.names("image")]
    finally:
        demo.close()
    print(f"{'checkpoint':34} {'first frame (s)':>16} {f'{args.n} images (s)':>14}")
    for r in rows:
        print(f"{r['model']:34} {r['first_frame_s']:>16.2f} {r['finished_s']:>14.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
