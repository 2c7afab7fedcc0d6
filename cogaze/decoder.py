"""Report decoder: a GPT-2-style transformer with cross-attention, teacher forcing and beam search.

It cross-attends to ``[visual latents; context latents]`` and shares the text encoder's tokenizer ([CLS]
starts a report, [SEP] ends it). Structured mode writes organ sections, each opened by a section token that
:func:`render_structured` turns into its header.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn

from cogaze.config import CogazeConfig
from cogaze.text import SECTION_TOKENS

SECTION_HEADERS: dict[str, str] = dict(
    zip(
        SECTION_TOKENS,
        (
            "Lungs and Airways",
            "Pleura",
            "Cardiovascular",
            "Hila and Mediastinum",
            "Tubes, Catheters, and Support Devices",
            "Musculoskeletal and Chest Wall",
            "Abdominal",
            "Other",
        ),
        strict=True,
    )
)
# Keyword rules to sort a free-text sentence into a section (first match wins, in this order).
_SECTION_RULES: tuple[tuple[str, str], ...] = (
    ("[SEC_DEVICES]", r"tube|catheter|line|pacemaker|device|clip|wire|port|drain|stent"),
    ("[SEC_PLEURA]", r"pleura|effusion|pneumothorax|costophrenic"),
    ("[SEC_CARDIO]", r"heart|cardi|aort|vascular|vessel"),
    ("[SEC_HILA]", r"hil(a|um)|mediastin"),
    ("[SEC_MSK]", r"rib|bone|osseous|fracture|spine|clavic|shoulder|chest wall|soft tissue"),
    ("[SEC_ABDOMEN]", r"abdom|bowel|diaphragm|subdiaphragm|stomach|liver"),
    ("[SEC_LUNGS]", r"lung|pulmonar|opacit|consolidat|nodul|mass|atelecta|pneumon|edema|airway|lesion"),
)


def assign_section(sentence: str) -> str:
    """Section token for a sentence by keyword (``[SEC_OTHER]`` when nothing matches)."""
    low = sentence.lower()
    for token, pattern in _SECTION_RULES:
        if re.search(pattern, low):
            return token
    return "[SEC_OTHER]"


def split_sentences(text: str) -> list[str]:
    """Split report text at sentence ends; keeps the period."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]


def to_structured(findings: str) -> str:
    """Free-text findings -> section-token text, sections in the canonical order."""
    sections: dict[str, list[str]] = {}
    for s in split_sentences(findings):
        sections.setdefault(assign_section(s), []).append(s)
    return " ".join(f"{tok} " + " ".join(sections[tok]) for tok in SECTION_TOKENS if tok in sections)


def render_structured(text: str) -> str:
    """Replace section tokens by their headers, one section per line ("Pleura: ...")."""
    parts = re.split(r"(\[SEC_[A-Z]+\])", text)
    lines, header = [], None
    for part in parts:
        part = part.strip()
        if part in SECTION_HEADERS:
            header = SECTION_HEADERS[part]
        elif part:
            lines.append(f"{header}: {part}" if header else part)
    return "\n".join(lines)


class ReportDecoder(nn.Module):
    """GPT-2 language model with cross-attention over a memory (B, M, dim)."""

    def __init__(self, config: CogazeConfig, tokenizer) -> None:
        super().__init__()
        from transformers import GPT2Config, GPT2LMHeadModel

        d = config.decoder
        self.config = config
        self.tokenizer = tokenizer
        self.bos, self.eos, self.pad = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
        self.lm = GPT2LMHeadModel(
            GPT2Config(
                vocab_size=len(tokenizer),
                n_positions=d.max_length + 2,
                n_embd=config.dim,
                n_layer=d.num_layers,
                n_head=d.num_heads,
                add_cross_attention=True,
                bos_token_id=self.bos,
                eos_token_id=self.eos,
                pad_token_id=self.pad,
            )
        )

    def prepare_targets(self, reports: list[str]) -> list[str]:
        """Decoder target text (structured when configured)."""
        return [to_structured(r) for r in reports] if self.config.decoder.structured else list(reports)

    def forward(
        self, memory: torch.Tensor, reports: list[str], memory_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Teacher-forced cross-entropy (scalar) of ``reports`` given memory (B, M, dim), mask (B, M) bool."""
        enc = self.tokenizer(
            self.prepare_targets(reports),
            padding=True,
            truncation=True,
            max_length=self.config.decoder.max_length,
            return_tensors="pt",
        )
        ids = enc["input_ids"].to(memory.device)  # (B, T): [CLS] tokens [SEP] [PAD]...
        mask = enc["attention_mask"].to(memory.device)
        logits = self.lm(
            input_ids=ids[:, :-1],
            attention_mask=mask[:, :-1],
            encoder_hidden_states=memory,
            encoder_attention_mask=None if memory_mask is None else memory_mask.long(),
            use_cache=False,
        ).logits  # (B, T - 1, V)
        labels = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
        return F.cross_entropy(
            logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100
        )

    @torch.no_grad()
    def generate(
        self, memory: torch.Tensor, beam_size: int | None = None, max_length: int | None = None
    ) -> list[str]:
        """Beam search per study; returns decoded reports (structured ones rendered with headers)."""
        beam_size = beam_size or self.config.decoder.beam_size
        max_length = min(max_length or self.config.decoder.max_length, self.config.decoder.max_length)
        out = []
        for b in range(memory.shape[0]):
            ids = self._beam(memory[b : b + 1], beam_size, max_length)
            text = self.tokenizer.decode(ids, skip_special_tokens=False)
            text = re.sub(r"\[(CLS|SEP|PAD)\]", "", text)
            text = re.sub(r"\s+", " ", text).strip()
            out.append(render_structured(text) if self.config.decoder.structured else text)
        return out

    def _beam(self, memory: torch.Tensor, beam_size: int, max_length: int) -> list[int]:
        device = memory.device
        beams = torch.full((1, 1), self.bos, dtype=torch.long, device=device)
        scores = torch.zeros(1, device=device)
        finished: list[tuple[float, list[int]]] = []
        for _ in range(max_length - 1):
            logits = self.lm(
                input_ids=beams,
                encoder_hidden_states=memory.expand(beams.shape[0], -1, -1).contiguous(),
                use_cache=False,
            ).logits[:, -1]
            logp = logits.float().log_softmax(-1)
            logp[:, self.pad] = -float("inf")
            logp[:, self.bos] = -float("inf")
            cand = (scores[:, None] + logp).reshape(-1)
            top = cand.topk(min(2 * beam_size, cand.numel()))
            new_beams, new_scores = [], []
            for score, flat in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                src, tok = divmod(flat, logp.shape[1])
                seq = beams[src].tolist() + [tok]
                if tok == self.eos:
                    finished.append((score / (len(seq) - 1), seq[1:-1]))
                else:
                    new_beams.append(seq)
                    new_scores.append(score)
                if len(new_beams) == beam_size:
                    break
            if len(finished) >= beam_size or not new_beams:
                break
            beams = torch.tensor(new_beams, device=device)
            scores = torch.tensor(new_scores, device=device)
        if not finished:
            finished = [
                (s / beams.shape[1], b[1:]) for s, b in zip(scores.tolist(), beams.tolist(), strict=True)
            ]
        return max(finished, key=lambda x: x[0])[1]
