"""What one browser session keeps between clicks, and its own folder for files.

A `Session` lives in a `gr.State`, so every browser tab has its own and nothing per user is global.
Gradio drops it when the tab closes or after `SESSION_TTL_S` without use and calls `close_session`,
which deletes the session's folder.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from app.settings import sessions_dir
from core.pipeline.analyse import ImageResult, PipelineOptions

STALE_FILE_S = 600
LIVE_FPS_WINDOW = 10  # frames averaged for the live frames-per-second figure


@dataclass(frozen=True)
class ViewOptions:
    """How the results are drawn (changing these re-renders, it does not re-run the methods)."""

    opacity: float = 0.8
    show_keypoints: bool = False
    side_view: bool = True


@dataclass
class Analysis:
    """One photo analysed with one set of pipeline options, and what was drawn from it."""

    key: str  # image content hash + pipeline options + weights present: a follow-up with the same key reuses it
    result: ImageResult
    options: PipelineOptions
    keys: set[str] = field(default_factory=set)  # every key meaning this analysis (all people ticked = None)
    view_options: ViewOptions | None = None
    views: object | None = None  # core.outputs.pictures.Views of `view_options`


@dataclass
class Session:
    folder: Path = field(default_factory=lambda: _new_folder())
    analysis: Analysis | None = None  # the newest analysis, reused by follow-up clicks
    shown: Analysis | None = None  # the analysis whose results the page shows (None: nothing, or a refused photo)
    pending_corner: tuple[float, float] | None = None  # first click of a box drawn on the people picture
    frame_times: list[float] = field(default_factory=list)  # live mode: when recent frames finished
    live_person: object | None = None  # live mode: core.pipeline.detect.Person of the last frame, followed in the next
    live_drawing: object | None = None  # live mode: Future of the last frame's (overlay, status), returned next call
    benchmark: object | None = None  # core.evaluation.benchmark.BenchmarkSet the Benchmark tab has open
    benchmark_shown: str | None = None  # Benchmark tab: 'sample' (overlays and tables) or 'all' (means) on the page
    benchmark_methods: int = 0  # Benchmark tab: methods scored on the sample on the page (a column each)
    video_people: dict[int, list[Path]] = field(default_factory=dict)  # Video tab: identity → its BVH and npz
    video_shown: bool = False  # Video tab: a result is on the page

    def new_file(self, name: str) -> Path:
        """A fresh path in the session's folder (unique, so the browser never shows a stale file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{uuid.uuid4().hex[:8]}_{name}"

    def replace_analysis(self, analysis: Analysis) -> None:
        """Keep only the newest analysis; files older than STALE_FILE_S go (younger ones may still be
        on their way to the browser from another click of the same tab)."""
        self.analysis = analysis
        now = time.time()
        for old in self.folder.glob("*"):
            if now - old.stat().st_mtime > STALE_FILE_S:
                old.unlink(missing_ok=True)

    def frame_done(self) -> float:
        """Record a live frame; returns frames per second over the last LIVE_FPS_WINDOW frames."""
        self.frame_times = (self.frame_times + [time.perf_counter()])[-LIVE_FPS_WINDOW:]
        if len(self.frame_times) < 2:
            return 0.0
        return (len(self.frame_times) - 1) / max(self.frame_times[-1] - self.frame_times[0], 1e-6)


def _new_folder() -> Path:
    folder = sessions_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def session_of(session: Session | None) -> Session:
    """The tab's session, made on its first request."""
    return session if isinstance(session, Session) else Session()


def close_session(session: Session | None) -> None:
    """gr.State's delete_callback: remove the session's files."""
    if isinstance(session, Session):
        shutil.rmtree(session.folder, ignore_errors=True)
