"""The after-action animation: one map frame per step, written as MP4 (ffmpeg) or GIF.

Frames are drawn by the live page's frame renderer (:class:`~encircle_sim.viz.mapframe.MapFrame`:
static map drawn once, only the moving layer drawn per frame, a few milliseconds each) from a
run's recording, with a caption band above the map: the day, the date, the phase and the counts,
then this step's events in words. The same frames come from a run that has just finished or
from a run folder (``replay.npz``).

MP4 (H.264) goes through ffmpeg, streamed frame by frame, when one is available: the
``imageio-ffmpeg`` package (a dependency; it carries its own ffmpeg binary, or uses the one named
by ``IMAGEIO_FFMPEG_EXE``). Without it the animation is a GIF (Pillow), with one palette for
all frames.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from encircle_sim import narrative
from encircle_sim.replay import RunRecord

FPS = 8
WIDTH = 1000  # pixels; the height follows the map's aspect
FORMATS = ("mp4", "gif")


def ffmpeg_exe() -> str | None:
    """The ffmpeg imageio-ffmpeg finds (its own binary, ``IMAGEIO_FFMPEG_EXE``, or one on the
    PATH), or None. ``ENCIRCLE_SIM_FFMPEG=none`` pretends there is none (the GIF fallback)."""
    if os.environ.get("ENCIRCLE_SIM_FFMPEG", "").lower() == "none":
        return None
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None


def default_format() -> str:
    return "mp4" if ffmpeg_exe() else "gif"


def caption_lines(run: RunRecord, step: int) -> tuple[str, str, str]:
    """The caption of one frame: the day, date and phase; the counts so far; this step's
    events in words."""
    r = run.row(step)
    start = getattr(run.spec.time, "start_date", None)
    when = ""
    if start is not None:
        date = dt.datetime.combine(start, dt.time()) + dt.timedelta(days=float(r["day"]))
        when = f" ({date:%d %b %Y})"
    head = f"Day {float(r['day']):g} of {run.max_day:g}{when}   {r['phase_name']}"
    counts = []
    if run.spec.theatres.iraq:
        counts.append(f"{r['iraq_cells_active']} of {run.iraq_cells_initial} cells active")
        counts.append(f"{int(r['iraq_killed'])} killed, {int(r['iraq_captured'])} captured, "
                      f"{int(r['escaped_cordon']) + int(r['escaped_border'])} escaped")
    if run.spec.theatres.syria:
        counts.append(f"{r['attacks_syria_total']} attacks in Syria")
    counts.append(f"casualties {r['sf_casualties_total']} security forces, "
                  f"{r['civilian_casualties_total']} civilians")
    return (f"{run.name}: {head}", "So far: " + "; ".join(counts),
            "This step: " + narrative.caption(run.rows_at(step)))


def frames(run: RunRecord, width: int = WIDTH) -> Iterator[np.ndarray]:
    """The animation's frames, (h, w, 4) uint8 RGBA, one per recorded step.

    Each frame is the renderer's own canvas buffer, valid until the next one is drawn (no copy).
    """
    from encircle_sim.viz.mapframe import Layers, MapFrame, default_zoom

    frame = MapFrame(run, zoom=default_zoom(run), size_px=(width, None), caption=True)
    for step in run.recording.steps:
        yield frame._draw(run.picture(int(step)), Layers(), caption=caption_lines(run, int(step)))


def write_animation(run: RunRecord, path: str | Path, fps: int = FPS, width: int = WIDTH,
                    fmt: str | None = None) -> Path:
    """Write the animation of ``run`` to ``path`` (its suffix is set by the format: MP4 when
    ffmpeg is available, else GIF; ``fmt`` forces one). Atomic: a temporary file is renamed."""
    fmt = fmt or default_format()
    if fmt not in FORMATS:
        raise ValueError(f"animation format {fmt!r}: allowed {', '.join(FORMATS)}")
    if fmt == "mp4" and ffmpeg_exe() is None:
        raise RuntimeError("MP4 needs ffmpeg: install imageio-ffmpeg (pip) or ffmpeg, or ask "
                           "for a GIF")
    path = Path(path).with_suffix(f".{fmt}")
    tmp = path.with_name(f".{path.stem}.tmp.{fmt}")
    try:
        if fmt == "mp4":
            _write_mp4(tmp, frames(run, width), fps)
        else:
            _write_gif(tmp, frames(run, width), fps)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _write_mp4(path: Path, images: Iterator[np.ndarray], fps: int) -> None:
    """H.264 in an MP4, frames piped to ffmpeg one by one (imageio-ffmpeg's writer)."""
    import imageio_ffmpeg

    first = next(images)
    h, w, _ = first.shape
    # "veryfast": about half the encoding time of the default preset, for a file 20% larger;
    # ffmpeg encodes in its own process while the next frames are drawn
    writer = imageio_ffmpeg.write_frames(
        str(path), (w, h), fps=fps, codec="libx264", pix_fmt_in="rgba", quality=7,
        macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-preset", "veryfast", "-movflags", "+faststart"])
    writer.send(None)  # start ffmpeg
    try:
        writer.send(first)
        for image in images:
            writer.send(image)
    finally:
        writer.close()


def _write_gif(path: Path, images: Iterator[np.ndarray], fps: int) -> None:
    """A looping GIF; every frame uses one palette made from the first frame and the colours of
    every marker, so frames are quantised quickly and the colours do not flicker."""
    from PIL import Image

    from encircle_sim.viz.mapframe import marker_colours

    first = next(images)[:, :, :3]
    swatch = np.repeat(np.asarray(marker_colours(), np.uint8)[None, :, :], 8, axis=0)
    swatch = np.repeat(swatch, 8, axis=1)
    sample = np.zeros((first.shape[0] + 8, max(first.shape[1], swatch.shape[1]), 3), np.uint8)
    sample[: first.shape[0], : first.shape[1]] = first
    sample[first.shape[0]:, : swatch.shape[1]] = swatch
    palette = Image.fromarray(sample).quantize(colors=256, method=Image.Quantize.MEDIANCUT)

    def quantised(image: np.ndarray):
        return Image.fromarray(image[:, :, :3]).quantize(palette=palette,
                                                          dither=Image.Dither.NONE)

    out = [quantised(first)] + [quantised(image) for image in images]
    out[0].save(path, format="GIF", save_all=True, append_images=out[1:],
                duration=int(round(1000 / fps)), loop=0, optimize=False)


def save_animation(source, path: str | Path | None = None, *, fmt: str | None = None,
                   fps: int = FPS, width: int = WIDTH) -> Path:
    """The animation of a run, from a :class:`~encircle_sim.runner.RunResult` of a run with a
    recording (``run(..., out=...)`` or ``animate=True``), a run folder, or a
    :class:`~encircle_sim.replay.RunRecord`. ``path`` defaults to ``campaign.mp4`` (or
    ``.gif``) in the run folder."""
    from encircle_sim.replay import open_run_folder

    if isinstance(source, RunRecord):
        run = source
    elif isinstance(source, (str, Path)):
        run = open_run_folder(source)
    elif getattr(source, "recording", None) is not None:
        run = RunRecord.of_model(source.model, source.recording)
        run.folder = source.folder
    else:
        raise ValueError("save_animation: expected a run folder, a RunRecord, or the result of "
                         "run(..., out=...) / run(..., animate=True) (which record every step)")
    if path is None:
        if run.folder is None:
            raise ValueError("save_animation: give a path (this run has no run folder)")
        path = run.folder / "campaign"
    return write_animation(run, path, fps=fps, width=width, fmt=fmt)
