"""The Video tab: one method on an uploaded clip (core.pipeline.tracking follows, core.outputs.motion writes).

The first person found is followed and the pose smoothed, or everyone is followed with an identity each
(one colour and number per person on the overlay); the user then picks which people to export. The
results go into the browser tab's own folder (Session): the overlay video to watch, and the BVH motion and
per-frame parameters to download. Long clips are cut at the chosen number of frames, since every frame
costs a full analysis on the server.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from pathlib import Path

import gradio as gr
from PIL import Image, UnidentifiedImageError

from app import validate
from app.report import shown_if
from app.state import session_of
from core.checkpoints import checkpoint_for
from core.methods import NETWORK_METHODS, method
from core.outputs.motion import process_people_video, process_video
from core.pipeline.tracking import TrackedPerson, VideoError

log = logging.getLogger("app.tabs.video")
DEFAULT_MAX_FRAMES = 150
SMOOTH_RANGE = (1, 15)
FRAMES_RANGE = (1, 600)
ONE, EVERYONE = "The first person found", "Everyone (one identity each)"
PEOPLE_CHOICES = [ONE, EVERYONE]


LAYOUT_OUTPUTS = ("video_results", "video_export_column")


def result_layout(session) -> dict:
    """The result area once a clip was processed; the export controls when everyone was followed."""
    shown = bool(getattr(session, "video_shown", False))
    return {
        "video_results": gr.update(visible=shown_if(shown)),
        "video_export_column": gr.update(visible=shown_if(shown and bool(session.video_people))),
    }


def run_video(clip, method, smooth, max_frames, people, session, progress=gr.Progress(track_tqdm=True)):
    """→ the overlay video's path, the files to download, a status line, the people picker and the session."""
    session = session_of(session)
    session.video_people, session.video_shown = {}, False
    method = validate.one_method(method)
    smooth = int(validate.number(smooth, "smooth", *SMOOTH_RANGE))
    max_frames = int(validate.number(max_frames, "max_frames", *FRAMES_RANGE))
    people = validate.choice(people, "people", PEOPLE_CHOICES)
    path = validate.upload(clip, "clip")
    if not path:
        return _outputs(None, None, "**Upload a video first.**", session)
    still = still_image_format(path)
    if still:
        message = (
            f"This file is a still image ({still}), not a video: use the Compare tab (or /compare) for photos, or "
            "upload a clip (MP4, WebM, AVI, MOV)."
        )
        return _outputs(None, None, f"**{message}**", session)
    session.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=session.folder) as scratch:
        try:
            if people == EVERYONE:
                written, tracked = process_people_video(
                    path, method, Path(scratch), smooth=smooth, max_frames=max_frames
                )
            else:
                written, motion = process_video(path, method, Path(scratch), smooth=smooth, max_frames=max_frames)
        except VideoError as problem:
            return _outputs(None, None, f"**{problem}**", session)
        kept = {file.name: session.new_file(file.name) for file in written}
        for file in written:
            shutil.move(str(file), kept[file.name])
    if people != EVERYONE:
        found = int(motion.found.sum())
        status = (
            f"{label_now(method)}: the person was reconstructed in {found} frames, smoothed over {smooth} "
            f"frame{'s' if smooth > 1 else ''}. Download the BVH for Blender or other animation tools."
        )
        log.info("video: %s, %d frames with the person", method, found)
        return _outputs(str(kept["overlay.webm"]), [str(kept["motion.bvh"]), str(kept["motion.npz"])], status, session)
    session.video_people = {
        p.identity: [kept[f"person_{p.identity}.bvh"], kept[f"person_{p.identity}.npz"]] for p in tracked
    }
    log.info("video: %s, %d people", method, len(tracked))
    picker = gr.update(
        choices=[(person_label(p), p.identity) for p in tracked], value=[p.identity for p in tracked], visible=True
    )
    return _outputs(
        str(kept["overlay.webm"]), [str(kept["people.json"])], people_summary(method, smooth, tracked), session, picker
    )


def still_image_format(path: str) -> str | None:
    """The format name when the file is a single still image (OpenCV would read it as a one-frame clip), else None."""
    try:
        with Image.open(path) as picture:
            return None if getattr(picture, "n_frames", 1) > 1 else picture.format
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def label_now(method_id: str) -> str:
    """The method's name as the video was made: 'HMR (custom)' when it ran with your own checkpoint."""
    if method_id in NETWORK_METHODS:
        return checkpoint_for(method_id).label
    return method(method_id).short_label


def _outputs(overlay, files, status: str, session, picker=None) -> dict:
    session.video_shown = overlay is not None
    picker = picker if picker is not None else gr.update(choices=[], value=[], visible=False)
    return {
        "video_output": overlay,
        "video_files": files,
        "video_status": status,
        "video_pick": picker,
        "session": session,
    }


def person_label(person: TrackedPerson) -> str:
    """'Person 2 (frames 40–179)': identities are numbered from 1, as people are everywhere in the app."""
    first, last = person.frame_range
    return f"Person {person.identity} (frames {first}–{last})"


def people_summary(method: str, smooth: int, people: list[TrackedPerson]) -> str:
    """Markdown: who was followed, over which frames, and their joint jitter before and after smoothing."""
    lines = [
        f"{label_now(method)}: {len(people)} {'person' if len(people) == 1 else 'people'} followed, each "
        f"smoothed over {smooth} frame{'s' if smooth > 1 else ''} on their own. Pick who to export below.",
        "",
        "| person | frames | frames seen | lost and picked up again | joint jitter, raw → smoothed (mm/frame²) |",
        "|---|---|---:|---:|---|",
    ]
    for person in people:
        first, last = person.frame_range
        lines.append(
            f"| {person.identity} | {first}–{last} | {person.frames_seen} | {person.gaps} | "
            f"{_mm(person.jitter_raw_mm)} → {_mm(person.jitter_smoothed_mm)} |"
        )
    lines += [
        "",
        "Jitter is the mean acceleration of the 24 joints from frame to frame. Identities are kept through "
        "short occlusions: a person lost behind another is picked up again near where they were heading (check "
        "those moments on the overlay). Identity switches can only be counted where the truth is known: "
        "`python -m bench --only tracking` counts them on a drawn clip of people crossing.",
    ]
    return "\n".join(lines)


def _mm(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def export_people(chosen, session):
    """→ the chosen people's BVH and npz paths, a status line and the session."""
    session = session_of(session)
    if not session.video_people:
        return _exported(None, "**Run on a video with “Everyone” first.**", session)
    chosen = chosen or []
    if not isinstance(chosen, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool) for i in chosen):
        raise validate.Refused("`chosen` must be a list of person numbers, e.g. [1, 2].")
    identities = [i for i in chosen if i in session.video_people]
    if not identities:
        return _exported(None, "**Tick at least one person to export.**", session)
    files = [str(path) for identity in sorted(identities) for path in session.video_people[identity]]
    people = ", ".join(str(i) for i in sorted(identities))
    note = f"Exported person{'s' if len(identities) > 1 else ''} {people}: one BVH and one npz each."
    return _exported(files, note, session)


def _exported(files, note: str, session) -> dict:
    return {"video_export_files": files, "video_export_status": note, "session": session}
