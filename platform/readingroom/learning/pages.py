"""A loop's learning curve as a PNG (the React page at /learning/loops/<id>/ links it for download)."""

from __future__ import annotations

import io

from django.http import HttpRequest, HttpResponse

from readingroom.core.api import get_or_not_found
from readingroom.core.exceptions import Forbidden, ReadingRoomError
from readingroom.learning.models import LearningLoop
from readingroom.learning.selectors import loop_curve
from readingroom.learning.views import READERS


def _loop(request: HttpRequest, loop_id: int) -> LearningLoop:
    user = request.user
    if not user.is_authenticated or not any(user.has_role(r) for r in READERS):
        raise Forbidden(f"this needs the role {' or '.join(READERS)}")
    return get_or_not_found(LearningLoop, loop_id, "learning loop")


def _error(exc: ReadingRoomError) -> HttpResponse:
    return HttpResponse(str(exc), status=exc.status_code, content_type="text/plain; charset=utf-8")


def curve_png_bytes(curve: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    points = curve["points"]
    ax.plot([p["reads"] for p in points], [p["heldout_value"] for p in points], marker="o")
    for p in points:
        if p["promoted"]:
            ax.annotate("promoted", (p["reads"], p["heldout_value"]), fontsize=7, textcoords="offset points",
                        xytext=(0, 6), ha="center")  # fmt: skip
    metric = points[0]["metric"] if points else "metric"
    ax.set_xlabel("reads")
    ax.set_ylabel(f"held-out {metric}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def curve_png(request: HttpRequest, loop_id: int) -> HttpResponse:
    try:
        loop = _loop(request, loop_id)
    except ReadingRoomError as exc:
        return _error(exc)
    response = HttpResponse(curve_png_bytes(loop_curve(loop=loop)), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="learning-loop-{loop.pk}-curve.png"'
    return response
