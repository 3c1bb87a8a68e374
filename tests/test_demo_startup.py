"""Start-up: nothing the page shows before its first event needs matplotlib (importing it alone takes a third
of a second), and what it would draw is drawn on a tab's first view, once per visitor."""
import subprocess
import sys

import gradio as gr

from conftest import ROOT
from demo import layout


def test_building_the_app_imports_no_matplotlib():
    probe = "import sys, demo; demo.build_app(); print(sorted(m for m in sys.modules if m.startswith('matplotlib')))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_first_view_is_drawn_once_per_visitor():
    drawn = []
    with gr.Blocks() as app:
        with gr.Tab("a") as tab:
            first, second = gr.Textbox(), gr.Textbox()
        layout.first_view(tab, lambda v: drawn.append(v) or (f"scatter {v}", f"chart {v}"), [gr.State(3)],
                          [first, second])
        with gr.Tab("b") as other:
            only = gr.Textbox()
        layout.first_view(other, lambda: "one output", [], [only])
    once, single = [f.fn for f in app.fns.values()]
    assert once(False, 3) == (True, "scatter 3", "chart 3") and drawn == [3]
    assert all(isinstance(v, type(gr.skip())) for v in once(True, 3)) and drawn == [3]  # seen: nothing redrawn
    assert single(False) == (True, "one output")
