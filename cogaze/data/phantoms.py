"""SYNTHETIC chest phantoms: procedural radiograph-like images with known findings, masks, reports and gaze.

Everything here is SYNTHETIC (study ids start with ``SYNTHETIC-``, ``Sample.synthetic`` is True). An image
is a body ellipse with two dark lungs, a heart, spine, ribs and clavicles, plus any of six findings drawn
with a ground-truth mask: cardiomegaly, pleural effusion, lung nodule / mass, consolidation, pneumothorax
and a support device. Reports come from varied templates (some findings reported as uncertain, some absent
findings mentioned as negatives), clinical context correlates with the findings, and each report sentence
gets a gaze prior from :mod:`gaze_capture`'s simulated reader dwelling on the sentence's region
(:func:`gaze_capture.simulate.simulate_reading`, then :func:`gaze_capture.fixation_prior`). As in the
paper's data, a last row pairs the whole findings text with the whole reading's prior (the sentence priors
weighted by their dwell times), so that both directions of the gaze loss are active.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from cogaze.data.sample import ListDataset, Sample
from cogaze.labels import NUM_OBSERVATIONS, OBSERVATION_INDEX, LabelState

FINDINGS: tuple[str, ...] = (
    "cardiomegaly",
    "effusion",
    "nodule",
    "consolidation",
    "pneumothorax",
    "device",
)
# The CheXpert observations each phantom finding sets.
FINDING_LABELS: dict[str, tuple[str, ...]] = {
    "cardiomegaly": ("Cardiomegaly", "Enlarged Cardiomediastinum"),
    "effusion": ("Pleural Effusion",),
    "nodule": ("Lung Lesion",),
    "consolidation": ("Consolidation", "Lung Opacity"),
    "pneumothorax": ("Pneumothorax",),
    "device": ("Support Devices",),
}
_NEGATIVES: dict[str, tuple[str, ...]] = {
    "cardiomegaly": (
        "The heart size is normal.",
        "Normal cardiac silhouette.",
        "Heart size within normal limits.",
    ),
    "effusion": ("No pleural effusion.", "No effusion is seen.", "The costophrenic angles are sharp."),
    "nodule": ("No focal nodule or mass.", "No suspicious pulmonary nodule."),
    "consolidation": ("No focal consolidation.", "The lungs are clear without consolidation."),
    "pneumothorax": ("No pneumothorax.", "There is no pneumothorax."),
    "device": ("No support devices are seen.",),
}
_CONTEXT: dict[str, tuple[tuple[str, str], ...]] = {
    "cardiomegaly": (
        ("dyspnea and leg swelling", "congestive heart failure"),
        ("shortness of breath", "cardiomyopathy"),
    ),
    "effusion": (
        ("shortness of breath", "malignancy"),
        ("decreased breath sounds at the base", "heart failure"),
    ),
    "nodule": (("follow-up of a lung nodule", "smoker, 40 pack-years"), ("weight loss", "former smoker")),
    "consolidation": (("fever and productive cough", "none"), ("cough and fever", "recent aspiration")),
    "pneumothorax": (
        ("acute chest pain after procedure", "lung biopsy today"),
        ("sudden dyspnea", "emphysema"),
    ),
    "device": (("line placement check", "intensive care patient"), ("evaluate tube position", "intubated")),
}
_GENERIC_CONTEXT: tuple[tuple[str, str], ...] = (
    ("preoperative evaluation", "none"),
    ("routine check", "hypertension"),
    ("chest pain", "diabetes"),
    ("cough", "asthma"),
)
SYNTHETIC_TAG = "SYNTHETIC"


@dataclass(frozen=True)
class _Anatomy:
    h: int
    w: int
    lung_l: tuple[float, float, float, float]  # cx, cy, rx, ry in pixels (image-left lung = patient right)
    lung_r: tuple[float, float, float, float]
    heart: tuple[float, float, float, float]


def _ellipse(h: int, w: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0


def _soft(mask: np.ndarray, sigma: float) -> np.ndarray:
    return gaussian_filter(mask.astype(np.float32), sigma)


def _anatomy(rng: np.random.Generator, size: int) -> _Anatomy:
    s = float(size)
    j = lambda a: a * (1.0 + rng.uniform(-0.06, 0.06))  # noqa: E731 - small jitter
    lx, ly, lrx, lry = j(0.31 * s), j(0.47 * s), j(0.15 * s), j(0.27 * s)
    return _Anatomy(
        h=size,
        w=size,
        lung_l=(lx, ly, lrx, lry),
        lung_r=(s - lx + rng.uniform(-0.02, 0.02) * s, ly, lrx * rng.uniform(0.95, 1.05), lry),
        heart=(j(0.54 * s), j(0.62 * s), j(0.12 * s), j(0.10 * s)),
    )


def _draw(
    rng: np.random.Generator, size: int, findings: dict[str, dict]
) -> tuple[np.ndarray, dict, _Anatomy]:
    """Render one phantom; returns image (H, W) in [0, 1], masks per finding, anatomy."""
    a = _anatomy(rng, size)
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.full((h, w), 0.04, np.float32)
    body = _ellipse(h, w, 0.5 * w, 0.56 * h, 0.44 * w, 0.5 * h)
    img += 0.40 * _soft(body, size / 40)
    lungs = _ellipse(h, w, *a.lung_l) | _ellipse(h, w, *a.lung_r)
    img -= 0.25 * _soft(lungs, size / 64)
    # vascular markings inside the lungs
    markings = gaussian_filter(rng.normal(0, 1, (h, w)).astype(np.float32), size / 50)
    img += 0.03 * markings * lungs
    # ribs: curved bright bands across the thorax
    for k in range(7):
        y0 = (0.22 + 0.085 * k) * h
        curve = y0 + 0.06 * h * np.cos((xx - 0.5 * w) / (0.35 * w) * np.pi / 2) ** 2
        img += 0.05 * np.exp(-(((yy - curve) / (0.012 * h)) ** 2)) * body
    img += 0.06 * np.exp(-(((yy - (0.17 * h + 0.05 * np.abs(xx - 0.5 * w))) / (0.012 * h)) ** 2)) * body
    spine = np.abs(xx - 0.5 * w) < 0.035 * w
    img += 0.15 * _soft(spine & body, 1.0)
    masks: dict[str, np.ndarray] = {}
    hx, hy, hrx, hry = a.heart
    if "cardiomegaly" in findings:
        hrx, hry = hrx * 1.55, hry * 1.2
    heart = _ellipse(h, w, hx, hy, hrx, hry)
    img += 0.30 * _soft(heart, size / 64)
    if "cardiomegaly" in findings:
        masks["cardiomegaly"] = heart
    diaphragm = (yy > 0.74 * h + 0.05 * h * np.cos((xx - 0.5 * w) / (0.5 * w) * np.pi)) & body
    img += 0.18 * _soft(diaphragm, size / 64)
    for name, spec in findings.items():
        lung = a.lung_l if spec.get("side", "right") == "right" else a.lung_r
        lmask = _ellipse(h, w, *lung)
        cx, cy, rx, ry = lung
        if name == "effusion":
            level = cy + ry * (0.2 + 0.45 * (1.0 - spec["size"]))
            men = level - 0.06 * h * np.abs(xx - cx) / rx
            m = lmask & (yy > men)
            img += 0.32 * _soft(m, size / 80)
            masks[name] = m
        elif name == "nodule":
            r = (0.03 if spec["size"] < 0.5 else 0.065) * size
            px = cx + rng.uniform(-0.5, 0.5) * rx
            py = cy + rng.uniform(-0.55, 0.3) * ry
            m = _ellipse(h, w, px, py, r, r)
            img += 0.30 * _soft(m, max(r / 4, 0.5))
            masks[name] = m
        elif name == "consolidation":
            px, py = cx + rng.uniform(-0.3, 0.3) * rx, cy + rng.uniform(-0.3, 0.5) * ry
            blob = gaussian_filter(rng.normal(0, 1, (h, w)).astype(np.float32), size / 20)
            m = _ellipse(h, w, px, py, 0.55 * rx, 0.35 * ry) & lmask & (blob > -0.02)
            img += 0.22 * _soft(m, size / 48) + 0.05 * m * markings
            masks[name] = m
        elif name == "pneumothorax":
            far = cx - 0.35 * rx if lung is a.lung_l else cx + 0.35 * rx
            m = lmask & (yy < cy - 0.15 * ry) & (np.abs(xx - far) < 0.55 * rx)
            img[m] = np.minimum(img[m], 0.06)
            edge = _soft(m, 1.0)
            img += 0.12 * (edge * (1 - edge) * 4) * (~m)
            masks[name] = m
        elif name == "device":
            x0 = 0.5 * w + rng.uniform(-0.04, 0.04) * w
            path = np.zeros((h, w), bool)
            tip = (0.42 + 0.12 * rng.random()) * h
            ys = np.arange(int(0.02 * h), int(tip))
            xs = np.clip((x0 + 0.04 * w * np.sin(ys / h * 3.0)).astype(int), 0, w - 1)
            path[ys, xs] = True
            line = gaussian_filter(path.astype(np.float32), 0.6) > 0.05
            img += 0.45 * line
            masks[name] = gaussian_filter(line.astype(np.float32), size / 64) > 0.02
    img += gaussian_filter(rng.normal(0, 0.02, (h, w)).astype(np.float32), 0.7)
    return np.clip(img, 0.0, 1.0).astype(np.float32), masks, a


def _positive_sentence(rng: np.random.Generator, name: str, spec: dict, uncertain: bool) -> str:
    side = spec.get("side", "right")
    big = spec.get("size", 0.5) >= 0.5
    if uncertain:
        choices = {
            "cardiomegaly": (
                "The heart is possibly enlarged.",
                "Borderline cardiomegaly cannot be excluded.",
            ),
            "effusion": (
                f"Possible small {side} pleural effusion.",
                f"Blunting of the {side} angle may be effusion.",
            ),
            "nodule": (f"Possible nodule in the {side} lung.", f"A questionable {side} lung nodule."),
            "consolidation": (
                f"Hazy {side} opacity, possibly consolidation.",
                f"Cannot exclude {side} consolidation.",
            ),
            "pneumothorax": (f"Possible small {side} apical pneumothorax.",),
            "device": ("A line may project over the mediastinum.",),
        }
    else:
        size_word = "large" if big else "small"
        choices = {
            "cardiomegaly": (
                "The heart is enlarged.",
                "Cardiomegaly.",
                "Moderate enlargement of the cardiac silhouette.",
            ),
            "effusion": (
                f"{size_word.capitalize()} {side} pleural effusion.",
                f"There is a {side} pleural effusion.",
            ),
            "nodule": (
                (f"A {side} lung mass.", f"There is a large mass in the {side} lung.")
                if big
                else (f"A small nodule in the {side} lung.", f"There is a {side} pulmonary nodule.")
            ),
            "consolidation": (f"Consolidation in the {side} lung.", f"Focal {side} airspace opacity."),
            "pneumothorax": (
                f"{size_word.capitalize()} {side} apical pneumothorax.",
                f"There is a {side} pneumothorax.",
            ),
            "device": (
                "A central venous catheter is in place.",
                "A support tube projects over the mediastinum.",
            ),
        }
    opts = choices[name]
    return opts[int(rng.integers(len(opts)))]


# Simulated reading room: a 1920 x 1080 monitor, 53 x 30 cm, seen from 65 cm; the image fills its height.
_SCREEN = (1920, 1080, 530.0, 300.0, 650.0)


def _sentence_prior(rng: np.random.Generator, region: np.ndarray, dwell_ms: float) -> np.ndarray:
    """Gaze prior of one report sentence: :mod:`gaze_capture`'s simulated reader dwells on ``region``.

    The reader looks at the whole image for ``dwell_ms`` with most fixations drawn inside the region; its true
    fixations (image pixels, durations) become a duration-weighted Gaussian prior with sigma = 1 degree.
    """
    from gaze_capture import ScreenGeometry, View, fixation_prior, sigma_image_px
    from gaze_capture.metrics import ROI
    from gaze_capture.simulate import ReaderConfig, simulate_reading

    h, w = region.shape
    geometry = ScreenGeometry(*_SCREEN)
    side = _SCREEN[1]
    x0 = (_SCREEN[0] - side) // 2
    view = View(0.0, (0, 0, w, h), (x0, 0, x0 + side, side), (h, w))
    config = ReaderConfig(rate_hz=60.0, roi_probability=0.85, blink_rate_per_min=0.0, dropout_rate_per_s=0.0)
    rois = [ROI("finding", mask=region)] if region.any() else []
    sim = simulate_reading(
        dwell_ms, view=view, geometry=geometry, rois=rois, config=config, seed=int(rng.integers(2**31))
    )
    fx = sim.fixations_image
    sigma = sigma_image_px(geometry.pixels_per_degree, view)
    return fixation_prior(fx.x, fx.y, fx.duration_ms, image_shape=(h, w), sigma_px=sigma)


def make_phantom(index: int, *, size: int = 128, seed: int = 0, prevalence: float = 0.3) -> Sample:
    """One SYNTHETIC phantom study, deterministic in (index, seed).

    Parameters
    ----------
    index : int
        Study number.
    size : int
        Image side in pixels.
    seed : int
        Base seed.
    prevalence : float
        Probability of each of the six findings.
    """
    rng = np.random.default_rng([seed, index])
    present = {
        name: {"side": ("right", "left")[int(rng.integers(2))], "size": float(rng.random())}
        for name in FINDINGS
        if rng.random() < prevalence
    }
    image, masks, anat = _draw(rng, size, present)
    labels = np.full(NUM_OBSERVATIONS, LabelState.NOT_MENTIONED, np.int8)
    sentences: list[str] = []
    regions: list[np.ndarray] = []
    lungs = _ellipse(size, size, *anat.lung_l) | _ellipse(size, size, *anat.lung_r)
    heart = _ellipse(size, size, *anat.heart)
    for name in FINDINGS:
        if name in present:
            uncertain = rng.random() < 0.15
            state = LabelState.UNCERTAIN if uncertain else LabelState.PRESENT
            for obs in FINDING_LABELS[name]:
                labels[OBSERVATION_INDEX[obs]] = state
            sentences.append(_positive_sentence(rng, name, present[name], uncertain))
            regions.append(masks[name])
        elif rng.random() < 0.5:
            for obs in FINDING_LABELS[name]:
                labels[OBSERVATION_INDEX[obs]] = LabelState.ABSENT
            opts = _NEGATIVES[name]
            sentences.append(opts[int(rng.integers(len(opts)))])
            regions.append(heart if name == "cardiomegaly" else lungs)
    if not present:
        labels[OBSERVATION_INDEX["No Finding"]] = LabelState.PRESENT
        sentences.append(("The lungs are clear.", "No acute cardiopulmonary process.")[int(rng.integers(2))])
        regions.append(lungs)
    order = rng.permutation(len(sentences))
    sentences = [sentences[i] for i in order]
    regions = [regions[i] for i in order]
    dwells, maps = [], []
    for r in regions:
        dwells.append(float(rng.uniform(1500, 3000)))
        maps.append(_sentence_prior(rng, r, dwells[-1]))
    # the report-level row, as the paper's gaze loss has it: the whole findings with the whole reading's prior
    report_prior = np.tensordot(np.array(dwells) / sum(dwells), np.stack(maps), axes=1).astype(np.float32)
    heatmaps = np.stack([*maps, report_prior])
    if present and rng.random() < 0.8:
        name = list(present)[int(rng.integers(len(present)))]
        indication, history = _CONTEXT[name][int(rng.integers(len(_CONTEXT[name])))]
    else:
        indication, history = _GENERIC_CONTEXT[int(rng.integers(len(_GENERIC_CONTEXT)))]
    context = "" if rng.random() < 0.25 else f"[INDICATION] {indication}. [HISTORY] {history}."
    return Sample(
        study_id=f"{SYNTHETIC_TAG}-{seed}-{index:06d}",
        image=image,
        view_position="PA" if rng.random() < 0.7 else "AP",
        context=context,
        findings=" ".join(sentences),
        labels=labels,
        sentences=[*sentences, " ".join(sentences)],
        heatmaps=heatmaps,
        image_id=f"{SYNTHETIC_TAG}-img-{seed}-{index:06d}",
        split="train",
        masks=masks,
        synthetic=True,
    )


class PhantomDataset(ListDataset):
    """``n`` SYNTHETIC phantom studies, generated eagerly; ``test_fraction`` of them in split "test"."""

    def __init__(
        self, n: int, *, size: int = 128, seed: int = 0, prevalence: float = 0.3, test_fraction: float = 0.0
    ) -> None:
        samples = [make_phantom(i, size=size, seed=seed, prevalence=prevalence) for i in range(n)]
        n_test = int(round(test_fraction * n))
        for s in samples[n - n_test :]:
            s.split = "test"
        super().__init__(samples)
