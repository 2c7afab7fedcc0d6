"""Downstream readers on small files written in the data sets' own formats, the protocols' splits and
fractions, and a smoke run on the shared Hannover radiographs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from cogaze.downstream import (
    open_downstream,
    read_nih,
    read_rsna,
    read_siim,
    rle_decode,
    run_protocol,
    split_by_patient,
    subsample,
)
from cogaze.errors import DataError
from tests.conftest import shared_data


def _png(path, seed, size=32):
    rng = np.random.default_rng(seed)
    Image.fromarray((rng.random((size, size)) * 255).astype(np.uint8)).save(path)


def test_nih_reader(tmp_path):
    (tmp_path / "images").mkdir()
    lines = ["Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
             "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],"]  # fmt: skip
    for i, finding in enumerate(["Cardiomegaly|Effusion", "No Finding", "Hernia", "Pleural_Thickening"]):
        name = f"0000000{i}_000.png"
        _png(tmp_path / "images" / name, i)
        lines.append(f"{name},{finding},0,{i // 2 + 1},58,M,{'AP' if i else 'PA'},2682,2749,0.143,0.143,")
    (tmp_path / "Data_Entry_2017.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "test_list.txt").write_text("00000003_000.png\n")
    data = read_nih(tmp_path / "Data_Entry_2017.csv", tmp_path / "images", tmp_path / "test_list.txt")
    first = data.items[0]
    assert first.labels[list(data.class_names).index("Cardiomegaly")] == 1
    assert first.labels[list(data.class_names).index("Effusion")] == 1 and first.labels.sum() == 2
    assert data.items[1].labels.sum() == 0 and data.items[1].view_position == "AP"
    assert data.items[3].split == "test" and data.items[0].image().shape == (32, 32)
    assert first.patient_id == "1" and data.metric == "auroc"
    bad = tmp_path / "bad.csv"
    bad.write_text("Image Index,Finding Labels,Patient ID\nx.png,Cardiomegally,1\n")
    with pytest.raises(DataError, match=r"unknown finding\(s\) \['Cardiomegally'\]"):
        read_nih(bad, tmp_path / "images")
    bad.write_text("Image Index,Patient ID\nx.png,1\n")
    with pytest.raises(DataError, match=r"missing column\(s\) \['Finding Labels'\]"):
        read_nih(bad, tmp_path / "images")


def test_rsna_reader_boxes_become_masks(tmp_path):
    _png(tmp_path / "p1.png", 1)
    _png(tmp_path / "p2.png", 2)
    (tmp_path / "stage_2_train_labels.csv").write_text(
        "patientId,x,y,width,height,Target\np1,2,4,5,3,1\np1,20,20,4,4,1\np2,,,,,0\n"
    )
    data = read_rsna(tmp_path / "stage_2_train_labels.csv", tmp_path)
    p1, p2 = data.items
    assert p1.labels.tolist() == [1.0] and p2.labels.tolist() == [0.0] and data.metric == "f1"
    mask = p1.mask((32, 32))
    assert mask.sum() == 5 * 3 + 4 * 4 and mask[4:7, 2:7].all() and not mask[3, 2]
    assert p2.mask((32, 32)).sum() == 0


def test_siim_reader_decodes_the_rle_masks(tmp_path):
    _png(tmp_path / "1.2.3.png", 1)
    _png(tmp_path / "1.2.4.png", 2)
    # the file's own header has a space before EncodedPixels; two regions for one image
    (tmp_path / "train-rle.csv").write_text(
        "ImageId, EncodedPixels\n1.2.3, 1 2 3 1\n1.2.3, 30 2\n1.2.4, -1\n"
    )
    data = read_siim(tmp_path / "train-rle.csv", tmp_path)
    first, second = data.items
    assert first.labels.tolist() == [1.0] and second.labels.tolist() == [0.0]
    mask = first.mask((8, 8))
    # row 1: pixels 1-2 (column 0, rows 1-2) and 6 (column 0, row 6); row 2, decoded on its own: pixels
    # 30-31 (column 3, rows 6-7)
    assert mask[1:3, 0].all() and mask[6, 0] and mask[6:8, 3].all() and mask.sum() == 5
    assert second.mask((8, 8)).sum() == 0
    with pytest.raises(DataError, match="odd number"):
        rle_decode("1 2 3", (4, 4))


def test_splits_are_by_patient_with_a_real_validation_split_and_fractions(tmp_path):
    from cogaze.downstream import DownstreamItem, DownstreamSet

    items = [DownstreamItem(f"i{k}", tmp_path / "x.png", f"p{k // 2}", np.array([k % 3 == 0], np.float32))
             for k in range(40)]  # fmt: skip
    data = DownstreamSet("toy", ("A",), items, metric="f1")
    split = split_by_patient(data, val_fraction=0.1, test_fraction=0.2, seed=0)
    pats = [{i.patient_id for i in part} for part in (split.train, split.val, split.test)]
    assert not (pats[0] & pats[1] or pats[0] & pats[2] or pats[1] & pats[2])
    assert (len(pats[2]), len(pats[1]), len(pats[0])) == (4, 2, 14)
    one = subsample(split.train, 0.01, seed=0)
    assert len(one) == 2 and {float(i.labels[0]) for i in one} == {0.0, 1.0}
    assert len(subsample(split.train, 0.1, seed=0)) == 3 and len(subsample(split.train, 1.0)) == 28
    with pytest.raises(DataError, match="fraction"):
        subsample(split.train, 0.0)


def test_protocols_run_on_siim_files(tmp_path, tiny_model):
    lines = ["ImageId, EncodedPixels"]
    for k in range(16):
        _png(tmp_path / f"{k}.png", k)
        lines.append(f"{k}, {40 + k} 6 20 6" if k % 2 else f"{k}, -1")
    (tmp_path / "train-rle.csv").write_text("\n".join(lines) + "\n")
    data = open_downstream(f"siim:{tmp_path / 'train-rle.csv'}:{tmp_path}")
    split = split_by_patient(data, val_fraction=0.25, test_fraction=0.25, seed=1)
    torch.manual_seed(0)
    for protocol in ("linear", "finetune", "segment"):
        row = run_protocol(tiny_model, data, split, protocol=protocol, fraction=1.0, epochs=2, batch_size=8)
        assert row["protocol"] == protocol and row["n_test"] == 4 and 1 <= row["best_epoch"] <= 2
        assert row["metric"] == ("dice" if protocol == "segment" else "f1") and 0.0 <= row["test"] <= 1.0
    with pytest.raises(DataError, match="unknown downstream source"):
        open_downstream("chexpert:x")


def test_smoke_on_the_shared_hannover_radiographs(tiny_model):
    folder = shared_data("cxr_hannover_covid19")
    data = open_downstream(f"hannover:{folder}")
    assert len(data.items) == 243 and {i.view_position for i in data.items} <= {"AP", "PA"}
    split = split_by_patient(data, val_fraction=0.15, test_fraction=0.2, seed=0)
    assert not {i.patient_id for i in split.train} & {i.patient_id for i in split.test}
    row = run_protocol(tiny_model, data, split, protocol="linear", fraction=0.1, epochs=1, batch_size=32)
    assert row["dataset"] == "hannover" and row["n_train"] < len(split.train) and np.isfinite(row["test"])
