"""Three languages: every word of the page in English, Spanish and Russian, equations untouched, and the
messages of ``checks`` in the visitor's language."""
import ast
import re
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio.context import LocalContext

from demo import TABS, board, checks, completion, i18n, replay, text

DEMO = Path(__file__).resolve().parents[1] / "demo"
# the files whose page words all go through i18n.T (latent_plots.py draws figures: their axis words stay English)
CONVERTED = ["__init__.py", "layout.py", "checks.py", "pixels.py", "replay.py", "completion.py", "picker.py",
             "latent.py", "text.py", "gan.py", "board.py", "likelihood.py"]
# literals that may stay as they are in every language: formulas and names
ALLOWED = {"x = G(z, y)",
           "f'⚠️ {problem}'",  # a broken checkpoint, as shipped.problems words it (English, for the maintainer)
           "f'### {title}\\n{content}\\n\\n*This tab is not built yet.*'"}  # no tab takes this path today
SHOWN = {"label", "info", "value", "placeholder"}        # the keywords whose text a visitor reads
CHOOSERS = {"Radio", "Dropdown", "CheckboxGroup"}          # their value= is a choice's value, not its shown name
FIRST_ARG_SHOWN = {"Button", "Markdown", "Accordion", "Tab", "Checkbox"}  # components whose 1st argument is read
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
FIELD = re.compile(r"\{(\w+)[^}]*\}")


def test_every_text_has_english_spanish_and_russian():
    assert len(i18n.TEXTS) > 100
    for key, texts in i18n.TEXTS.items():
        assert set(texts) == set(i18n.LANGS), key
        assert all(isinstance(t, str) and t.strip() for t in texts.values()), key
    for lang in ("es", "ru"):  # translated, not copied (except words that are the same: GAN, corpus, ...)
        same = [k for k, t in i18n.TEXTS.items() if t[lang] == t["en"]]
        assert len(same) < 5, (lang, same)
    assert set(i18n.I18N.translations_dict) == set(i18n.LANGS)
    assert all(len(d) == len(i18n.TEXTS) for d in i18n.I18N.translations_dict.values())


def test_equations_and_fields_are_the_same_in_every_language():
    for key, texts in i18n.TEXTS.items():
        for lang in ("es", "ru"):
            assert MATH.findall(texts[lang]) == MATH.findall(texts["en"]), (key, lang)
            assert sorted(FIELD.findall(texts[lang])) == sorted(FIELD.findall(texts["en"])), (key, lang)
            assert texts[lang].count("`") == texts["en"].count("`"), (key, lang)  # commands stay commands


def used_keys() -> set[str]:
    keys = set()
    for path in DEMO.glob("*.py"):
        if path.name != "i18n.py":
            keys |= set(re.findall(r"""\b(?:T|say|i18n\.say)\(\s*["']([\w.]+)["']\s*[,)]""", path.read_text()))
    return keys


def test_every_key_the_app_uses_exists():
    keys = used_keys()
    assert len(keys) > 80
    assert keys <= set(i18n.TEXTS), keys - set(i18n.TEXTS)
    # the keys made from names
    dynamic = {f"tab.{title.lower()}" for title, _ in TABS} | {f"board.{task}" for task in board.FAMILIES}
    dynamic |= {f"text.{corpus}" for corpus in text.CORPORA} | set(replay.SPEED_NAMES)
    dynamic |= {"completion." + p.replace(" ", "_") for p in completion.PRESETS} | {checks.PICTURE, text.SCORE_EMPTY}
    dynamic |= {"msg.number", "msg.whole", "msg.choice", "msg.not_a_number"} | set(pixelsmap())
    assert dynamic <= set(i18n.TEXTS), dynamic - set(i18n.TEXTS)
    with pytest.raises(KeyError):
        i18n.T("no.such.key")


def pixelsmap():
    from demo import pixels
    return pixels.MAP_LABEL.values()


def shown_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal a component shows as is: label=/info=/value=/placeholder=, or
    the first argument of a Button, Markdown, Accordion, Tab or Checkbox."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if not (isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") in ("gr", "checks")):
            continue
        args = [k.value for k in node.keywords if k.arg in SHOWN and not (k.arg == "value" and name in CHOOSERS)]
        if name in FIRST_ARG_SHOWN and node.args:
            args.append(node.args[0])
        for arg in args:
            if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                literal = ast.unparse(arg) if isinstance(arg, ast.JoinedStr) else arg.value
                if re.search(r"[A-Za-z]{3,}", literal) and literal not in ALLOWED:
                    found.append((node.lineno, literal))
    return found


@pytest.mark.parametrize("name", CONVERTED)
def test_no_english_left_in_the_components_of_a_converted_file(name):
    assert shown_literals(DEMO / name) == []


def test_the_scan_finds_an_english_label(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('import gradio as gr\ngr.Slider(label="speed")\ngr.Button(f"Going {x}")\n'
                      'gr.Markdown(T("a.b"))\ngr.Plot(label="x = G(z, y)")\n')
    assert [text for _, text in shown_literals(sample)] == ["speed", "f'Going {x}'"]


def request(**headers):
    return SimpleNamespace(headers=headers)


def test_the_language_is_the_pages_lang_then_the_browsers_then_english():
    assert i18n.language(request(referer="http://h/?lang=ru", **{"accept-language": "es-ES"})) == "ru"
    assert i18n.language(request(referer="http://h/", **{"accept-language": "es-ES,es;q=0.9,en;q=0.8"})) == "es"
    assert i18n.language(request(**{"accept-language": "de-DE,ru;q=0.7,en;q=0.3"})) == "ru"
    assert i18n.language(request(referer="http://h/?lang=xx", **{"accept-language": "fr-FR"})) == "en"
    assert i18n.language(request()) == "en" and i18n.language() == "en"  # no visitor: English


@pytest.fixture
def visitor():
    """Run as if Gradio were handling an event of a visitor with the given headers."""
    def set_headers(**headers):
        LocalContext.request.set(request(**headers))
    yield set_headers
    LocalContext.request.set(None)


def test_the_checks_speak_the_visitors_language(visitor):
    with pytest.raises(gr.Error, match="Seed must be a whole number between 0 and"):
        checks.seed("abc")
    visitor(**{"accept-language": "es-ES,es;q=0.9"})
    with pytest.raises(gr.Error, match="La semilla debe ser un número entero entre 0 y"):
        checks.seed("abc")
    with pytest.raises(gr.Error, match="La temperatura"):
        checks.temperature(9)
    visitor(referer="http://h/?lang=ru")
    with pytest.raises(gr.Error, match="Число изображений: нужно целое число от 1 до 16"):
        checks.whole(99, "Images", 1, 16)
    with pytest.raises(gr.Error, match="Неизвестное значение «корпус»"):
        checks.choice("poems", "corpus", ["names"])
    slider = checks.Slider(0, 2, label=i18n.T("common.temperature"))
    with pytest.raises(gr.Error, match="температура: нужно число"):
        slider.preprocess("hot")


def test_the_page_carries_the_switch_and_the_translations():
    from demo import build_app

    app = build_app()
    config = app.get_config_file()
    htmls = [c["props"].get("value") for c in config["components"] if c.get("type") == "html"]
    assert any(v and "?lang=es" in v and "Русский" in v for v in htmls)
    assert any(d.get("js") and "changeLocale" in d["js"] for d in config["dependencies"])
