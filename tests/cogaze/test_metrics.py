"""Evaluation metrics against values computed by hand (the working is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cogaze.evaluate import (
    EvaluationResult,
    bleu,
    cider_d,
    macro_f1,
    retrieval_precision,
    rouge_l,
    tokenize_report,
)

HYP = "The heart is enlarged."
REF = "The heart is not enlarged."


def test_tokenisation_drops_punctuation_like_the_coco_evaluation():
    assert tokenize_report("Heart size: normal; no effusion (left)... X-ray, 3.5 cm!") == [
        "heart",
        "size",
        "normal",
        "no",
        "effusion",
        "left",
        "x-ray",
        "3.5",
        "cm",
    ]


def test_bleu_by_hand():
    # hyp: the heart is enlarged (4 tokens, the full stop dropped); ref: the heart is not enlarged (5)
    # p1 = 4/4; p2: the-heart, heart-is match, is-enlarged not = 2/3; p3: the-heart-is = 1/2; p4 = 0/1
    # brevity penalty exp(1 - 5/4) = 0.778801
    b = bleu([HYP], [[REF]])
    bp = math.exp(-0.25)
    assert b["bleu1"] == pytest.approx(bp, rel=1e-9)  # 0.778801
    assert b["bleu2"] == pytest.approx(0.6358881766016378, rel=1e-9)  # bp * sqrt(1 * 2/3)
    assert b["bleu3"] == pytest.approx(0.5399903034156615, rel=1e-9)  # bp * (1 * 2/3 * 1/2) ** (1/3)
    assert b["bleu4"] == 0.0
    # counting the full stops as tokens would give p1 = 5/5 and bp = exp(1 - 6/5): a different value
    assert bleu(["the heart is enlarged"], [["the heart is not enlarged"]]) == b


def test_rouge_l_by_hand():
    # LCS = the heart is enlarged = 4; P = 4/4, R = 4/5; F = (1 + 1.2^2) P R / (R + 1.2^2 P) = 1.952 / 2.24
    assert rouge_l([HYP], [[REF]]) == pytest.approx(0.8714285714285713, rel=1e-9)


def test_cider_d_by_hand():
    # two documents; every n-gram of the references occurs in one of them: idf = ln 2 - ln 1 for all
    # study 1: hypothesis = reference: cosine 1 for n = 1, 2; no 3- or 4-grams -> 10 * (1 + 1) / 4 = 5
    # study 2: "lungs" against "lungs clear": n = 1 cosine ln2^2 / (ln2 * sqrt(2) ln2) = 1/sqrt(2), length
    # penalty exp(-(1 - 2)^2 / (2 * 6^2)) = exp(-1/72); no bigram -> 10 * 0.707107 * 0.986207 / 4 = 1.743384
    refs = [["heart enlarged."], ["lungs clear."]]
    got = cider_d(["Heart enlarged.", "lungs"], refs)
    assert got == pytest.approx((5.0 + 1.7433843497601407) / 2, rel=1e-9)  # 3.371692


def test_macro_f1_counts_only_classes_with_positives():
    labels = np.array([[1, 0, 0], [1, 0, 1], [0, 0, 1]])
    pred = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 0]])
    # class 0: tp 1, 1 predicted, 2 true -> 2/3; class 1: no positives, left out; class 2: tp 1, 1 pred, 2 true
    assert macro_f1(pred, labels) == pytest.approx(2 / 3)
    result = EvaluationResult(n=3)
    result.head = {
        "A": {"auroc": 0.9, "f1": 0.5, "n_pos": 2.0},
        "B": {"auroc": float("nan"), "f1": 0.0, "n_pos": 0.0},  # no positives: not an F1 of 0
        "C": {"auroc": 0.7, "f1": 0.25, "n_pos": 1.0},
    }
    assert result.macro("head", "f1") == pytest.approx(0.375)
    assert result.macro("head", "auroc") == pytest.approx(0.8)


def test_retrieval_is_strict_by_study_with_the_label_vector_variant_beside():
    # images (rows) x texts (columns) of three studies; studies 0 and 1 have the same labels
    sim = np.array([[0.2, 0.9, 0.1], [0.1, 0.8, 0.3], [0.7, 0.0, 0.6]])
    same_study = np.eye(3, dtype=bool)
    same_labels = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], bool)
    strict = retrieval_precision(sim, same_study)
    loose = retrieval_precision(sim, same_study | same_labels, suffix="_label_vector")
    # image -> text top 1: row 0 -> text 1 (other study), row 1 -> text 1 (hit), row 2 -> text 0 (miss)
    assert strict["i2t_p@1"] == pytest.approx(1 / 3)
    # with label vectors, row 0's text 1 counts too
    assert loose["i2t_p@1_label_vector"] == pytest.approx(2 / 3)
    # text -> image top 1: text 0 -> image 2 (miss), text 1 -> image 0 (miss), text 2 -> image 2 (hit)
    assert strict["t2i_p@1"] == pytest.approx(1 / 3)
    # P@5 over 3 columns: every row has its one relevant item among the 3 -> 1/3
    assert strict["i2t_p@5"] == pytest.approx(1 / 3)
