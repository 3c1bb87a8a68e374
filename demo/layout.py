"""Small layout pieces every tab shares."""
from __future__ import annotations

import gradio as gr

# $...$ inline and $$...$$ display equations (gr.Markdown renders only $$ by default)
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def explain(markdown: str) -> gr.Markdown:
    """The explanation a tab opens with, equations rendered."""
    return gr.Markdown(markdown, latex_delimiters=LATEX)
