"""The CoGaze model, readable top to bottom (DESIGN.md §5).

images -> VisionEncoder -> patch features (B, 1 + N, D)
context text -> TextEncoder -> Perceiver(shared latents + context type) -> context latents (B, L, D)
patch features -> Perceiver(context latents, or shared latents + image type) -> visual latents (B, L, D)
findings -> TextEncoder -> token features; transcript sentences -> [CLS] features (gaze loss)
two 14-way heads (mean-pooled visual latents / report tokens);
a report decoder over [visual; context] latents.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from cogaze.batch import Batch
from cogaze.config import CogazeConfig
from cogaze.decoder import ReportDecoder
from cogaze.errors import DataError
from cogaze.labels import NUM_OBSERVATIONS
from cogaze.losses import CogazeLoss
from cogaze.perceiver import Perceiver
from cogaze.text import MARKER_TOKENS, TextEncoder, build_tokenizer, masked_mean
from cogaze.vision import VisionEncoder


@dataclass
class ImageEncoding:
    """What the image side produces (L latents, N patches, D = config.dim)."""

    patch_feats: torch.Tensor  # (B, N, D) patch features without CLS (gaze loss)
    visual_latents: torch.Tensor  # (B, L, D)
    context_latents: torch.Tensor  # (B, L, D), zeros where a study has no context
    has_context: torch.Tensor  # (B,) bool
    image_embeds: torch.Tensor  # (B, D) mean of the visual latents
    image_logits: torch.Tensor  # (B, 14)
    attention: torch.Tensor | None = None  # (B, N) last cross-attention over patches, rows sum to 1


@dataclass
class CogazeOutput(ImageEncoding):
    """Everything the losses need."""

    text_embeds: torch.Tensor | None = None  # (B, D) mean of projected findings tokens
    text_logits: torch.Tensor | None = None  # (B, 14)
    sentence_feats: torch.Tensor | None = None  # (B, S, D) projected [CLS] of each transcript sentence
    report_loss: torch.Tensor | None = None  # () teacher-forced decoder cross-entropy


def format_context(context: str) -> str:
    """Context text with its markers; plain text is taken as the indication."""
    context = context.strip()
    if not any(context.startswith(m) for m in MARKER_TOKENS):
        context = f"[INDICATION] {context}"
    return context


class CogazeModel(nn.Module):
    """The CoGaze vision-language model; ``criterion`` holds the losses and their learnable temperatures."""

    def __init__(self, config: CogazeConfig, architecture: dict | None = None) -> None:
        """``architecture`` (from :meth:`architecture`, kept in checkpoints) rebuilds the backbones and the
        tokenizer without reading any pretrained files; the checkpoint's weights then fill them."""
        super().__init__()
        self.config = config.validate()
        d, p = config.dim, config.perceiver
        arch = architecture or {}
        self.tokenizer = build_tokenizer(config, arch.get("tokenizer"))
        self.vision = VisionEncoder(config, arch.get("vision_backbone"))
        self.text = TextEncoder(config, self.tokenizer, arch.get("text"))
        self.perceiver = Perceiver(config)  # one set of weights, used for context and for image
        self.latents = nn.Parameter(torch.randn(p.num_latents, d) * 0.02)  # (L, D) shared latents
        self.context_type = nn.Parameter(torch.zeros(d))
        self.image_type = nn.Parameter(torch.zeros(d))
        self.image_head = nn.Linear(d, NUM_OBSERVATIONS)
        self.text_head = nn.Linear(d, NUM_OBSERVATIONS)
        self.decoder = ReportDecoder(config, self.tokenizer) if config.decoder.enabled else None
        self.criterion = CogazeLoss(config.loss)

    @property
    def device(self) -> torch.device:
        return self.latents.device

    def architecture(self) -> dict:
        """What rebuilds this network without pretrained weight files: backbone configs and the tokenizer."""
        from cogaze.weights import tokenizer_record

        head = getattr(self.text, "cls_projection", None)
        return {
            "vision_backbone": self.vision.backbone.config.to_dict(),
            "text": {
                "backbone": self.text.backbone.config.to_dict(),
                "cls_projection_size": head.dense_to_output.out_features if head is not None else None,
            },
            "tokenizer": tokenizer_record(self.tokenizer),
        }

    # ---- image side -------------------------------------------------------------------------------------
    def encode_image(
        self,
        images: torch.Tensor | None,
        view_ids: torch.Tensor,
        contexts: list[str],
        features: torch.Tensor | None = None,
        return_attention: bool = False,
    ) -> ImageEncoding:
        """Images (B, 1, S, S) or cached ``features``, views (B,), contexts (B strings; "" = none)."""
        tokens = self.vision(images, view_ids, features)  # (B, 1 + N, D)
        b, device = tokens.shape[0], tokens.device
        use_ctx = self.config.loss.use_context
        has_context = torch.tensor([use_ctx and bool(c.strip()) for c in contexts], device=device)
        init = (self.latents + self.image_type).expand(b, -1, -1)  # (B, L, D)
        context_latents = torch.zeros_like(init)
        if bool(has_context.any()):
            idx = has_context.nonzero().squeeze(1)
            ctx_tok, ctx_mask = self.text([format_context(contexts[i]) for i in idx.tolist()], device)
            ctx_init = (self.latents + self.context_type).expand(len(idx), -1, -1)
            ctx_lat, _ = self.perceiver(ctx_tok, ctx_init, ctx_mask)  # (Bc, L, D)
            context_latents = context_latents.index_copy(0, idx, ctx_lat.to(context_latents.dtype))
            init = torch.where(has_context[:, None, None], context_latents, init)
        visual, weights = self.perceiver(tokens, init, None, return_weights=return_attention)  # (B, L, D)
        attention = None
        if weights is not None:
            attention = weights[..., 1:].mean(dim=(1, 2))  # (B, N): over heads and latents, CLS dropped
            attention = attention / attention.sum(-1, keepdim=True)
        image_embeds = visual.mean(1)
        return ImageEncoding(
            patch_feats=tokens[:, 1:],
            visual_latents=visual,
            context_latents=context_latents,
            has_context=has_context,
            image_embeds=image_embeds,
            image_logits=self.image_head(image_embeds),
            attention=attention,
        )

    def decoder_memory(self, enc: ImageEncoding) -> tuple[torch.Tensor, torch.Tensor]:
        """[visual latents; context latents] (B, 2L, D) and mask (B, 2L); context half off without context."""
        memory = torch.cat([enc.visual_latents, enc.context_latents], dim=1)
        b, n_lat = enc.visual_latents.shape[:2]
        mask = torch.ones(b, 2 * n_lat, dtype=torch.bool, device=memory.device)
        mask[:, n_lat:] = enc.has_context[:, None]
        return memory, mask

    # ---- text side --------------------------------------------------------------------------------------
    def encode_text(
        self, texts: list[str], study_ids: list[str] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Findings texts -> (embeds (B, D), logits (B, 14)); empty findings raise :class:`DataError`."""
        for i, t in enumerate(texts):
            if not t or not t.strip():
                sid = study_ids[i] if study_ids else i
                raise DataError(f"findings: empty findings text for study {sid!r}")
        tok, mask = self.text([f"[FINDINGS] {t.strip()}" for t in texts], self.device)
        embeds = masked_mean(tok, mask)  # (B, D)
        return embeds, self.text_head(embeds)

    def encode_sentences(self, sentences: list[list[str]], max_sentences: int) -> torch.Tensor:
        """Per-study transcript sentences -> projected [CLS] features (B, S, D), zeros for padding."""
        flat = [f"[TRANSCRIPT] {s}" for sents in sentences for s in sents]
        out = torch.zeros(len(sentences), max_sentences, self.config.dim, device=self.device)
        if not flat:
            return out
        tok, _ = self.text(flat, self.device)
        cls = tok[:, 0]  # (sum S_b, D)
        rows = torch.tensor([b for b, sents in enumerate(sentences) for _ in sents], device=self.device)
        cols = torch.tensor([j for sents in sentences for j in range(len(sents))], device=self.device)
        return out.index_put((rows, cols), cls.to(out.dtype))

    # ---- training forward -------------------------------------------------------------------------------
    def forward(self, batch: Batch, with_report: bool = True) -> CogazeOutput:
        """Full forward for training; ``batch`` must be on the model's device."""
        n = self.config.vision.grid**2
        if batch.heatmaps.shape[-1] != n:
            raise DataError(
                f"heatmaps: expected {n} patches per sentence (grid {self.config.vision.grid}^2), "
                f"got batch heatmaps of shape {tuple(batch.heatmaps.shape)}"
            )
        enc = self.encode_image(batch.images, batch.view_ids, batch.contexts, batch.features)
        text_embeds, text_logits = self.encode_text(batch.findings, batch.study_ids)
        sentence_feats = None
        if self.config.loss.use_gaze and bool(batch.has_gaze.any()):
            sentence_feats = self.encode_sentences(batch.sentences, batch.heatmaps.shape[1])
        report_loss = None
        if with_report and self.decoder is not None and self.config.loss.report_weight > 0:
            memory, mask = self.decoder_memory(enc)
            report_loss = self.decoder(memory, batch.findings, memory_mask=mask)
        return CogazeOutput(
            **enc.__dict__,
            text_embeds=text_embeds,
            text_logits=text_logits,
            sentence_feats=sentence_feats,
            report_loss=report_loss,
        )

    def compute_loss(self, batch: Batch, out: CogazeOutput) -> dict[str, torch.Tensor]:
        """Named loss parts and ``loss`` for a forward output."""
        return self.criterion(out, batch.study_ids, batch.targets, batch.heatmaps, batch.sentence_mask)

    @torch.no_grad()
    def generate(self, enc: ImageEncoding, beam_size: int | None = None) -> list[str]:
        """Reports for an image encoding by beam search ("" when the decoder is disabled)."""
        if self.decoder is None:
            return [""] * enc.visual_latents.shape[0]
        memory, mask = self.decoder_memory(enc)
        return [
            self.decoder.generate(memory[b : b + 1, mask[b]], beam_size)[0] for b in range(memory.shape[0])
        ]

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Parameter count."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
