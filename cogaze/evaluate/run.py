"""Evaluation protocols: zero-shot and head classification, image-text retrieval, report generation, and, on
SYNTHETIC phantoms, how much of the model's attention falls on the ground-truth finding masks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from cogaze.data.collate import Collator, IndexedDataset
from cogaze.errors import DataError
from cogaze.evaluate.metrics import auroc, bleu, cider_d, f1_score, macro_f1, precision_at_k, rouge_l
from cogaze.evaluate.prompts import prompt_pairs
from cogaze.labels import OBSERVATION_INDEX, OBSERVATIONS, binary_targets
from cogaze.model import CogazeModel

# Phantom finding -> the observation whose positive prompt grounds it.
_PHANTOM_PROMPT = {
    "cardiomegaly": "Cardiomegaly",
    "effusion": "Pleural Effusion",
    "nodule": "Lung Lesion",
    "consolidation": "Consolidation",
    "pneumothorax": "Pneumothorax",
    "device": "Support Devices",
}


@dataclass
class EvaluationResult:
    """Metrics of one evaluation; ``nan`` where a metric is undefined (e.g. one class only)."""

    n: int
    zero_shot: dict[str, dict[str, float]] = field(default_factory=dict)  # observation -> auroc, f1, n_pos
    head: dict[str, dict[str, float]] = field(default_factory=dict)  # supervised image head, same keys
    # i2t_p@1 ... t2i_p@10 (strict: same study), and the same with "_label_vector" (same positive-label set)
    retrieval: dict[str, float] = field(default_factory=dict)
    # bleu1..4, rouge_l, cider_d; label_micro_f1, label_macro_f1 with a labeler
    generation: dict[str, float] = field(default_factory=dict)
    localisation: dict[str, float] = field(default_factory=dict)  # phantoms only
    n_generated: int = 0  # studies whose report was generated
    examples: list[dict[str, str]] = field(default_factory=list)

    def macro(self, part: str = "zero_shot", metric: str = "auroc") -> float:
        """Mean of ``metric`` over observations where it is defined (F1: observations with positives)."""
        vals = [
            v[metric]
            for v in getattr(self, part).values()
            if np.isfinite(v[metric]) and (metric != "f1" or v.get("n_pos", 1) > 0)
        ]
        return float(np.mean(vals)) if vals else float("nan")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["zero_shot_macro_auroc"] = self.macro("zero_shot")
        d["head_macro_auroc"] = self.macro("head")
        return d

    def to_markdown(self) -> str:
        """Markdown tables of the results."""
        lines = [
            f"Evaluated studies: {self.n} (reports generated for {self.n_generated})",
            "",
            "| observation | n pos | zero-shot AUROC | zero-shot F1 | head AUROC | head F1 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for o in OBSERVATIONS:
            z, h = self.zero_shot.get(o, {}), self.head.get(o, {})
            lines.append(
                f"| {o} | {int(z.get('n_pos', 0))} | {z.get('auroc', float('nan')):.3f} | "
                f"{z.get('f1', float('nan')):.3f} | {h.get('auroc', float('nan')):.3f} | "
                f"{h.get('f1', float('nan')):.3f} |"
            )
        lines.append(
            f"| macro (defined) | | {self.macro('zero_shot'):.3f} | {self.macro('zero_shot', 'f1'):.3f} | "
            f"{self.macro('head'):.3f} | {self.macro('head', 'f1'):.3f} |"
        )
        for title, part in (
            ("retrieval", self.retrieval),
            ("generation", self.generation),
            ("localisation (SYNTHETIC phantoms)", self.localisation),
        ):
            if part:
                lines += ["", f"| {title} | value |", "|---|---:|"]
                lines += [f"| {k} | {v:.4f} |" for k, v in part.items()]
        return "\n".join(lines)


def retrieval_precision(similarity: np.ndarray, relevant: np.ndarray, suffix: str = "") -> dict[str, float]:
    """Precision@1/5/10 both ways for an image-by-text ``similarity`` (N, N) and ``relevant`` (N, N) bool."""
    out = {f"i2t_p@{k}{suffix}": v for k, v in precision_at_k(similarity, relevant).items()}
    out.update({f"t2i_p@{k}{suffix}": v for k, v in precision_at_k(similarity.T, relevant.T).items()})
    return out


@torch.no_grad()
def _text_embeds(model: CogazeModel, texts: list[str], batch: int = 32) -> torch.Tensor:
    out = []
    for i in range(0, len(texts), batch):
        out.append(model.encode_text(texts[i : i + batch])[0])
    return torch.cat(out)


def _cell_fractions(mask: np.ndarray, grid: int) -> np.ndarray:
    t = torch.from_numpy(mask.astype(np.float32))[None, None]
    return F.adaptive_avg_pool2d(t, grid)[0, 0].reshape(-1).numpy()


@torch.no_grad()
def evaluate(
    model: CogazeModel,
    dataset,
    *,
    batch_size: int = 16,
    generate: bool = True,
    max_generate: int | None = None,
    labeler: Callable[[str], np.ndarray] | None = None,
    device: str | torch.device = "cpu",
) -> EvaluationResult:
    """Run every protocol on ``dataset``.

    Zero-shot classification scores each observation by the softmax over the image's similarity to a positive
    and a negative prompt (F1 at 0.5); the head scores are the image head's sigmoid. Labels: present or
    uncertain = positive; macro F1 averages the observations that have positives. Retrieval: Precision@1/5/10
    image-to-text and text-to-image, strict (a retrieved item is relevant only when it comes from the same
    study, as the paper counts it); the looser label-vector variant (also relevant: the same set of positive
    observations) is reported beside it with the suffix ``_label_vector``. Generation: BLEU-1..4, ROUGE-L,
    CIDEr-D of beam-search findings against the reference findings of every study (or the first
    ``max_generate``), and label micro- and macro-F1 of the generated reports when a ``labeler`` (report
    text -> 14 label states) is given.
    """
    if len(dataset) == 0:
        raise DataError("dataset: no studies to evaluate (empty split?)")
    model = model.to(device).eval()
    collate = Collator(model.config)
    loader = torch.utils.data.DataLoader(
        IndexedDataset(dataset), batch_size=batch_size, shuffle=False, collate_fn=collate
    )
    scale = float(model.criterion.contrastive.logit_scale.exp())
    pos, neg = zip(*prompt_pairs(), strict=True)
    pos_e = F.normalize(_text_embeds(model, list(pos)), dim=-1)
    neg_e = F.normalize(_text_embeds(model, list(neg)), dim=-1)
    grid = model.config.vision.grid
    img_all, txt_all, head_all, zs_all, tgt_all, studies, findings = [], [], [], [], [], [], []
    attn_in, attn_lift, ground_in, ground_lift = [], [], [], []
    generated: list[str] = []
    n_seen = 0
    for batch in loader:
        batch = batch.to(device)
        enc = model.encode_image(batch.images, batch.view_ids, batch.contexts, return_attention=True)
        img = F.normalize(enc.image_embeds, dim=-1)
        txt, _ = model.encode_text(batch.findings, batch.study_ids)
        img_all.append(img.cpu())
        txt_all.append(F.normalize(txt, dim=-1).cpu())
        head_all.append(torch.sigmoid(enc.image_logits).cpu())
        logits = torch.stack([scale * img @ pos_e.t(), scale * img @ neg_e.t()], -1)  # (B, 14, 2)
        zs_all.append(logits.softmax(-1)[..., 0].cpu())
        tgt_all.append(batch.targets.cpu())
        studies += batch.study_ids
        findings += batch.findings
        patches = F.normalize(enc.patch_feats, dim=-1)  # (B, N, D)
        for b, idx in enumerate(batch.indices.tolist()):
            sample = dataset[idx]
            for name, mask in (sample.masks or {}).items():
                frac = _cell_fractions(mask, grid)
                area = float(frac.mean())
                if area <= 0:
                    continue
                a = enc.attention[b].cpu().numpy()
                attn_in.append(float((a * frac).sum()))
                attn_lift.append(attn_in[-1] / area)
                prompt = pos_e[OBSERVATION_INDEX[_PHANTOM_PROMPT[name]]]
                g = (scale * patches[b] @ prompt).softmax(-1).cpu().numpy()
                ground_in.append(float((g * frac).sum()))
                ground_lift.append(ground_in[-1] / area)
        limit = len(dataset) if max_generate is None else max_generate
        if generate and n_seen < limit:
            take = min(len(batch), limit - n_seen)
            sub = type(enc)(
                **{k: (v[:take] if isinstance(v, torch.Tensor) else v) for k, v in enc.__dict__.items()}
            )
            generated += model.generate(sub)
        n_seen += len(batch)
    img_m, txt_m = torch.cat(img_all).numpy(), torch.cat(txt_all).numpy()
    head_p, zs_p, tgt = torch.cat(head_all).numpy(), torch.cat(zs_all).numpy(), torch.cat(tgt_all).numpy()
    result = EvaluationResult(n=len(studies))
    for k, o in enumerate(OBSERVATIONS):
        y = tgt[:, k]
        result.zero_shot[o] = {
            "auroc": auroc(zs_p[:, k], y),
            "f1": f1_score(zs_p[:, k] > 0.5, y),
            "n_pos": float(y.sum()),
        }
        result.head[o] = {
            "auroc": auroc(head_p[:, k], y),
            "f1": f1_score(head_p[:, k] > 0.5, y),
            "n_pos": float(y.sum()),
        }
    sim = img_m @ txt_m.T
    same_study = np.array(studies)[:, None] == np.array(studies)[None, :]
    same_labels = (tgt[:, None, :] == tgt[None, :, :]).all(-1)
    result.retrieval.update(retrieval_precision(sim, same_study))
    result.retrieval.update(retrieval_precision(sim, same_study | same_labels, suffix="_label_vector"))
    result.n_generated = len(generated)
    if generated:
        refs = [[f] for f in findings[: len(generated)]]
        result.generation.update(bleu(generated, refs))
        result.generation["rouge_l"] = rouge_l(generated, refs)
        result.generation["cider_d"] = cider_d(generated, refs)
        if labeler is not None:
            pred = np.stack([binary_targets(labeler(t)) for t in generated])
            ref = tgt[: len(generated)]
            result.generation["label_micro_f1"] = f1_score(pred.reshape(-1), ref.reshape(-1))
            result.generation["label_macro_f1"] = macro_f1(pred, ref)
        result.examples = [
            {"study_id": s, "reference": r[0], "generated": g}
            for s, r, g in zip(studies[:5], refs[:5], generated[:5], strict=False)
        ]
    if attn_in:
        result.localisation = {
            "attention_mass_in_mask": float(np.mean(attn_in)),
            "attention_lift_over_area": float(np.mean(attn_lift)),
            "grounding_mass_in_mask": float(np.mean(ground_in)),
            "grounding_lift_over_area": float(np.mean(ground_lift)),
        }
    return result
