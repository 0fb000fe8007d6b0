"""Render a recap with moviepy: intro card, each clip's best seconds upright and fitted to the
frame with the participant's lower third, short fades, an outro; then loudness normalised
(about -14 LUFS, true peak -1 dBTP) and, optionally, music ducked under speech.

moviepy is imported here only, when a render runs. Known traps, handled:
- moviepy 2.2.1 with imageio-ffmpeg 0.8's ffmpeg 9 misses the phone's rotation ("Display
  Matrix") and squashes the picture: ffmpeg itself turns the frames upright, so each clip is
  opened with ``target_resolution`` set to the upright size our own probe measured.
- MP3 audio in .mp4 unless told: ``audio_codec="aac"``.
- Every VideoFileClip holds ffmpeg child processes until closed: all are closed in ``finally``.
- A 60 fps input makes the render 60 fps unless ``fps`` is given: 30 is always given.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .cards import BRAND, card, lower_third
from .plan import Plan

FADE = 0.25


class RenderCancelled(Exception):
    pass


@dataclass
class Look:
    title: str
    message: str = ""
    hashtags: str = ""
    outro_line: str = ""
    logo: Path | None = None


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _fit(w: int, h: int, box: tuple[int, int]) -> tuple[int, int]:
    scale = min(box[0] / w, box[1] / h)
    return max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)


def _logger(total_frames: int, progress: Callable[[float], None] | None, cancel: threading.Event | None):
    from proglog import ProgressBarLogger

    class Logger(ProgressBarLogger):
        def bars_callback(self, bar, attr, value, old_value=None):
            if cancel is not None and cancel.is_set():
                raise RenderCancelled()
            if bar == "frame_index" and attr == "index" and progress and total_frames:
                progress(min(1.0, value / total_frames))

    return Logger()


class _Timeline:
    """Frames for every instant of the recap, composed with numpy in place.

    moviepy's CompositeVideoClip alpha-composites whole frames through Pillow for every layer;
    here the clip is copied onto a prepared background, the lower third is blended over its own
    small band only, and fades multiply only the frames inside a fade: the same picture, several
    times faster."""

    def __init__(self, plan: Plan, look: Look, sources: list, np) -> None:
        self.np = np
        self.size = plan.size
        w, h = plan.size
        self.background = np.empty((h, w, 3), dtype=np.uint8)
        self.background[:] = BRAND
        self.parts: list[tuple[float, float, object]] = []  # (start, duration, renderer)
        t = 0.0
        intro = np.array(card(plan.size, look.title, look.message).convert("RGB"))
        self.parts.append((t, plan.intro, ("card", intro)))
        t += plan.intro
        for seg, src in zip(plan.segments, sources):
            fit = _fit(seg.width, seg.height, plan.size)
            band, (bx, by) = lower_third(plan.size, seg.name, seg.school)
            rgba = np.array(band)
            alpha = rgba[:, :, 3:4].astype(np.uint16)
            pre = rgba[:, :, :3].astype(np.uint16) * alpha
            self.parts.append((t, seg.duration, ("clip", src, seg.start, fit,
                                                 ((w - fit[0]) // 2, (h - fit[1]) // 2), (bx, by, pre, 255 - alpha))))
            t += seg.duration
        outro = np.array(card(plan.size, look.hashtags or look.title, "" if look.hashtags else look.message,
                              look.outro_line).convert("RGB"))
        self.parts.append((t, plan.outro, ("card", outro)))
        self.duration = t + plan.outro
        self._fades = {0: (False, True), len(self.parts) - 1: (True, False)}

    def frame(self, t: float):
        np = self.np
        index = len(self.parts) - 1
        for i, (start, duration, _) in enumerate(self.parts):
            if t < start + duration:
                index = i
                break
        start, duration, what = self.parts[index]
        local = t - start
        if what[0] == "card":
            frame = what[1]
        else:
            _, src, offset, fit, (x, y), (bx, by, pre, inv) = what
            picture = src.get_frame(min(offset + local, src.duration - 1 / 60))
            if fit == self.size:
                frame = picture.copy()
            else:
                frame = self.background.copy()
                frame[y:y + picture.shape[0], x:x + picture.shape[1]] = picture
            region = frame[by:by + pre.shape[0], bx:bx + pre.shape[1]]
            region[:] = ((region.astype(np.uint16) * inv + pre) // 255).astype(np.uint8)
        fade_in, fade_out = self._fades.get(index, (True, True))
        k = 1.0
        if fade_in and local < FADE:
            k = local / FADE
        if fade_out and local > duration - FADE:
            k = min(k, max(0.0, (duration - local) / FADE))
        if k < 1.0:
            frame = (frame * k).astype(np.uint8)
        return frame


def render(plan: Plan, out: Path, look: Look, *, preset: str = "veryfast", crf: int = 23, music: Path | None = None,
           progress: Callable[[float], None] | None = None, cancel: threading.Event | None = None,
           threads: int | None = None) -> Path:
    """Render ``plan`` to ``out`` (MP4: H.264 High yuv420p, AAC 48 kHz stereo, +faststart)."""
    import numpy as np
    from moviepy import AudioClip, VideoClip, VideoFileClip, concatenate_audioclips

    out = Path(out)
    work = Path(tempfile.mkdtemp(prefix="loa-recap-"))
    opened: list = []
    try:
        def silence(duration: float):
            return AudioClip(lambda t: np.zeros((len(t), 2)) if hasattr(t, "__len__") else np.zeros(2),
                             duration=duration, fps=48000)

        sources, sounds = [], [silence(plan.intro)]
        for seg in plan.segments:
            src = VideoFileClip(str(seg.path), target_resolution=_fit(seg.width, seg.height, plan.size),
                                audio=seg.has_audio, audio_fps=48000)
            opened.append(src)
            sources.append(src)
            end = min(seg.start + seg.duration, src.duration)
            if seg.has_audio and src.audio is not None:
                sound = src.audio.subclipped(seg.start, end)
                if sound.duration < seg.duration:
                    sound = concatenate_audioclips([sound, silence(seg.duration - sound.duration)])
            else:
                sound = silence(seg.duration)
            sounds.append(sound.with_duration(seg.duration))
        sounds.append(silence(plan.outro))
        timeline = _Timeline(plan, look, sources, np)
        final = VideoClip(timeline.frame, duration=timeline.duration).with_audio(concatenate_audioclips(sounds))
        if look.logo and Path(look.logo).is_file():
            from moviepy import CompositeVideoClip, ImageClip

            logo = ImageClip(str(look.logo)).resized(width=int(plan.size[0] * 0.14)).with_duration(final.duration)
            final = CompositeVideoClip([final, logo.with_position((int(plan.size[0] * 0.06), int(plan.size[1] * 0.06)))],
                                       size=plan.size).with_audio(final.audio)
        raw = work / "raw.mp4"
        final.write_videofile(
            str(raw), fps=plan.fps, codec="libx264", audio_codec="aac", audio_fps=48000, audio_bitrate="160k",
            preset=preset, threads=threads or os.cpu_count(), temp_audiofile=str(work / "audio.m4a"),
            ffmpeg_params=["-crf", str(crf), "-pix_fmt", "yuv420p", "-profile:v", "high"],
            logger=_logger(int(final.duration * plan.fps), progress, cancel))
        final.close()
        if cancel is not None and cancel.is_set():
            raise RenderCancelled()
        finish_audio(raw, out, music=music)
        return out
    finally:
        for c in opened:
            c.close()
        shutil.rmtree(work, ignore_errors=True)


def finish_audio(raw: Path, out: Path, music: Path | None = None) -> Path:
    """Copy the picture, normalise the sound to about -14 LUFS (true peak -1 dBTP), duck music
    under speech when given, and move the index to the front (+faststart)."""
    loud = "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,aformat=channel_layouts=stereo"
    cmd = [ffmpeg(), "-v", "error", "-y", "-i", str(raw)]
    if music:
        cmd += ["-stream_loop", "-1", "-i", str(music), "-filter_complex",
                "[1:a]aresample=48000,aformat=channel_layouts=stereo,volume=0.35[m];"
                "[m][0:a]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=400[ducked];"
                f"[0:a][ducked]amix=inputs=2:duration=first:normalize=0,{loud}[a]",
                "-map", "0:v", "-map", "[a]"]
    else:
        cmd += ["-af", loud, "-map", "0:v", "-map", "0:a"]
    tmp = out.with_name(out.name + ".part")
    cmd += ["-c:v", "copy", "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-movflags", "+faststart",
            "-f", "mp4", str(tmp)]
    subprocess.run(cmd, check=True)
    os.replace(tmp, out)
    return out


def size_capped(src: Path, out: Path, max_bytes: int, duration: float) -> Path:
    """A copy that fits a platform's size limit (Zalo: 50 MB), re-encoded with a bitrate cap."""
    if src.stat().st_size <= max_bytes:
        shutil.copyfile(src, out)
        return out
    total_kbps = int(max_bytes * 8 / 1000 / duration * 0.92)
    video_kbps = max(300, total_kbps - 128)
    tmp = out.with_name(out.name + ".part")
    subprocess.run([ffmpeg(), "-v", "error", "-y", "-i", str(src), "-c:v", "libx264", "-preset", "veryfast",
                    "-b:v", f"{video_kbps}k", "-maxrate", f"{video_kbps}k", "-bufsize", f"{video_kbps * 2}k",
                    "-pix_fmt", "yuv420p", "-profile:v", "high", "-c:a", "aac", "-b:a", "128k", "-ar", "48000",
                    "-movflags", "+faststart", "-f", "mp4", str(tmp)], check=True)
    os.replace(tmp, out)
    return out
