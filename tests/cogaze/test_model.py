"""Model shapes, the context-infused path, decoder modes and input checks."""

from __future__ import annotations

import pytest
import torch

from cogaze.decoder import render_structured, to_structured
from cogaze.errors import DataError, InputError
from tests.cogaze.conftest import make_batch


def test_forward_shapes(tiny_model, tiny_config):
    batch = make_batch(tiny_config)
    with torch.no_grad():
        out = tiny_model(batch)
    b, d, n_lat = 4, tiny_config.dim, tiny_config.perceiver.num_latents
    n = tiny_config.vision.grid**2
    assert out.visual_latents.shape == (b, n_lat, d)
    assert out.context_latents.shape == (b, n_lat, d)
    assert out.patch_feats.shape == (b, n, d)
    assert out.image_embeds.shape == out.text_embeds.shape == (b, d)
    assert out.image_logits.shape == out.text_logits.shape == (b, 14)
    assert out.sentence_feats.shape == (b, 2, d)
    assert out.has_context.tolist() == [True, False, True, False]
    assert float(out.context_latents[1].abs().sum()) == 0.0  # no context -> no context latents
    assert out.report_loss is not None and torch.isfinite(out.report_loss)


def test_context_changes_the_visual_latents_and_uses_the_shared_perceiver(tiny_model, tiny_config):
    batch = make_batch(tiny_config)
    with torch.no_grad():
        with_ctx = tiny_model.encode_image(batch.images[:1], batch.view_ids[:1], ["[INDICATION] chest pain"])
        without = tiny_model.encode_image(batch.images[:1], batch.view_ids[:1], [""])
        other = tiny_model.encode_image(batch.images[:1], batch.view_ids[:1], ["[INDICATION] fever"])
    assert not torch.allclose(with_ctx.visual_latents, without.visual_latents)
    assert not torch.allclose(with_ctx.visual_latents, other.visual_latents)
    perceivers = [m for m in tiny_model.modules() if type(m).__name__ == "Perceiver"]
    assert len(perceivers) == 1  # one set of weights for both uses


def test_use_context_false_ignores_context(tiny_config):
    from cogaze.model import CogazeModel

    torch.manual_seed(0)
    model = CogazeModel(tiny_config.replace(loss={"use_context": False})).eval()
    batch = make_batch(tiny_config)
    with torch.no_grad():
        a = model.encode_image(batch.images[:1], batch.view_ids[:1], ["[INDICATION] chest pain"])
        b = model.encode_image(batch.images[:1], batch.view_ids[:1], [""])
    assert torch.allclose(a.visual_latents, b.visual_latents)


def test_attention_is_a_distribution_over_patches(tiny_model, tiny_config):
    batch = make_batch(tiny_config)
    with torch.no_grad():
        enc = tiny_model.encode_image(batch.images, batch.view_ids, batch.contexts, return_attention=True)
    assert enc.attention.shape == (4, tiny_config.vision.grid**2)
    assert torch.allclose(enc.attention.sum(-1), torch.ones(4), atol=1e-5)


def test_generate_returns_text_per_study(tiny_model, tiny_config):
    batch = make_batch(tiny_config)
    with torch.no_grad():
        enc = tiny_model.encode_image(batch.images[:2], batch.view_ids[:2], batch.contexts[:2])
        texts = tiny_model.generate(enc, beam_size=2)
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)


def test_structured_report_sections():
    text = to_structured(
        "Small left pleural effusion. The heart is enlarged. A central venous catheter is in place."
    )
    assert text.index("[SEC_PLEURA]") < text.index("[SEC_CARDIO]") < text.index("[SEC_DEVICES]")
    rendered = render_structured(text)
    assert "Pleura: Small left pleural effusion." in rendered
    assert "Cardiovascular: The heart is enlarged." in rendered
    assert "Tubes, Catheters, and Support Devices: A central venous catheter is in place." in rendered


def test_structured_decoder_trains(tiny_config):
    from cogaze.model import CogazeModel

    model = CogazeModel(tiny_config.replace(decoder={"structured": True}))
    batch = make_batch(tiny_config)
    assert torch.isfinite(model(batch).report_loss)


def test_bad_inputs_name_the_field(tiny_model, tiny_config):
    batch = make_batch(tiny_config)
    with pytest.raises(InputError, match="images"):
        tiny_model.encode_image(torch.rand(2, 3, 64, 64), batch.view_ids[:2], ["", ""])
    with pytest.raises(InputError, match="images"):
        tiny_model.encode_image(torch.rand(2, 1, 32, 32), batch.view_ids[:2], ["", ""])
    batch.findings[2] = "   "
    with pytest.raises(DataError, match="findings.*'b'"):
        tiny_model(batch)
    bad = make_batch(tiny_config)
    bad.heatmaps = torch.zeros(4, 2, 10)
    with pytest.raises(DataError, match="heatmaps"):
        tiny_model(bad)


def test_base_offline_loads_the_packaged_minilm_without_a_hub():
    import os

    from safetensors.numpy import load_file

    from cogaze.config import load_config
    from cogaze.text import TextEncoder, build_tokenizer, packaged_minilm_path

    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    cfg = load_config("base-offline")
    encoder = TextEncoder(cfg, build_tokenizer(cfg))
    assert encoder.backbone.config.hidden_size == 384 and len(encoder.backbone.encoder.layer) == 6
    weights = load_file(str(packaged_minilm_path() / "model.safetensors"))
    key = next(k for k in weights if k.endswith("word_embeddings.weight"))
    got = encoder.backbone.embeddings.word_embeddings.weight.detach().numpy()
    assert (got[: weights[key].shape[0]] == weights[key]).all()  # pretrained rows kept, markers appended
