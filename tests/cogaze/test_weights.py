"""Pretrained weights only from local snapshot folders (RAD-DINO, CXR-BERT without its custom code), refusal
of a random frozen backbone, and checkpoints that rebuild the model without the folders or a hub."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from cogaze.config import load_config
from cogaze.errors import ConfigError
from cogaze.model import CogazeModel
from cogaze.text import SMALL_VOCAB_PATH


@pytest.fixture
def rad_dino_folder(tmp_path):
    """A RAD-DINO-layout snapshot (config.json + model.safetensors) of a tiny Dinov2."""
    from transformers import Dinov2Config, Dinov2Model

    torch.manual_seed(1)
    model = Dinov2Model(Dinov2Config(image_size=64, patch_size=8, num_channels=1, hidden_size=64,
                                     num_hidden_layers=1, num_attention_heads=4, mlp_ratio=2))  # fmt: skip
    model.save_pretrained(tmp_path / "rad-dino")
    return tmp_path / "rad-dino"


@pytest.fixture
def cxr_bert_folder(tmp_path):
    """A CXR-BERT-specialized-layout snapshot: model_type cxr-bert with auto_map (custom code that must never
    run), bert.* + cls.predictions.* + cls_projection_head.* weights, vocab.txt."""
    from safetensors.torch import save_file
    from transformers import BertConfig, BertForMaskedLM

    folder = tmp_path / "cxr-bert"
    folder.mkdir()
    words = [w for w in SMALL_VOCAB_PATH.read_text().split("\n") if w]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    cfg = BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64)  # fmt: skip
    torch.manual_seed(2)
    weights = {k: v.clone().contiguous() for k, v in BertForMaskedLM(cfg).state_dict().items()}
    head = {
        "cls_projection_head.dense_to_hidden.weight": torch.randn(8, 32),
        "cls_projection_head.dense_to_hidden.bias": torch.randn(8),
        "cls_projection_head.LayerNorm.weight": torch.rand(8) + 0.5,
        "cls_projection_head.LayerNorm.bias": torch.randn(8),
        "cls_projection_head.dense_to_output.weight": torch.randn(8, 8),
        "cls_projection_head.dense_to_output.bias": torch.randn(8),
    }
    save_file({**weights, **head}, str(folder / "model.safetensors"))
    config = {**cfg.to_dict(), "model_type": "cxr-bert", "architectures": ["CXRBertModel"], "projection_size": 8,
              "auto_map": {"AutoModel": "modeling_cxrbert.CXRBertModel"}}  # fmt: skip
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a_random_frozen_backbone_is_refused_unless_asked_for():
    with pytest.raises(ConfigError, match=r"config.vision: preset 'paper' freezes a backbone with random"):
        CogazeModel(load_config("paper"))
    tiny = load_config("tiny").replace(vision={"frozen": True})
    with pytest.raises(ConfigError, match="allow_random_frozen"):
        CogazeModel(tiny)
    assert CogazeModel(tiny.replace(vision={"allow_random_frozen": True})).vision.config.vision.frozen


def test_hub_names_are_refused_with_the_folder_layout():
    tiny = load_config("tiny")
    with pytest.raises(ConfigError, match=r"config.vision.pretrained: 'microsoft/rad-dino' is not a folder"):
        CogazeModel(tiny.replace(vision={"kind": "dinov2", "pretrained": "microsoft/rad-dino"}))
    with pytest.raises(ConfigError, match=r"config.text.tokenizer: .*config.json and model.safetensors"):
        CogazeModel(
            tiny.replace(text={"encoder": "x/y", "tokenizer": "microsoft/BiomedVLP-CXR-BERT-specialized"})
        )


def test_rad_dino_and_cxr_bert_load_from_snapshot_folders(rad_dino_folder, cxr_bert_folder):
    from safetensors.torch import load_file

    cfg = load_config("tiny").replace(
        vision={"kind": "dinov2", "pretrained": str(rad_dino_folder), "frozen": True, "num_layers": 1},
        text={"encoder": str(cxr_bert_folder), "tokenizer": str(cxr_bert_folder)},
    )
    model = CogazeModel(cfg)
    saved = load_file(str(rad_dino_folder / "model.safetensors"))
    key = "embeddings.patch_embeddings.projection.weight"
    assert torch.equal(model.vision.backbone.state_dict()[key], saved[key])
    bert = load_file(str(cxr_bert_folder / "model.safetensors"))
    q = "encoder.layer.0.attention.self.query.weight"
    assert torch.equal(model.text.backbone.state_dict()[q], bert[f"bert.{q}"])
    # the re-implemented projection head computes Linear -> GELU -> LayerNorm -> Linear with the saved weights
    x = torch.randn(3, 32)
    w = {
        k.split("cls_projection_head.")[1]: v for k, v in bert.items() if k.startswith("cls_projection_head.")
    }
    h = torch.nn.functional.gelu(x @ w["dense_to_hidden.weight"].T + w["dense_to_hidden.bias"])
    h = torch.nn.functional.layer_norm(h, (8,), w["LayerNorm.weight"], w["LayerNorm.bias"], eps=1e-12)
    expected = h @ w["dense_to_output.weight"].T + w["dense_to_output.bias"]
    assert torch.allclose(model.text.cls_projection(x), expected, atol=1e-5)
    ids = model.tokenizer("[FINDINGS] the heart is enlarged")["input_ids"]
    assert model.tokenizer.convert_ids_to_tokens(ids)[1] == "[FINDINGS]"


def test_a_checkpoint_rebuilds_the_model_without_the_folders_or_a_hub(
    rad_dino_folder, cxr_bert_folder, tmp_path, monkeypatch
):
    import transformers

    from cogaze.data import PhantomDataset
    from cogaze.infer import Predictor
    from cogaze.train import train

    cfg = load_config("tiny").replace(
        vision={"kind": "dinov2", "pretrained": str(rad_dino_folder), "frozen": True, "num_layers": 1},
        text={"encoder": str(cxr_bert_folder), "tokenizer": str(cxr_bert_folder)},
        train={"batch_size": 4, "checkpoint_every": 0},
    )
    train(cfg, PhantomDataset(4, size=64), out_dir=tmp_path / "run", max_steps=1, progress=False)
    image = PhantomDataset(1, size=64, seed=3)[0].image
    before = Predictor.from_checkpoint(tmp_path / "run").predict(image, generate=False)
    shutil.rmtree(rad_dino_folder)
    shutil.rmtree(cxr_bert_folder)

    def no_loading(*args, **kwargs):
        raise AssertionError("a checkpoint load read pretrained files")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(transformers.PreTrainedModel, "from_pretrained", no_loading)
    monkeypatch.setattr(transformers.PreTrainedTokenizerBase, "from_pretrained", no_loading)
    after = Predictor.from_checkpoint(tmp_path / "run").predict(image, generate=False)
    assert np.allclose(before.embedding, after.embedding, atol=1e-6)
    assert before.probabilities == pytest.approx(after.probabilities, abs=1e-6)


def test_the_packaged_minilm_tokenizer_is_rebuilt_from_its_record_with_the_same_ids():
    from cogaze.text import build_tokenizer
    from cogaze.weights import tokenizer_from_record, tokenizer_record

    tok = build_tokenizer(load_config("base-offline"))
    record = tokenizer_record(tok)
    assert record is not None and record["added"][:2] == ["[INDICATION]", "[HISTORY]"]
    again = tokenizer_from_record(record)
    text = "[INDICATION] Dyspnea. [FINDINGS] Mild cardiomegaly; no pneumothorax. [SEC_LUNGS] clear"
    assert again(text)["input_ids"] == tok(text)["input_ids"] and len(again) == len(tok)
