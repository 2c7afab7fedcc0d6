"""Unit tests of the CoGaze losses against their definitions in DESIGN.md §5."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from cogaze.losses import (
    ClassBalancedBCE,
    ContrastiveLoss,
    GazeLoss,
    class_balanced_weights,
    js_divergence,
    topk_nonzero,
)
from tests.cogaze.conftest import make_batch


def test_js_of_identical_distributions_is_zero():
    p = torch.softmax(torch.randn(5, 30), -1)
    assert torch.allclose(js_divergence(p, p), torch.zeros(5), atol=1e-6)


def test_js_is_symmetric_bounded_and_positive_for_different():
    p = torch.softmax(torch.randn(4, 10), -1)
    q = torch.softmax(torch.randn(4, 10), -1)
    assert torch.allclose(js_divergence(p, q), js_divergence(q, p), atol=1e-6)
    disjoint = js_divergence(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))
    assert math.isclose(float(disjoint), math.log(2), rel_tol=1e-5)
    assert (js_divergence(p, q) > 0).all()


def test_contrastive_equals_clip_when_all_studies_differ():
    torch.manual_seed(0)
    img, txt = torch.randn(6, 16), torch.randn(6, 16)
    loss = ContrastiveLoss(1 / 0.07)
    got = loss(img, txt, [f"s{i}" for i in range(6)])["contrastive_loss"]
    logits = (1 / 0.07) * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).t()
    labels = torch.arange(6)
    clip = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels))
    assert torch.allclose(got, clip, atol=1e-5)


def test_contrastive_same_study_pairs_are_both_positive():
    loss = ContrastiveLoss(1 / 0.07)
    # two images of study "a" with identical texts: swapping them must not change the loss
    img = torch.randn(3, 8)
    txt = torch.randn(3, 8)
    txt[1] = txt[0]
    base = loss(img, txt, ["a", "a", "b"])["contrastive_loss"]
    swapped = loss(img[[1, 0, 2]], txt, ["a", "a", "b"])["contrastive_loss"]
    assert torch.allclose(base, swapped, atol=1e-6)
    # and differs from treating them as different studies
    other = torch.randn(3, 8)
    assert not torch.allclose(
        loss(img, other, ["a", "a", "b"])["contrastive_loss"],
        loss(img, other, ["a", "x", "b"])["contrastive_loss"],
    )


def test_contrastive_temperature_is_learnable_and_initialised():
    loss = ContrastiveLoss(1 / 0.07)
    assert math.isclose(float(loss.logit_scale.detach().exp()), 1 / 0.07, rel_tol=1e-5)
    assert loss.logit_scale.requires_grad


def test_topk_keeps_a_quarter_of_nonzeros_and_at_least_one():
    h = torch.zeros(3, 40)
    h[0, :20] = torch.rand(20) + 0.1  # 20 nonzero -> keep 5
    h[1, :3] = torch.tensor([0.2, 0.5, 0.3])  # 3 nonzero -> floor(0.75) = 0 -> keep 1
    kept = topk_nonzero(h, 0.25)
    assert int((kept[0] > 0).sum()) == 5
    assert int((kept[1] > 0).sum()) == 1
    assert int(kept[1].argmax()) == 1  # the largest entry survives
    assert torch.allclose(kept[:2].sum(-1), torch.ones(2))
    assert float(kept[2].sum()) == 0.0  # no gaze stays empty
    top5 = h[0].topk(5).indices
    assert set(top5.tolist()) == set((kept[0] > 0).nonzero().squeeze(1).tolist())


def test_class_balanced_weights_sum_to_14_and_favour_rare():
    counts = torch.tensor([5000, 10, 300, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10.0])
    w = class_balanced_weights(counts, 0.9999)
    assert math.isclose(float(w.sum()), 14.0, rel_tol=1e-5)
    assert w[1] > w[2] > w[0]
    expected = (1 - 0.9999) / (1 - 0.9999 ** counts.clamp_min(1).double())
    expected[3] = expected[0]  # no positives: the smallest weight, not the largest
    assert torch.allclose(w.double(), expected * 14 / expected.sum(), rtol=1e-5)
    assert torch.equal(class_balanced_weights(torch.zeros(14), 0.9999), torch.ones(14))


def test_class_balanced_bce_uses_weights():
    bce = ClassBalancedBCE(2, 0.9999)
    # class 0 predicted at p = 0.5 for a positive, class 1 at logit 2 for a negative
    logits, targets = torch.tensor([[0.0, 2.0]] * 4), torch.tensor([[1.0, 0.0]] * 4)
    l0, l1 = 0.6931471805599453, 2.1269280110429727  # ln 2, ln(1 + e^2)
    assert math.isclose(float(bce(logits, targets)["cls_loss"]), (l0 + l1) / 2, rel_tol=1e-6)
    bce.set_class_counts([1, 1000])
    # by hand: (1 - b) / (1 - b^n) is 1 for n = 1 and 1e-4 / (1 - 0.9999^1000) = 1.0508e-3 for n = 1000;
    # renormalised to sum to 2: 1.997901, 0.002099
    w0, w1 = 1.9979006395022303, 0.0020993604977695905
    assert torch.allclose(bce.class_weights, torch.tensor([w0, w1]), rtol=1e-5)
    expected = (w0 * l0 + w1 * l1) / 2  # 0.694652: mean over batch and classes
    assert math.isclose(float(bce(logits, targets)["cls_loss"]), expected, rel_tol=1e-5)
    assert math.isclose(expected, 0.6946521919789329, rel_tol=1e-9)


def test_no_gaze_term_without_gaze():
    gl = GazeLoss()
    s, p = torch.randn(2, 3, 8, requires_grad=True), torch.randn(2, 16, 8, requires_grad=True)
    out = gl(s, p, torch.zeros(2, 3, 16), torch.ones(2, 3, dtype=torch.bool))
    assert float(out["gaze_loss"]) == 0.0
    assert not out["gaze_loss"].requires_grad


def test_gaze_loss_weights_and_only_images_with_gaze():
    torch.manual_seed(1)
    gl = GazeLoss(topk_fraction=0.25, t2i_weight=0.2, i2t_weight=0.8)
    s, p = torch.randn(2, 2, 8), torch.randn(2, 16, 8)
    h = torch.zeros(2, 2, 16)
    h[0, 0, :8] = 1 / 8
    h[0, 1, 8:] = 1 / 8
    mask = torch.ones(2, 2, dtype=torch.bool)
    out = gl(s, p, h, mask)
    assert torch.allclose(out["gaze_loss"], 0.2 * out["gaze_t2i"] + 0.8 * out["gaze_i2t"])
    # image 1 has no gaze: changing its features must not change the loss
    s2, p2 = s.clone(), p.clone()
    s2[1] += 5.0
    p2[1] -= 3.0
    assert torch.allclose(gl(s2, p2, h, mask)["gaze_loss"], out["gaze_loss"])
    assert out["gaze_t2i"] > 0 and out["gaze_i2t"] > 0


def test_gaze_t2i_is_low_for_a_peaked_prediction_on_the_kept_patches_and_ln2_when_disjoint():
    gl = GazeLoss(temperature_init=1 / 0.07, topk_fraction=0.25)
    p = torch.eye(16)[None]  # (1, 16, 16): patch i is the unit vector e_i
    h = torch.zeros(1, 1, 16)
    h[0, 0, :8] = torch.arange(8, 0, -1) / 36.0  # 8 gazed patches; the top quarter kept = patches 0 and 1
    mask = torch.ones(1, 1, dtype=torch.bool)
    aligned = torch.zeros(1, 1, 16)
    aligned[0, 0, :2] = 1.0  # cosine 1/sqrt(2) with patches 0 and 1, 0 elsewhere
    disjoint = torch.zeros(1, 1, 16)
    disjoint[0, 0, 8:10] = 1.0
    good = float(gl(aligned, p, h, mask)["gaze_t2i"].detach())
    bad = float(gl(disjoint, p, h, mask)["gaze_t2i"].detach())
    # by hand: softmax puts 2 e^10.10 / (2 e^10.10 + 14) = 0.99971 of the mass on the two kept patches
    assert good < 1e-3
    # and on two other patches: target and prediction almost disjoint, JS close to ln 2
    assert math.isclose(bad, math.log(2), rel_tol=1e-3)


def test_cogaze_loss_wires_the_configured_gaze_direction_weights():
    from types import SimpleNamespace

    from cogaze.config import LossConfig
    from cogaze.losses import CogazeLoss

    torch.manual_seed(3)
    cfg = LossConfig(gaze_t2i_weight=0.2, gaze_i2t_weight=0.8, contrastive_weight=1.0, gaze_weight=1.0)
    loss = CogazeLoss(cfg)
    b, s_, n, d = 2, 3, 16, 8
    h = torch.zeros(b, s_, n)
    h[:, 0, :6] = torch.rand(b, 6) + 0.1
    h[:, 1, 5:12] = torch.rand(b, 7) + 0.1
    h[:, 2, 10:] = torch.rand(b, 6) + 0.1
    out = SimpleNamespace(
        image_embeds=torch.randn(b, d),
        text_embeds=torch.randn(b, d),
        image_logits=torch.randn(b, 14),
        text_logits=torch.randn(b, 14),
        sentence_feats=torch.randn(b, s_, d),
        patch_feats=torch.randn(b, n, d),
        report_loss=None,
    )
    parts = loss(out, ["a", "b"], torch.zeros(b, 14), h, torch.ones(b, s_, dtype=torch.bool))
    t2i, i2t = float(parts["gaze_t2i"].detach()), float(parts["gaze_i2t"].detach())
    assert abs(t2i - i2t) > 0.05  # the directions differ, so swapped weights change the total
    assert math.isclose(float(parts["gaze_loss"].detach()), 0.2 * t2i + 0.8 * i2t, rel_tol=1e-5)
    rep = (
        parts["contrastive_loss"]
        + parts["gaze_loss"]
        + cfg.image_cls_weight * parts["image_cls_loss"]
        + cfg.text_cls_weight * parts["text_cls_loss"]
    )
    assert torch.allclose(parts["representation_loss"], rep)


def test_total_loss_falls_when_overfitting_one_batch(tiny_config):
    from cogaze.model import CogazeModel

    torch.manual_seed(0)
    model = CogazeModel(tiny_config).train()
    batch = make_batch(tiny_config)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses, rep = [], []
    for _ in range(20):
        parts = model.compute_loss(batch, model(batch))
        opt.zero_grad()
        parts["loss"].backward()
        opt.step()
        losses.append(float(parts["loss"].detach()))
        rep.append(float(parts["representation_loss"].detach()))
    assert losses[-1] < 0.5 * losses[0]
    assert rep[-1] < 0.8 * rep[0]
    assert float(parts["gaze_loss"].detach()) > 0  # the batch has gaze, so the term is active
