r"""The app's words in English, Spanish and Russian (terms from docs/glossary: the lectures' own words).

Two ways a word reaches the visitor:

* **built into the page** (labels, buttons, explanations, tab titles): ``T("key")`` is a ``gr.I18n`` key, the
  browser shows it in the page's language. ``I18N`` goes to ``launch(i18n=I18N)``.
* **said at event time** (the messages of ``checks``): ``say("key", **fields)`` formats the text in the language
  of the visitor whose event runs (``language()``), English when there is none (tests, the API client).

The page's language is the browser's (Gradio's own choice), unless the address says ``?lang=es`` (or en, ru):
the links of ``SWITCH`` at the top of the page set it, and ``APPLY_LANG_JS`` applies it when the page loads.
Equations stay as they are: every translation keeps its LaTeX untouched.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import gradio as gr
from gradio.i18n import I18nData

LANGS = ("en", "es", "ru")

# key -> {language: text}; a text with {fields} is formatted by ``say``
TEXTS: dict[str, dict[str, str]] = {
    # -- the page ---------------------------------------------------------------------------------------
    "app.headline": {
        "en": "# genlab — watch deep generative models work",
        "es": "# genlab — mira cómo trabajan los modelos generativos profundos",
        "ru": "# genlab — посмотрите, как работают глубокие генеративные модели"},
    "tab.pixels": {"en": "Pixels", "es": "Píxeles", "ru": "Пиксели"},
    "tab.completion": {"en": "Completion", "es": "Completado", "ru": "Дорисовка"},
    "tab.text": {"en": "Text", "es": "Texto", "ru": "Текст"},
    "tab.latent": {"en": "Latent", "es": "Latente", "ru": "Латентное"},
    "tab.gan": {"en": "GAN", "es": "GAN", "ru": "GAN"},
    "tab.likelihood": {"en": "Likelihood", "es": "Verosimilitud", "ru": "Правдоподобие"},
    "tab.models": {"en": "Models", "es": "Modelos", "ru": "Модели"},
    # -- shared controls ----------------------------------------------------------------------------------
    "common.model": {"en": "model", "es": "modelo", "ru": "модель"},
    "common.seed": {"en": "seed", "es": "semilla", "ru": "начальное значение (seed)"},
    "common.temperature": {"en": "temperature", "es": "temperatura", "ru": "температура"},
    "common.temperature_greedy": {"en": "temperature (0 = greedy)", "es": "temperatura (0 = voraz)",
                                  "ru": "температура (0 = жадный выбор)"},
    "common.generate": {"en": "Generate", "es": "Generar", "ru": "Сгенерировать"},
    "common.stop": {"en": "Stop", "es": "Detener", "ru": "Стоп"},
    "common.samples": {"en": "samples", "es": "muestras", "ru": "образцы"},
    # -- Pixels -------------------------------------------------------------------------------------------
    "pixels.explain": {
        "en": r"""
### Pixel by pixel
An autoregressive model writes an image's probability as a chain of conditionals,
$p(x) = \prod_{i=1}^{784} p(x_i \mid x_1, \dots, x_{i-1})$, and samples it the same way: one pixel at a
time, each drawn from its conditional given everything drawn so far. Then **step through** the draw below:
every step shows what that pixel's conditional could see and the distribution it was drawn from.
""",
        "es": r"""
### Píxel a píxel
Un modelo autorregresivo escribe la probabilidad de una imagen como una cadena de probabilidades condicionales,
$p(x) = \prod_{i=1}^{784} p(x_i \mid x_1, \dots, x_{i-1})$, y genera muestras de la misma manera: un píxel cada
vez, cada uno extraído de su condicional dado todo lo generado hasta ahora. Después **recorre paso a paso** la
generación de abajo: cada paso muestra qué veía la condicional de ese píxel y la distribución de la que salió.
""",
        "ru": r"""
### Пиксель за пикселем
Авторегрессионная модель записывает вероятность изображения как цепочку условных вероятностей,
$p(x) = \prod_{i=1}^{784} p(x_i \mid x_1, \dots, x_{i-1})$, и так же генерирует образцы: по одному пикселю,
каждый из его условного распределения при всём, что уже сгенерировано. Затем **пройдите по шагам** генерацию
ниже: каждый шаг показывает, что видело условное распределение этого пикселя и из какого распределения он взят.
"""},
    "pixels.missing": {
        "en": "No model is shipped yet: train one with `python -m gen_core.train nade`.",
        "es": "Aún no se incluye ningún modelo: entrena uno con `python -m gen_core.train nade`.",
        "ru": "Пока нет ни одной модели: обучите её командой `python -m gen_core.train nade`."},
    "pixels.images": {"en": "images", "es": "imágenes", "ru": "изображения"},
    "pixels.canvas": {"en": "samples (the pixel being drawn marked in red)",
                      "es": "muestras (el píxel que se está generando, en rojo)",
                      "ru": "образцы (генерируемый пиксель отмечен красным)"},
    "pixels.map_binary": {"en": "p(x_i = 1 | x_<i): how sure of ink",
                          "es": "p(x_i = 1 | x_<i): cuán segura está de la tinta",
                          "ru": "p(x_i = 1 | x_<i): насколько модель уверена в чернилах"},
    "pixels.map_levels": {"en": "E[x_i | x_<i] / 255: the expected intensity",
                          "es": "E[x_i | x_<i] / 255: la intensidad esperada",
                          "ru": "E[x_i | x_<i] / 255: ожидаемая яркость"},
    "pixels.step_title": {"en": "Step through the draw and inspect a conditional",
                          "es": "Recorre la generación paso a paso e inspecciona una condicional",
                          "ru": "Пройдите генерацию по шагам и изучите условное распределение"},
    "pixels.memo_title": {"en": "Memorisation check: the nearest training image of each sample",
                          "es": "Prueba de memorización: la imagen de entrenamiento más cercana a cada muestra",
                          "ru": "Проверка на запоминание: ближайшее изображение обучающей выборки к каждому образцу"},
    "pixels.nearest_go": {"en": "Find the nearest training images",
                          "es": "Buscar las imágenes de entrenamiento más cercanas",
                          "ru": "Найти ближайшие изображения обучающей выборки"},
    "pixels.nearest": {"en": "sample | nearest training image",
                       "es": "muestra | imagen de entrenamiento más cercana",
                       "ru": "образец | ближайшее изображение обучающей выборки"},
    "pixels.race_title": {"en": "Race: several models, the same seed, side by side",
                          "es": "Carrera: varios modelos, la misma semilla, uno junto a otro",
                          "ru": "Гонка: несколько моделей, одно начальное значение, рядом"},
    "pixels.racers": {"en": "models (a row each)", "es": "modelos (una fila cada uno)",
                      "ru": "модели (по строке на каждую)"},
    "pixels.race_n": {"en": "images per model", "es": "imágenes por modelo", "ru": "изображений на модель"},
    "pixels.race": {"en": "Race", "es": "Carrera", "ru": "Гонка"},
    "pixels.race_step": {"en": "step (scrub the race)", "es": "paso (recorre la carrera)",
                         "ru": "шаг (прокрутите гонку)"},
    "pixels.race_rows": {"en": "one row per model, in the order chosen",
                         "es": "una fila por modelo, en el orden elegido",
                         "ru": "по строке на модель, в выбранном порядке"},
    # -- the step-through panel (Pixels, Completion) ------------------------------------------------------
    "replay.back": {"en": "◀ step", "es": "◀ paso", "ru": "◀ шаг"},
    "replay.forward": {"en": "step ▶", "es": "paso ▶", "ru": "шаг ▶"},
    "replay.step": {"en": "step (pixel k of the draw)", "es": "paso (píxel k de la generación)",
                    "ru": "шаг (пиксель k генерации)"},
    "replay.play": {"en": "▶ play", "es": "▶ reproducir", "ru": "▶ пуск"},
    "replay.pause": {"en": "❚❚ pause", "es": "❚❚ pausa", "ru": "❚❚ пауза"},
    "replay.speed": {"en": "speed", "es": "velocidad", "ru": "скорость"},
    "replay.speed_1": {"en": "1 pixel / s", "es": "1 píxel / s", "ru": "1 пиксель / с"},
    "replay.speed_5": {"en": "5 pixels / s", "es": "5 píxeles / s", "ru": "5 пикселей / с"},
    "replay.speed_row": {"en": "a row / s", "es": "una fila / s", "ru": "строка / с"},
    "replay.speed_full": {"en": "full speed", "es": "máxima velocidad", "ru": "максимальная скорость"},
    "replay.image": {"en": "inspect image", "es": "imagen a inspeccionar", "ru": "изучить изображение"},
    "replay.seen": {"en": "what this pixel's conditional sees (click a pixel to inspect it)",
                    "es": "lo que ve la condicional de este píxel (haz clic en un píxel para inspeccionarlo)",
                    "ru": "что видит условное распределение этого пикселя (щёлкните пиксель, чтобы изучить его)"},
    "replay.dist": {"en": "p(x_i | x_<i): the distribution this pixel was drawn from (drawn value in red)",
                    "es": "p(x_i | x_<i): la distribución de la que salió este píxel (valor generado en rojo)",
                    "ru": "p(x_i | x_<i): распределение, из которого взят этот пиксель (выбранное значение красным)"},
    # -- choosing an image (Completion, Latent, Likelihood) ---------------------------------------------
    "picker.gallery_tab": {"en": "Gallery", "es": "Galería", "ru": "Галерея"},
    "picker.upload_tab": {"en": "Upload", "es": "Subir", "ru": "Загрузить"},
    "picker.draw_tab": {"en": "Draw", "es": "Dibujar", "ru": "Нарисовать"},
    "picker.gallery": {"en": "Fashion-MNIST test images", "es": "imágenes de prueba de Fashion-MNIST",
                       "ru": "тестовые изображения Fashion-MNIST"},
    "picker.upload": {"en": "any image file: converted to 28x28 grayscale",
                      "es": "cualquier imagen: se convierte a 28x28 en escala de grises",
                      "ru": "любой файл изображения: переводится в 28x28 в оттенках серого"},
    "picker.sketch": {"en": "draw in black (pick the brush first)", "es": "dibuja en negro (elige antes el pincel)",
                      "ru": "рисуйте чёрным (сначала выберите кисть)"},
    "picker.use": {"en": "Use my drawing", "es": "Usar mi dibujo", "ru": "Использовать мой рисунок"},
    "picker.preview": {"en": "the image (binary models see pixel ≥ 128 as 1)",
                       "es": "la imagen (los modelos binarios ven un píxel ≥ 128 como 1)",
                       "ru": "изображение (бинарные модели считают пиксель ≥ 128 единицей)"},
    # -- Completion ---------------------------------------------------------------------------------------
    "completion.explain": {
        "en": r"""
### Occluded-image completion
Hide part of an image; every hidden pixel is drawn from $x_i \sim p(x_i \mid x_{<i})$ in the model's order,
so a raster-order model (PixelCNN, NADE, ...) uses only the known pixels *before* each hidden one, while the
order-agnostic MADE puts the known pixels first and conditions on all of them. Row: **occluded | completions | original**.
""",
        "es": r"""
### Completado de una imagen ocluida
Oculta parte de una imagen; cada píxel oculto se genera con $x_i \sim p(x_i \mid x_{<i})$ en el orden del modelo,
así que un modelo en orden de barrido (PixelCNN, NADE, ...) usa solo los píxeles conocidos *anteriores* a cada
oculto, mientras que MADE, agnóstico al orden, pone primero los conocidos y se condiciona en todos ellos.
Fila: **ocluida | completados | original**.
""",
        "ru": r"""
### Дорисовка закрытой части изображения
Закройте часть изображения; каждый скрытый пиксель генерируется как $x_i \sim p(x_i \mid x_{<i})$ в порядке
модели, поэтому модель с построчным порядком (PixelCNN, NADE, ...) использует только известные пиксели *до*
каждого скрытого, а MADE, не зависящая от порядка, ставит известные пиксели первыми и учитывает их все.
Строка: **закрытое | дорисовки | оригинал**.
"""},
    "completion.missing": {
        "en": "No autoregressive image model is shipped yet: train one with `python -m gen_core.train made`.",
        "es": "Aún no se incluye ningún modelo autorregresivo de imágenes: entrena uno con "
              "`python -m gen_core.train made`.",
        "ru": "Пока нет авторегрессионной модели изображений: обучите её командой `python -m gen_core.train made`."},
    "completion.hide": {"en": "hide", "es": "ocultar", "ru": "закрыть"},
    "completion.bottom_half": {"en": "bottom half", "es": "mitad inferior", "ru": "нижняя половина"},
    "completion.right_half": {"en": "right half", "es": "mitad derecha", "ru": "правая половина"},
    "completion.centre_square": {"en": "centre square", "es": "cuadrado central", "ru": "квадрат в центре"},
    "completion.random_pixels": {"en": "random pixels", "es": "píxeles al azar", "ru": "случайные пиксели"},
    "completion.my_painting": {"en": "my painting", "es": "mi pintura", "ru": "мой рисунок"},
    "completion.n": {"en": "completions", "es": "completados", "ru": "дорисовки"},
    "completion.go": {"en": "Complete", "es": "Completar", "ru": "Дорисовать"},
    "completion.row": {"en": "occluded | completions | original", "es": "ocluida | completados | original",
                       "ru": "закрытое | дорисовки | оригинал"},
    "completion.paint_title": {"en": "Paint your own occlusion (choose “my painting” above)",
                               "es": "Pinta tu propia oclusión (elige «mi pintura» arriba)",
                               "ru": "Нарисуйте свою закрытую область (выберите «мой рисунок» выше)"},
    "completion.paint": {"en": "paint over what to hide", "es": "pinta encima de lo que quieras ocultar",
                         "ru": "закрасьте то, что нужно скрыть"},
    "completion.step_title": {"en": "Step through the completion and inspect a conditional",
                              "es": "Recorre el completado paso a paso e inspecciona una condicional",
                              "ru": "Пройдите дорисовку по шагам и изучите условное распределение"},
    # -- Text ---------------------------------------------------------------------------------------------
    "text.explain": {
        "en": r"""
### Text, one character at a time
A character model writes by predicting the next character from the ones before it,
$p(x) = \prod_t p(x_t \mid x_{<t})$, and drawing from that distribution again and again.
**Temperature** $T$ reshapes it, $p \propto e^{o/T}$: below 1 bolder and more repetitive, above 1 wilder, 0 always
the likeliest. **Top-k** draws only among the $k$ likeliest characters.
""",
        "es": r"""
### Texto, carácter a carácter
Un modelo de caracteres escribe prediciendo el siguiente carácter a partir de los anteriores,
$p(x) = \prod_t p(x_t \mid x_{<t})$, y extrayendo de esa distribución una y otra vez.
La **temperatura** $T$ la remodela, $p \propto e^{o/T}$: por debajo de 1 más segura y repetitiva, por encima de 1
más alocada, con 0 siempre el más probable. **Top-k** elige solo entre los $k$ caracteres más probables.
""",
        "ru": r"""
### Текст, символ за символом
Символьная модель пишет, предсказывая следующий символ по предыдущим,
$p(x) = \prod_t p(x_t \mid x_{<t})$, и снова и снова выбирая из этого распределения.
**Температура** $T$ меняет его форму, $p \propto e^{o/T}$: ниже 1 — смелее и однообразнее, выше 1 — безумнее,
0 — всегда самый вероятный символ. **Top-k** выбирает только среди $k$ самых вероятных символов.
"""},
    "text.how": {
        "en": r"""
The **vanilla RNN** is the slide's recurrence: $h_{t+1} = \tanh(W_{hh} h_t + W_{xh} x_{t+1})$, $o_{t+1} = W_{hy} h_{t+1}$,
$p(x_{t+2} \mid x_{\le t+1}) = \mathrm{softmax}(o_{t+1})$. The **LSTM** adds a gated cell state, so it remembers
longer. The **transformer** drops the recurrence for masked self-attention over the last 128 characters.
*Score my text* colours each character by its surprisal $-\log p(x_t \mid x_{<t})$.
""",
        "es": r"""
La **RNN básica** es la recurrencia de la diapositiva: $h_{t+1} = \tanh(W_{hh} h_t + W_{xh} x_{t+1})$,
$o_{t+1} = W_{hy} h_{t+1}$, $p(x_{t+2} \mid x_{\le t+1}) = \mathrm{softmax}(o_{t+1})$. La **LSTM** añade un estado
de celda con puertas, así que recuerda más tiempo. El **transformer** cambia la recurrencia por autoatención
enmascarada sobre los últimos 128 caracteres. *Evaluar mi texto* colorea cada carácter según su sorpresa
$-\log p(x_t \mid x_{<t})$.
""",
        "ru": r"""
**Простая RNN** — рекуррентная формула со слайда: $h_{t+1} = \tanh(W_{hh} h_t + W_{xh} x_{t+1})$,
$o_{t+1} = W_{hy} h_{t+1}$, $p(x_{t+2} \mid x_{\le t+1}) = \mathrm{softmax}(o_{t+1})$. **LSTM** добавляет
состояние ячейки с вентилями и поэтому помнит дольше. **Трансформер** заменяет рекуррентность маскированным
самовниманием по последним 128 символам. *Оценить мой текст* окрашивает каждый символ по его неожиданности
$-\log p(x_t \mid x_{<t})$.
"""},
    "text.missing": {
        "en": "No character model is shipped yet: train one with "
              "`python -m gen_core.train char_lstm --dataset shakespeare` (or `--dataset names`).",
        "es": "Aún no se incluye ningún modelo de caracteres: entrena uno con "
              "`python -m gen_core.train char_lstm --dataset shakespeare` (o `--dataset names`).",
        "ru": "Пока нет символьной модели: обучите её командой "
              "`python -m gen_core.train char_lstm --dataset shakespeare` (или `--dataset names`)."},
    "text.corpus": {"en": "corpus", "es": "corpus", "ru": "корпус"},
    "text.shakespeare": {"en": "tiny Shakespeare", "es": "Shakespeare breve", "ru": "краткий Шекспир"},
    "text.names": {"en": "baby names", "es": "nombres de bebé", "ru": "детские имена"},
    "text.char_rnn": {"en": "vanilla RNN", "es": "RNN básica", "ru": "простая RNN"},
    "text.prime": {"en": "priming text (empty: start from scratch)", "es": "texto inicial (vacío: empezar de cero)",
                   "ru": "начальный текст (пусто: начать с нуля)"},
    "text.length": {"en": "characters to write", "es": "caracteres a escribir", "ru": "сколько символов написать"},
    "text.top_k": {"en": "top-k (0 = every character)", "es": "top-k (0 = todos los caracteres)",
                   "ru": "top-k (0 = все символы)"},
    "text.write": {"en": "Write", "es": "Escribir", "ru": "Написать"},
    "text.compare": {"en": "Side by side", "es": "Lado a lado", "ru": "Рядом"},
    "text.sample": {"en": "sample", "es": "muestra", "ru": "образец"},
    "text.names_label": {"en": "names: new, or in the training data",
                         "es": "nombres: nuevos o en los datos de entrenamiento",
                         "ru": "имена: новые или из обучающей выборки"},
    "text.step": {"en": "character t: drag back through the sample", "es": "carácter t: arrastra hacia atrás por la muestra",
                  "ru": "символ t: перетащите назад по образцу"},
    "text.follow": {"en": "follow the newest character", "es": "seguir el carácter más reciente",
                    "ru": "следить за последним символом"},
    "text.scrub_head": {"en": "#### Step through the sample: what did the model expect at each character?",
                        "es": "#### Recorre la muestra paso a paso: ¿qué esperaba el modelo en cada carácter?",
                        "ru": "#### Пройдите образец по шагам: чего ожидала модель на каждом символе?"},
    "text.how_title": {"en": "How the three models work", "es": "Cómo funcionan los tres modelos",
                       "ru": "Как работают три модели"},
    "text.score_title": {"en": "Score my text: how surprised is each model by each character?",
                         "es": "Evaluar mi texto: ¿cuánto sorprende cada carácter a cada modelo?",
                         "ru": "Оценить мой текст: насколько каждый символ неожидан для каждой модели?"},
    "text.mine": {"en": "your text (names: one per line)", "es": "tu texto (nombres: uno por línea)",
                  "ru": "ваш текст (имена: по одному в строке)"},
    "text.score": {"en": "Score", "es": "Evaluar", "ru": "Оценить"},
    # -- GAN ----------------------------------------------------------------------------------------------
    "gan.explain": {
        "en": r"""
### GANs: a generator against a discriminator
The generator turns noise into an image, $x = G(z)$ with $z \sim \mathcal N(0, I)$; the discriminator $D(x)$ is
the probability that $x$ is real. They play
$\min_G \max_D \; \mathbb E_{x \sim p_\text{data}}[\log D(x)] + \mathbb E_z[\log(1 - D(G(z)))]$.
Below each sample: its $D(x)$.
""",
        "es": r"""
### GAN: un generador contra un discriminador
El generador convierte ruido en una imagen, $x = G(z)$ con $z \sim \mathcal N(0, I)$; el discriminador $D(x)$ es
la probabilidad de que $x$ sea real. Juegan
$\min_G \max_D \; \mathbb E_{x \sim p_\text{data}}[\log D(x)] + \mathbb E_z[\log(1 - D(G(z)))]$.
Debajo de cada muestra: su $D(x)$.
""",
        "ru": r"""
### GAN: генератор против дискриминатора
Генератор превращает шум в изображение, $x = G(z)$ при $z \sim \mathcal N(0, I)$; дискриминатор $D(x)$ — это
вероятность того, что $x$ настоящее. Они играют в игру
$\min_G \max_D \; \mathbb E_{x \sim p_\text{data}}[\log D(x)] + \mathbb E_z[\log(1 - D(G(z)))]$.
Под каждым образцом — его $D(x)$.
"""},
    "gan.details": {
        "en": r"""
For a fixed $G$ the best $D$ is $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_\text{model}(x)}$, so at the
equilibrium $p_\text{model} = p_\text{data}$ it says $\tfrac12$ everywhere. $G$ is trained with the non-saturating
loss $-\mathbb E_z[\log D(G(z))]$. The conditional GAN also gets a class: $x = G(z, y)$. No likelihood here:
samples are measured by an FID on the features of a Fashion-MNIST classifier (lower is better; see the Models tab).
""",
        "es": r"""
Para un $G$ fijo el mejor $D$ es $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_\text{model}(x)}$, así que
en el equilibrio $p_\text{model} = p_\text{data}$ dice $\tfrac12$ en todas partes. $G$ se entrena con la pérdida no
saturante $-\mathbb E_z[\log D(G(z))]$. La GAN condicional recibe además una clase: $x = G(z, y)$. Aquí no hay
verosimilitud: las muestras se miden con un FID sobre las características de un clasificador de Fashion-MNIST
(menor es mejor; mira la pestaña Modelos).
""",
        "ru": r"""
При фиксированном $G$ лучший $D$ равен $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_\text{model}(x)}$,
поэтому в равновесии $p_\text{model} = p_\text{data}$ он везде выдаёт $\tfrac12$. $G$ обучается с ненасыщающейся
функцией потерь $-\mathbb E_z[\log D(G(z))]$. Условная GAN получает ещё и класс: $x = G(z, y)$. Правдоподобия
здесь нет: образцы оцениваются по FID на признаках классификатора Fashion-MNIST (чем меньше, тем лучше; см.
вкладку «Модели»).
"""},
    "gan.details_title": {"en": "More about the GAN game", "es": "Más sobre el juego de la GAN",
                          "ru": "Подробнее об игре GAN"},
    "gan.missing": {
        "en": "No GAN is shipped yet: train one with `python -m gen_core.train dcgan` "
              "(after `python -m gen_core.train classifier`).",
        "es": "Aún no se incluye ninguna GAN: entrena una con `python -m gen_core.train dcgan` "
              "(después de `python -m gen_core.train classifier`).",
        "ru": "Пока нет ни одной GAN: обучите её командой `python -m gen_core.train dcgan` "
              "(после `python -m gen_core.train classifier`)."},
    "gan.class": {"en": "class (conditional GAN)", "es": "clase (GAN condicional)", "ru": "класс (условная GAN)"},
    "gan.every_class": {"en": "every class", "es": "todas las clases", "ru": "все классы"},
    "gan.psi": {"en": "truncation ψ (z ← ψ z; 1 = none)", "es": "truncamiento ψ (z ← ψ z; 1 = ninguno)",
                "ru": "усечение ψ (z ← ψ z; 1 = без усечения)"},
    "gan.gallery": {"en": "samples, D(x) under each", "es": "muestras, con D(x) debajo de cada una",
                    "ru": "образцы, под каждым D(x)"},
    "gan.rows_title": {"en": "A row per class (conditional GAN): same z across a column, only y changes",
                       "es": "Una fila por clase (GAN condicional): el mismo z en cada columna, solo cambia y",
                       "ru": "По строке на класс (условная GAN): в столбце один и тот же z, меняется только y"},
    "gan.per_class": {"en": "samples per class", "es": "muestras por clase", "ru": "образцов на класс"},
    "gan.rows_go": {"en": "Draw every class", "es": "Generar todas las clases", "ru": "Сгенерировать все классы"},
    "gan.walk_title": {"en": "Latent walk between two seeds", "es": "Paseo latente entre dos semillas",
                       "ru": "Прогулка по латентному пространству между двумя seed"},
    "gan.seed_a": {"en": "seed A", "es": "semilla A", "ru": "seed A"},
    "gan.seed_b": {"en": "seed B", "es": "semilla B", "ru": "seed B"},
    "gan.steps": {"en": "steps", "es": "pasos", "ru": "шаги"},
    "gan.walk": {"en": "Walk", "es": "Pasear", "ru": "Пройти"},
    "gan.strip": {"en": "G(z_t), z_t on the great circle from z_A to z_B",
                  "es": "G(z_t), z_t sobre el círculo máximo de z_A a z_B",
                  "ru": "G(z_t), z_t на большой окружности от z_A до z_B"},
    "gan.timeline_head": {"en": "#### Training timeline: the same fixed z after every epoch",
                          "es": "#### Evolución del entrenamiento: el mismo z fijo después de cada época",
                          "ru": "#### Ход обучения: один и тот же фиксированный z после каждой эпохи"},
    "gan.epoch": {"en": "epoch", "es": "época", "ru": "эпоха"},
    "gan.frame": {"en": "G(z_fixed) after this epoch", "es": "G(z_fixed) después de esta época",
                  "ru": "G(z_fixed) после этой эпохи"},
    "gan.curves": {"en": "losses and D's outputs per epoch", "es": "pérdidas y salidas de D por época",
                   "ru": "потери и выходы D по эпохам"},
    # -- Models (the board) -------------------------------------------------------------------------------
    "board.explain": {
        "en": r"""
### The models, side by side
Every checkpoint shipped with the app, with the figures measured when it was trained and evaluated. Likelihood
models: lower test NLL is better, bits/dim $= \text{NLL} / (784 \ln 2)$; GANs are measured by an FID (lower is better).
""",
        "es": r"""
### Los modelos, uno junto a otro
Cada checkpoint incluido en la app, con las cifras medidas al entrenarlo y evaluarlo. Modelos de verosimilitud:
menor NLL de prueba es mejor, bits/dim $= \text{NLL} / (784 \ln 2)$; las GAN se miden con un FID (menor es mejor).
""",
        "ru": r"""
### Модели рядом
Все контрольные точки (checkpoints) приложения с показателями, измеренными при обучении и оценке. Модели
правдоподобия: чем меньше тестовый NLL, тем лучше, бит/изм. $= \text{NLL} / (784 \ln 2)$; GAN оцениваются по FID
(чем меньше, тем лучше).
"""},
    "board.details": {
        "en": r"""
The figures come from each checkpoint's JSON sidecar and the speeds from `python -m gen_core.bench`.
FVSBN has $d(d+1)/2$ parameters, NADE $O(dh)$ thanks to its tied weights, the convolutional and attention models
share weights across positions. VAEs report upper bounds on $-\log p(x)$ (the importance-weighted one is comparable
with the exact NLLs); GANs have no likelihood and are measured by an FID on a Fashion-MNIST classifier's features.
""",
        "es": r"""
Las cifras salen del archivo JSON de cada checkpoint y las velocidades de `python -m gen_core.bench`.
FVSBN tiene $d(d+1)/2$ parámetros, NADE $O(dh)$ gracias a sus pesos compartidos; los modelos convolucionales y de
atención comparten pesos entre posiciones. Los VAE dan cotas superiores de $-\log p(x)$ (la de muestreo por
importancia es comparable con las NLL exactas); las GAN no tienen verosimilitud y se miden con un FID sobre las
características de un clasificador de Fashion-MNIST.
""",
        "ru": r"""
Показатели берутся из JSON-файла каждой контрольной точки, скорости — из `python -m gen_core.bench`.
У FVSBN $d(d+1)/2$ параметров, у NADE $O(dh)$ благодаря общим весам; свёрточные модели и модели с вниманием
разделяют веса между позициями. VAE дают верхние оценки $-\log p(x)$ (оценка с весами важности сравнима с точными
NLL); у GAN правдоподобия нет, их оценивают по FID на признаках классификатора Fashion-MNIST.
"""},
    "board.details_title": {"en": "How these figures are measured", "es": "Cómo se miden estas cifras",
                            "ru": "Как измерены эти показатели"},
    "board.image": {"en": "**Autoregressive image models: p(x) = ∏ p(x_i | x_<i), exact test NLL**",
                    "es": "**Modelos autorregresivos de imágenes: p(x) = ∏ p(x_i | x_<i), NLL de prueba exacta**",
                    "ru": "**Авторегрессионные модели изображений: p(x) = ∏ p(x_i | x_<i), точный тестовый NLL**"},
    "board.text": {"en": "**Character models: p(x_t | x_<t), nats per character (Shakespeare: validation; names: test)**",
                   "es": "**Modelos de caracteres: p(x_t | x_<t), nats por carácter (Shakespeare: validación; "
                         "nombres: prueba)**",
                   "ru": "**Символьные модели: p(x_t | x_<t), наты на символ (Шекспир: валидация; имена: тест)**"},
    "board.latent": {"en": "**Latent-variable models: bounds on -log p(x) in nats (the autoencoder has none)**",
                     "es": "**Modelos de variable latente: cotas de -log p(x) en nats (el autocodificador no tiene)**",
                     "ru": "**Модели со скрытыми переменными: оценки -log p(x) в натах (у автокодировщика их нет)**"},
    "board.gan": {"en": "**GANs: FID on the genlab classifier's features, 10,000 samples vs the test set**",
                  "es": "**GAN: FID sobre las características del clasificador de genlab, 10.000 muestras frente al "
                        "conjunto de prueba**",
                  "ru": "**GAN: FID на признаках классификатора genlab, 10 000 образцов против тестовой выборки**"},
    "board.classifier": {"en": "**The yardstick classifier (its features define the FID)**",
                         "es": "**El clasificador de referencia (sus características definen el FID)**",
                         "ru": "**Эталонный классификатор (его признаки задают FID)**"},
    "board.samples": {"en": "samples of each model (drawn when it was published)",
                      "es": "muestras de cada modelo (generadas al publicarlo)",
                      "ru": "образцы каждой модели (сгенерированы при публикации)"},
    "board.no_bench": {
        "en": "*No sampling benchmark recorded yet: run `python -m gen_core.bench --json checkpoints/bench.json`.*",
        "es": "*Aún no hay medidas de velocidad de muestreo: ejecuta "
              "`python -m gen_core.bench --json checkpoints/bench.json`.*",
        "ru": "*Скорость генерации ещё не измерена: запустите "
              "`python -m gen_core.bench --json checkpoints/bench.json`.*"},
    # -- messages said at event time (``say``) ------------------------------------------------------------
    "msg.number": {"en": "{what} must be a number between {low} and {high} (got {value}).",
                   "es": "{what} debe ser un número entre {low} y {high} (se recibió {value}).",
                   "ru": "{what}: нужно число от {low} до {high} (получено {value})."},
    "msg.whole": {"en": "{what} must be a whole number between {low} and {high} (got {value}).",
                  "es": "{what} debe ser un número entero entre {low} y {high} (se recibió {value}).",
                  "ru": "{what}: нужно целое число от {low} до {high} (получено {value})."},
    "msg.choice": {"en": "Unknown {what} {value}; choose one of: {options}.",
                   "es": "{what} desconocido: {value}; elige uno de: {options}.",
                   "ru": "Неизвестное значение «{what}» {value}; выберите одно из: {options}."},
    "msg.not_a_number": {"en": "{label} must be a number (got {value}).",
                         "es": "{label} debe ser un número (se recibió {value}).",
                         "ru": "{label}: нужно число (получено {value})."},
    "msg.picture": {
        "en": "Could not read that picture: it may be damaged, or far too large (at most 4,096 pixels on a side; "
              "PIL refuses to inflate more).",
        "es": "No se pudo leer esa imagen: puede estar dañada o ser demasiado grande (como mucho 4096 píxeles de "
              "lado; PIL se niega a descomprimir más).",
        "ru": "Не удалось прочитать изображение: оно повреждено или слишком велико (не больше 4096 пикселей по "
              "стороне; PIL отказывается распаковывать больше)."},
    "msg.generate_first": {"en": "Generate some images first.", "es": "Genera primero algunas imágenes.",
                           "ru": "Сначала сгенерируйте изображения."},
    "msg.race_count": {"en": "Choose between 1 and {most} models to race.",
                       "es": "Elige entre 1 y {most} modelos para la carrera.",
                       "ru": "Выберите для гонки от 1 до {most} моделей."},
    "msg.race_sizes": {"en": "These models draw images of different sizes; race models of one size.",
                       "es": "Estos modelos generan imágenes de tamaños distintos; haz competir modelos de un "
                             "mismo tamaño.",
                       "ru": "Эти модели рисуют изображения разного размера; устройте гонку моделей одного размера."},
    "msg.choose_image": {"en": "Choose an image first: click one in the gallery, upload one or draw one.",
                         "es": "Elige primero una imagen: haz clic en una de la galería, sube una o dibuja una.",
                         "ru": "Сначала выберите изображение: щёлкните его в галерее, загрузите или нарисуйте."},
    "msg.blank_drawing": {"en": "The drawing is blank: pick the brush and draw something first.",
                          "es": "El dibujo está en blanco: elige el pincel y dibuja algo primero.",
                          "ru": "Рисунок пуст: выберите кисть и сначала что-нибудь нарисуйте."},
    "msg.nothing_painted": {"en": "Nothing painted yet: pick the brush above the image and paint what to hide.",
                            "es": "Aún no hay nada pintado: elige el pincel sobre la imagen y pinta lo que quieras "
                                  "ocultar.",
                            "ru": "Ещё ничего не закрашено: выберите кисть над изображением и закрасьте то, что "
                                  "нужно скрыть."},
    "msg.gan_unconditional": {
        "en": "This GAN is unconditional: it cannot be asked for a class. Choose the conditional GAN (cgan).",
        "es": "Esta GAN es incondicional: no se le puede pedir una clase. Elige la GAN condicional (cgan).",
        "ru": "Эта GAN безусловная: у неё нельзя запросить класс. Выберите условную GAN (cgan)."},
    "msg.rows_need_cgan": {
        "en": "A row per class needs the conditional GAN (cgan): this GAN takes no class.",
        "es": "Una fila por clase necesita la GAN condicional (cgan): esta GAN no recibe clase.",
        "ru": "Для строки на класс нужна условная GAN (cgan): эта GAN не принимает класс."},
    "msg.score_empty": {"en": "Type or paste some text to score.", "es": "Escribe o pega un texto para evaluarlo.",
                        "ru": "Введите или вставьте текст для оценки."},
    # -- Likelihood ---------------------------------------------------------------------------------------
    'likelihood.explain': {
        "en": "\n### Likelihood and anomaly detection\nA model's exact $-\\log p(x)$ is a poor anomaly detector: MNIST digits, mostly black, get a *higher* likelihood\nthan the clothes it learned. The verdict uses a corrected score $S(x) = -\\log p(x) - L(x)$, where $L(x)$ is the\nimage's code length under a simple coder: it cancels what any coder finds easy and keeps what only the model knows.\n",
        "es": '\n### Verosimilitud y detección de anomalías\nEl $-\\log p(x)$ exacto de un modelo es un mal detector de anomalías: los dígitos de MNIST, casi todos negros, reciben\nuna verosimilitud *mayor* que la ropa con la que aprendió. El veredicto usa una puntuación corregida\n$S(x) = -\\log p(x) - L(x)$, donde $L(x)$ es la longitud de código de la imagen con un codificador simple: cancela lo\nque cualquier codificador encuentra fácil y conserva lo que solo sabe el modelo.\n',
        "ru": '\n### Правдоподобие и обнаружение аномалий\nТочное $-\\log p(x)$ модели — плохой детектор аномалий: цифры MNIST, почти целиком чёрные, получают *более высокое*\nправдоподобие, чем одежда, на которой модель обучалась. Вердикт использует исправленную оценку\n$S(x) = -\\log p(x) - L(x)$, где $L(x)$ — длина кода изображения у простого кодировщика: она убирает то, что легко\nлюбому кодировщику, и оставляет то, что знает только модель.\n'},
    'likelihood.details': {
        "en": "\n**Why raw likelihood calls digits typical.** Most of $-\\log p(x)$ is the cost of local texture: a black\nbackground is cheap under any model, so a simple image (a digit, a blank square) is likely whatever its shape.\nInput complexity (Serrà et al. 2020) and the likelihood ratio (Ren et al. 2019) subtract a code length $L(x)$\nthat only knows local statistics: $L_{\\text{png}}(x)$, the PNG file of the image as the model sees it, or\n$L_{\\text{ctx}}(x) = -\\sum_{ij} \\log p(x_{ij} \\mid \\text{left, above neighbours})$, a count table of the\ntraining images. The typicality test (Nalisnick et al. 2019) flags $|-\\log p(x) - \\mathbb{E}[-\\log p]|$ instead:\nan image far *below* the usual NLL is as suspicious as one far above. The table shows each model's corrected\nscore $S(x)$ against its threshold (L_ctx, L_png or typicality: the score used); a model without measurements\nfalls back to the raw NLL's test percentile (flagged above 99 %). Each model uses the score with the best\nmean AUROC over the measured out-of-distribution sets (`python -m gen_core.ood`, `checkpoints/ood.json`),\nflagged above the threshold that flags 5 % of the validation images. The plot shows the model that tells\nMNIST digits apart best.\n\n**Adversarial examples** change every pixel by at most 16 grey levels (PGD against the shipped classifier,\n16/255) and usually change its answer; the 8-bit PixelCNN sees the added noise (PixelDefend's observation),\nthe binary models barely do (binarizing removes most of it).\n\nBits per dimension: $\\text{bits/dim} = -\\log_2 p(x) / 784$. The heatmaps show each pixel's surprise\n$-\\log p(x_i \\mid x_{<i})$ on one colour scale for every model (bright = surprising); they add up to the NLL.\n",
        "es": '\n**Por qué la verosimilitud bruta llama típicos a los dígitos.** Casi todo $-\\log p(x)$ es el coste de la textura local:\nun fondo negro es barato para cualquier modelo, así que una imagen simple (un dígito, un cuadrado vacío) es probable\nsea cual sea su forma. La complejidad de la entrada (Serrà et al. 2020) y el cociente de verosimilitudes (Ren et al.\n2019) restan una longitud de código $L(x)$ que solo conoce la estadística local: $L_{\\text{png}}(x)$, el archivo PNG de\nla imagen tal como la ve el modelo, o $L_{\\text{ctx}}(x) = -\\sum_{ij} \\log p(x_{ij} \\mid \\text{left, above neighbours})$,\nuna tabla de conteos de las imágenes de entrenamiento. La prueba de tipicidad (Nalisnick et al. 2019) marca\n$|-\\log p(x) - \\mathbb{E}[-\\log p]|$: una imagen muy *por debajo* del NLL habitual es tan sospechosa como una muy por\nencima. La tabla muestra la puntuación corregida $S(x)$ de cada modelo frente a su umbral (L_ctx, L_png o tipicidad:\nla puntuación usada); un modelo sin mediciones recurre al percentil del NLL bruto en el test (marcado por encima del\n99 %). Cada modelo usa la puntuación con el mejor AUROC medio en los conjuntos fuera de distribución medidos\n(`python -m gen_core.ood`, `checkpoints/ood.json`), marcada por encima del umbral que marca el 5 % de las imágenes de\nvalidación. El gráfico muestra el modelo que mejor distingue los dígitos de MNIST.\n\n**Los ejemplos adversarios** cambian cada píxel como mucho 16 niveles de gris (PGD contra el clasificador incluido,\n16/255) y suelen cambiar su respuesta; la PixelCNN de 8 bits ve el ruido añadido (la observación de PixelDefend), los\nmodelos binarios apenas (binarizar elimina casi todo).\n\nBits por dimensión: $\\text{bits/dim} = -\\log_2 p(x) / 784$. Los mapas de calor muestran la sorpresa de cada píxel\n$-\\log p(x_i \\mid x_{<i})$ en una misma escala de color para todos los modelos (claro = sorprendente); suman el NLL.\n',
        "ru": '\n**Почему сырое правдоподобие считает цифры типичными.** Бо́льшая часть $-\\log p(x)$ — это цена локальной текстуры:\nчёрный фон дёшев для любой модели, поэтому простое изображение (цифра, пустой квадрат) вероятно при любой форме.\nСложность входа (Serrà et al. 2020) и отношение правдоподобий (Ren et al. 2019) вычитают длину кода $L(x)$, знающую\nтолько локальную статистику: $L_{\\text{png}}(x)$, PNG-файл изображения в том виде, в каком его видит модель, или\n$L_{\\text{ctx}}(x) = -\\sum_{ij} \\log p(x_{ij} \\mid \\text{left, above neighbours})$, таблицу частот по обучающим\nизображениям. Тест типичности (Nalisnick et al. 2019) отмечает $|-\\log p(x) - \\mathbb{E}[-\\log p]|$: изображение\nнамного *ниже* обычного NLL так же подозрительно, как намного выше. Таблица показывает исправленную оценку $S(x)$\nкаждой модели и её порог (L_ctx, L_png или типичность: какая используется); модель без измерений использует\nперцентиль сырого NLL на тестовых изображениях (отмечается выше 99 %). Каждая модель использует оценку с лучшим\nсредним AUROC на измеренных наборах вне распределения (`python -m gen_core.ood`, `checkpoints/ood.json`), с порогом,\nкоторый отмечает 5 % валидационных изображений. График показывает модель, лучше всех отличающую цифры MNIST.\n\n**Состязательные примеры** меняют каждый пиксель не более чем на 16 уровней серого (PGD против поставляемого\nклассификатора, 16/255) и обычно меняют его ответ; 8-битная PixelCNN видит добавленный шум (наблюдение PixelDefend),\nбинарные модели почти нет (бинаризация убирает бо́льшую часть).\n\nБит на размерность: $\\text{bits/dim} = -\\log_2 p(x) / 784$. Тепловые карты показывают «удивление» каждого пикселя\n$-\\log p(x_i \\mid x_{<i})$ в одной цветовой шкале для всех моделей (ярко = неожиданно); в сумме они дают NLL.\n'},
    'likelihood.details_title': {
        "en": 'More: why raw likelihood fails, the corrections, adversarial examples',
        "es": 'Más: por qué falla la verosimilitud bruta, las correcciones, los ejemplos adversarios',
        "ru": 'Подробнее: почему сырое правдоподобие ошибается, поправки, состязательные примеры'},
    'likelihood.missing': {
        "en": 'No autoregressive image model is shipped yet: train one with `python -m gen_core.train nade`.',
        "es": 'Todavía no hay ningún modelo autorregresivo de imágenes: entrena uno con `python -m gen_core.train nade`.',
        "ru": 'Пока нет ни одной авторегрессионной модели изображений: обучите её командой `python -m gen_core.train nade`.'},
    'likelihood.example_noise': {
        "en": 'Example: noise',
        "es": 'Ejemplo: ruido',
        "ru": 'Пример: шум'},
    'likelihood.example_inverted': {
        "en": 'Example: inverted',
        "es": 'Ejemplo: invertida',
        "ru": 'Пример: инвертированное'},
    'likelihood.example_shifted': {
        "en": 'Example: shifted',
        "es": 'Ejemplo: desplazada',
        "ru": 'Пример: сдвинутое'},
    'likelihood.example_mnist': {
        "en": 'Example: MNIST digit',
        "es": 'Ejemplo: dígito de MNIST',
        "ru": 'Пример: цифра MNIST'},
    'likelihood.example_adversarial': {
        "en": 'Example: adversarial',
        "es": 'Ejemplo: adversario',
        "ru": 'Пример: состязательный'},
    'likelihood.score': {
        "en": 'Score',
        "es": 'Evaluar',
        "ru": 'Оценить'},
    'likelihood.table': {
        "en": 'under every model (verdict: corrected score, 5 % false positives)',
        "es": 'con cada modelo (veredicto: puntuación corregida, 5 % de falsos positivos)',
        "ru": 'под каждой моделью (вердикт: исправленная оценка, 5 % ложных срабатываний)'},
    'likelihood.maps': {
        "en": 'surprise per pixel, −log p(x_i | x_<i)',
        "es": 'sorpresa por píxel, −log p(x_i | x_<i)',
        "ru": 'удивление каждого пикселя, −log p(x_i | x_<i)'},
    'likelihood.scale': {
        "en": 'one colour scale for every map',
        "es": 'una escala de color para todos los mapas',
        "ru": 'одна цветовая шкала для всех карт'},
    'likelihood.distribution': {
        "en": 'this image among the measured sets',
        "es": 'esta imagen entre los conjuntos medidos',
        "ru": 'это изображение среди измеренных наборов'},
    # -- Latent -------------------------------------------------------------------------------------------
    'latent.explain': {
        "en": '\n### Latent variables: the autoencoder and the VAE\nA VAE explains an image by a few hidden numbers $z$ and is trained by maximizing\n$\\log p(x) \\ge \\text{ELBO} = \\mathbb E_{q_\\phi(z|x)}[\\log p_\\theta(x \\mid z)] - \\mathrm{KL}(q_\\phi(z \\mid x) \\,\\|\\, p(z))$.\nEach slider is one coordinate of $z$: the decoder draws $\\mathbb E[x \\mid z]$ as you move it.\n',
        "es": '\n### Variables latentes: el autoencoder y el VAE\nUn VAE explica una imagen con unos pocos números ocultos $z$ y se entrena maximizando\n$\\log p(x) \\ge \\text{ELBO} = \\mathbb E_{q_\\phi(z|x)}[\\log p_\\theta(x \\mid z)] - \\mathrm{KL}(q_\\phi(z \\mid x) \\,\\|\\, p(z))$.\nCada deslizador es una coordenada de $z$: el decodificador dibuja $\\mathbb E[x \\mid z]$ mientras lo mueves.\n',
        "ru": '\n### Латентные переменные: автокодировщик и VAE\nVAE объясняет изображение несколькими скрытыми числами $z$ и обучается максимизацией\n$\\log p(x) \\ge \\text{ELBO} = \\mathbb E_{q_\\phi(z|x)}[\\log p_\\theta(x \\mid z)] - \\mathrm{KL}(q_\\phi(z \\mid x) \\,\\|\\, p(z))$.\nКаждый ползунок — одна координата $z$: декодер рисует $\\mathbb E[x \\mid z]$, пока вы его двигаете.\n'},
    'latent.details': {
        "en": "\nThe prior is $p(z) = \\mathcal N(0, I)$, the decoder $p_\\theta(x \\mid z)$ a Bernoulli per pixel and the encoder\n$q_\\phi(z \\mid x) = \\mathcal N(\\mu, \\operatorname{diag}\\sigma^2)$; the ELBO's expectation is estimated with\n$z = \\mu + \\sigma \\odot \\varepsilon$. Picking an image encodes it: the sliders jump to its posterior mean $\\mu$.\n",
        "es": '\nLa distribución a priori es $p(z) = \\mathcal N(0, I)$, el decodificador $p_\\theta(x \\mid z)$ una Bernoulli por píxel y\nel codificador $q_\\phi(z \\mid x) = \\mathcal N(\\mu, \\operatorname{diag}\\sigma^2)$; la esperanza del ELBO se estima con\n$z = \\mu + \\sigma \\odot \\varepsilon$. Elegir una imagen la codifica: los deslizadores saltan a su media a posteriori $\\mu$.\n',
        "ru": '\nАприорное распределение $p(z) = \\mathcal N(0, I)$, декодер $p_\\theta(x \\mid z)$ — распределение Бернулли для каждого\nпикселя, кодировщик $q_\\phi(z \\mid x) = \\mathcal N(\\mu, \\operatorname{diag}\\sigma^2)$; математическое ожидание в ELBO\nоценивается через $z = \\mu + \\sigma \\odot \\varepsilon$. Выбор изображения кодирует его: ползунки переходят к его\nапостериорному среднему $\\mu$.\n'},
    'latent.details_title': {
        "en": 'More about the VAE',
        "es": 'Más sobre el VAE',
        "ru": 'Подробнее о VAE'},
    'latent.missing': {
        "en": 'No VAE or autoencoder is shipped yet: train them with `python -m gen_core.train vae_2d` (and `vae`, `cvae`, `ae`), then restart the app.',
        "es": 'Todavía no hay ningún VAE ni autoencoder: entrénalos con `python -m gen_core.train vae_2d` (y `vae`, `cvae`, `ae`) y reinicia la aplicación.',
        "ru": 'Пока нет ни VAE, ни автокодировщика: обучите их командой `python -m gen_core.train vae_2d` (и `vae`, `cvae`, `ae`), затем перезапустите приложение.'},
    'latent.chart': {
        "en": '−ELBO = reconstruction + KL',
        "es": '−ELBO = reconstrucción + KL',
        "ru": '−ELBO = реконструкция + KL'},
    'latent.class': {
        "en": 'class y (conditional VAE)',
        "es": 'clase y (VAE condicional)',
        "ru": 'класс y (условный VAE)'},
    'latent.decoded': {
        "en": "E[x | z]: each pixel's probability of being on",
        "es": 'E[x | z]: la probabilidad de que cada píxel esté encendido',
        "ru": 'E[x | z]: вероятность того, что пиксель включён'},
    'latent.again': {
        "en": 'Encode the image again (sliders back to its posterior mean)',
        "es": 'Codificar la imagen de nuevo (los deslizadores vuelven a su media a posteriori)',
        "ru": 'Закодировать изображение заново (ползунки вернутся к апостериорному среднему)'},
    'latent.z_box': {
        "en": 'z (edit and press Enter: the sliders follow; values beyond ±4σ are clipped)',
        "es": 'z (edítalo y pulsa Intro: los deslizadores lo siguen; los valores más allá de ±4σ se recortan)',
        "ru": 'z (измените и нажмите Enter: ползунки последуют; значения за пределами ±4σ обрезаются)'},
    'latent.caption': {
        "en": "**2-D latent plane**, ±4σ on each axis. Left: the manifold, E[x | z] on a grid of z (z1 →, z2 ↑). Right: the test images' posterior means μ, coloured by class; ○ = the current z.",
        "es": '**Plano latente 2-D**, ±4σ en cada eje. Izquierda: la variedad, E[x | z] en una rejilla de z (z1 →, z2 ↑). Derecha: las medias a posteriori μ de las imágenes de test, coloreadas por clase; ○ = la z actual.',
        "ru": '**Двумерная латентная плоскость**, ±4σ по каждой оси. Слева: многообразие, E[x | z] на сетке z (z1 →, z2 ↑). Справа: апостериорные средние μ тестовых изображений, раскрашенные по классам; ○ = текущее z.'},
    'latent.interpolation': {
        "en": 'Interpolation between two images: z_λ = λ z₁ + (1 − λ) z₀',
        "es": 'Interpolación entre dos imágenes: z_λ = λ z₁ + (1 − λ) z₀',
        "ru": 'Интерполяция между двумя изображениями: z_λ = λ z₁ + (1 − λ) z₀'},
    'latent.image0': {
        "en": 'image x₀ (gallery)',
        "es": 'imagen x₀ (galería)',
        "ru": 'изображение x₀ (галерея)'},
    'latent.image1': {
        "en": 'image x₁ (gallery)',
        "es": 'imagen x₁ (galería)',
        "ru": 'изображение x₁ (галерея)'},
    'latent.steps': {
        "en": 'steps',
        "es": 'pasos',
        "ru": 'шаги'},
    'latent.interpolate': {
        "en": 'Interpolate',
        "es": 'Interpolar',
        "ru": 'Интерполировать'},
    'latent.strip': {
        "en": 'x₀ | E[x | z_λ] for λ = 0 … 1 | x₁',
        "es": 'x₀ | E[x | z_λ] para λ = 0 … 1 | x₁',
        "ru": 'x₀ | E[x | z_λ] для λ = 0 … 1 | x₁'},
    'latent.random_title': {
        "en": 'Random z: why the VAE is generative and the autoencoder is not',
        "es": 'z aleatoria: por qué el VAE es generativo y el autoencoder no',
        "ru": 'Случайное z: почему VAE — генеративная модель, а автокодировщик — нет'},
    'latent.random_text': {
        "en": "The VAE's KL term pulls every $q(z \\mid x)$ towards $\\mathcal N(0, I)$, so a code drawn from the prior decodes to a plausible image. The autoencoder's codes lie wherever training put them: random codes fall between them and decode to garbage — even when moved to the codes' mean and spread.",
        "es": 'El término KL del VAE empuja cada $q(z \\mid x)$ hacia $\\mathcal N(0, I)$, así que un código extraído de la a priori se decodifica en una imagen plausible. Los códigos del autoencoder quedan donde los puso el entrenamiento: los códigos aleatorios caen entre ellos y se decodifican en basura, incluso movidos a la media y la dispersión de los códigos.',
        "ru": 'Член KL в VAE притягивает каждое $q(z \\mid x)$ к $\\mathcal N(0, I)$, поэтому код, взятый из априорного распределения, декодируется в правдоподобное изображение. Коды автокодировщика лежат там, куда их поместило обучение: случайные коды попадают между ними и декодируются в мусор — даже сдвинутые к среднему и разбросу кодов.'},
    'latent.codes': {
        "en": 'codes',
        "es": 'códigos',
        "ru": 'коды'},
    'latent.decode_random': {
        "en": 'Decode random codes',
        "es": 'Decodificar códigos aleatorios',
        "ru": 'Декодировать случайные коды'},
    'latent.compare': {
        "en": 'autoencoder vs VAE',
        "es": 'autoencoder frente a VAE',
        "ru": 'автокодировщик и VAE'},
    'latent.dims_title': {
        "en": '2, 5, 10, 20 dimensions side by side: random samples z ~ N(0, I)',
        "es": '2, 5, 10, 20 dimensiones lado a lado: muestras aleatorias z ~ N(0, I)',
        "ru": '2, 5, 10, 20 измерений рядом: случайные образцы z ~ N(0, I)'},
    'latent.dims_text': {
        "en": "Four VAEs of one architecture that differ only in the size of $z$. More dimensions let the decoder explain more of each image (lower −ELBO and importance-weighted bound); a code drawn from the prior decodes well only where the encoder's codes cover $\\mathcal N(0, I)$, which gets harder as $z$ grows. The same seed draws each model's codes.",
        "es": 'Cuatro VAE de una misma arquitectura que solo difieren en el tamaño de $z$. Más dimensiones permiten al decodificador explicar más de cada imagen (−ELBO y cota ponderada por importancia más bajos); un código extraído de la a priori se decodifica bien solo donde los códigos del codificador cubren $\\mathcal N(0, I)$, lo que se vuelve más difícil a medida que crece $z$. La misma semilla extrae los códigos de cada modelo.',
        "ru": 'Четыре VAE одной архитектуры, различающиеся только размером $z$. Больше измерений позволяет декодеру объяснить больше в каждом изображении (ниже −ELBO и оценка с весами важности); код из априорного распределения хорошо декодируется только там, где коды кодировщика покрывают $\\mathcal N(0, I)$, а это тем труднее, чем больше $z$. Одно и то же начальное значение задаёт коды каждой модели.'},
    'latent.per_model': {
        "en": 'samples per model',
        "es": 'muestras por modelo',
        "ru": 'образцов на модель'},
    'latent.draw': {
        "en": 'Draw samples',
        "es": 'Generar muestras',
        "ru": 'Сгенерировать образцы'},
    'latent.dims': {
        "en": 'samples by latent size',
        "es": 'muestras según el tamaño latente',
        "ru": 'образцы по размеру латентного пространства'},
}

# the names of the values ``checks`` reports on (the ``what`` of its messages), by their English name
WHAT: dict[str, dict[str, str]] = {
    "Seed": {"es": "La semilla", "ru": "Начальное значение (seed)"},
    "Seed A": {"es": "La semilla A", "ru": "Seed A"},
    "Seed B": {"es": "La semilla B", "ru": "Seed B"},
    "Temperature (0 = greedy)": {"es": "La temperatura (0 = voraz)", "ru": "Температура (0 = жадный выбор)"},
    "Images": {"es": "El número de imágenes", "ru": "Число изображений"},
    "Images per model": {"es": "El número de imágenes por modelo", "ru": "Число изображений на модель"},
    "Step": {"es": "El paso", "ru": "Шаг"},
    "Steps": {"es": "El número de pasos", "ru": "Число шагов"},
    "Image": {"es": "La imagen", "ru": "Изображение"},
    "Completions": {"es": "El número de completados", "ru": "Число дорисовок"},
    "Number of samples": {"es": "El número de muestras", "ru": "Число образцов"},
    "Samples per class": {"es": "El número de muestras por clase", "ru": "Число образцов на класс"},
    "Epoch": {"es": "La época", "ru": "Эпоха"},
    "Length": {"es": "La longitud", "ru": "Длина"},
    "Top-k": {"es": "Top-k", "ru": "Top-k"},
    "Truncation psi (1 = no truncation)": {"es": "El truncamiento psi (1 = sin truncar)",
                                           "ru": "Усечение psi (1 = без усечения)"},
    "class": {"es": "clase", "ru": "класс"},
    "corpus": {"es": "corpus", "ru": "корпус"},
    "model": {"es": "modelo", "ru": "модель"},
}

I18N = gr.I18n(**{lang: {key: texts[lang] for key, texts in TEXTS.items()} for lang in LANGS})


def T(key: str) -> I18nData:  # noqa: N802  (reads as the text it stands for)
    """The text ``key`` in the page's language (for component labels, values and titles)."""
    if key not in TEXTS:
        raise KeyError(f"no translation for {key!r}: add it to demo/i18n.py TEXTS")
    return I18N(key)


def english(key: str) -> str:
    return TEXTS[key]["en"]


def pick(header: str) -> str | None:
    """The first of LANGS named by an Accept-Language header ("es-ES,es;q=0.9,en;q=0.8"), by weight."""
    ranked = []
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        try:
            weight = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, tag.strip().lower().split("-")[0]))
    return next((lang for _, lang in sorted(ranked) if lang in LANGS), None)


def language(request=None) -> str:
    """The language of the visitor whose event runs: the page's ``?lang=`` (sent as the Referer), else the
    browser's Accept-Language, else English (also with no visitor: tests, scripts)."""
    if request is None:
        try:
            from gradio.context import LocalContext  # set by Gradio around every event function
            request = LocalContext.request.get(None)
        except (ImportError, AttributeError):
            request = None
    headers = getattr(request, "headers", None)
    if not headers:
        return "en"
    forced = parse_qs(urlparse(headers.get("referer", "")).query).get("lang", [""])[0]
    return forced if forced in LANGS else pick(headers.get("accept-language", "")) or "en"


def say(key: str, request=None, **fields) -> str:
    """The text ``key`` in the visitor's language, its {fields} filled in."""
    texts = TEXTS[key]
    return texts.get(language(request), texts["en"]).format(**fields)


def what(name: str, request=None) -> str:
    """The name of a checked value (``checks``) in the visitor's language."""
    return WHAT.get(name, {}).get(language(request), name)


# the language switch at the top of the page: links that reload it in that language
SWITCH = ('<nav id="lang-switch" aria-label="language">'
          '<a href="?lang=en" target="_self" hreflang="en">English</a> · '
          '<a href="?lang=es" target="_self" hreflang="es">Español</a> · '
          '<a href="?lang=ru" target="_self" hreflang="ru">Русский</a></nav>')

# on load: a ?lang= in the address overrides the browser's language, through the function Gradio's own
# Settings panel calls (``changeLocale`` of its core module, found among the loaded scripts)
APPLY_LANG_JS = """async () => {
  const lang = new URLSearchParams(window.location.search).get("lang");
  if (!%s.includes(lang)) return;
  const core = performance.getEntriesByType("resource").map(e => e.name)
    .find(n => /\\/assets\\/core-[^/]*\\.js$/.test(n));
  if (core) (await import(core)).changeLocale(lang);
}""" % list(LANGS)
