"""Render a recap: intro card, each clip's best seconds upright and fitted to the frame with the
participant's lower third, short fades, an outro; the sound loudness normalised (about -14 LUFS,
true peak -1 dBTP) and, optionally, music ducked under speech.

Who does what, and why it is fast:
- moviepy holds the recap's timeline (a ``VideoClip`` iterated frame by frame with its progress
  logger) and mixes the sound (``AudioFileClip`` cuts, silence where a clip has none).
- Each clip's seconds come from their own ffmpeg, started one clip ahead and read by a thread:
  seeked, turned upright by ffmpeg itself (the display matrix), 30 fps, HDR tone-mapped to SDR,
  scaled to fit on the campaign colour or on a blurred copy of itself, as YUV 4:2:0, the
  encoder's own format.
- numpy lays the lower thirds, the logo and the fades onto those YUV planes, touching only the
  band they cover; the cards are converted once.
- One ffmpeg encodes the frames (H.264 High yuv420p), normalises and mixes the sound (AAC 48 kHz)
  and moves the index to the front (+faststart) in the same pass.
moviepy's own file reader and writer move every frame as RGB (rgb24 out of the decoder, rgb24
into the encoder, which 2.2.1 asks for as yuva420p): two 6 MB pipes and two colour conversions a
frame that a single ffmpeg filter graph never does, plus every frame of a 60 fps clip read and
thrown away. That was twice as slow as the graph; this path is level with it
(``benchmarks/recap.py``: 1.06 with 30 clips).

Known moviepy traps (2.2.1 with imageio-ffmpeg 0.8) and how they are avoided: the missed
rotation and squashed picture (ffmpeg turns the frames, not moviepy); MP3 audio in .mp4 (the
encoder is told AAC); ffmpeg children held by every clip (all closed in ``finally``, decoders
killed on cancel); 60 fps inputs (the decoder outputs 30 fps).
"""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from content_queue.errors import UserError

from .cards import BRAND, card, lower_third
from .plan import Plan
from content_queue.i18n import _

FADE = 0.25
# HDR (PQ or HLG, as phones film it) to SDR BT.709: linear light with SDR white at 100 nits, the
# BT.709 primaries, then mobius, which keeps what SDR can show as it is and folds the highlights
# above it in softly; saturation kept (desat=0).
TONEMAP = ("zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=mobius:desat=0,"
           "zscale=t=bt709:m=bt709:r=tv")
LOUDNESS = "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000,aformat=channel_layouts=stereo"


class RenderCancelled(Exception):
    pass


class ClipUnreadable(Exception):
    def __init__(self, seg, detail: str) -> None:
        self.seg, self.detail = seg, detail
        super().__init__(f"clip {seg.clip_id}: {detail}")


@dataclass
class Look:
    title: str
    message: str = ""
    hashtags: str = ""
    outro_line: str = ""
    logo: Path | None = None
    fill: str = "color"  # around a clip of another shape: "color" (the campaign's) or "blur" (the clip itself)


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


# --- YUV 4:2:0 (BT.601, limited range: what ffmpeg's rgb24 -> yuv420p conversion gives) -----------

def _yuv(rgb, np):
    """Full-resolution Y, U, V (float) of an RGB array."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return y, u, v


def _half(a, np):
    """2x2 block means (the 4:2:0 chroma grid)."""
    return (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) / 4


def i420(rgb, np) -> bytes:
    """An even-sized RGB picture as one yuv420p frame (Y plane, then U, then V)."""
    y, u, v = _yuv(rgb, np)
    planes = [y, _half(u, np), _half(v, np)]
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


class _Overlay:
    """An RGBA picture laid over yuv420p frames at (x, y): premultiplied planes, computed once,
    blended over the band it covers only."""

    def __init__(self, rgba, x: int, y: int, np) -> None:
        x, y = x // 2 * 2, y // 2 * 2
        h, w = rgba.shape[:2]
        rgba = np.pad(rgba, ((0, h % 2), (0, w % 2), (0, 0)))
        alpha = rgba[..., 3].astype(np.float32)
        yy, u, v = _yuv(rgba[..., :3], np)
        a2 = _half(alpha, np)
        self.planes = []  # (plane index, x, y, premultiplied, inverse alpha) in uint16
        for index, (plane, a, scale) in enumerate(((yy, alpha, 1), (_half(u * alpha, np), a2, 2),
                                                   (_half(v * alpha, np), a2, 2))):
            pre = plane * a if index == 0 else plane  # chroma is already weighted by alpha
            self.planes.append((index, x // scale, y // scale, np.rint(pre).astype(np.uint16),
                                np.rint(255 - a).astype(np.uint16)))

    def apply(self, planes, np) -> None:
        for index, x, y, pre, inv in self.planes:
            region = planes[index][y:y + pre.shape[0], x:x + pre.shape[1]]
            rh, rw = region.shape
            region[:] = (region * inv[:rh, :rw] + pre[:rh, :rw]) // 255


def _picture_filter(seg, size: tuple[int, int], fps: int, fill: str) -> str:
    """ffmpeg's filters for one clip: 30 fps, HDR to SDR, fitted whole into the frame on the
    campaign colour, or on a blurred, darkened copy of itself filling the frame (made at an eighth
    of the size, where blurring is cheap)."""
    w, h = size
    fw, fh = _fit(seg.width, seg.height, size)
    x, y = (w - fw) // 2, (h - fh) // 2
    head = f"fps={fps},{TONEMAP + ',' if seg.hdr else ''}"
    fit = f"scale={fw}:{fh}:flags=bicubic,setsar=1"
    if fill == "blur" and (fw, fh) != (w, h):
        sw, sh = max(2, w // 16 * 2), max(2, h // 16 * 2)
        return (f"{head}split=2[back][front];"
                f"[back]scale={sw}:{sh}:force_original_aspect_ratio=increase,crop={sw}:{sh},boxblur=10:2,"
                f"lutyuv=y=val*0.7,scale={w}:{h}:flags=bilinear,setsar=1[filled];"
                f"[front]{fit}[fitted];[filled][fitted]overlay={x}:{y},format=yuv420p")
    return f"{head}{fit},format=yuv420p,pad={w}:{h}:{x}:{y}:color=0x%02x%02x%02x" % BRAND


class _Decoder:
    """One segment's frames from its own ffmpeg, read ahead by a thread into a small queue."""

    def __init__(self, seg, size: tuple[int, int], fps: int, frames: int, work: Path, index: int,
                 fill: str = "color") -> None:
        self.frame_bytes = size[0] * size[1] * 3 // 2
        self.frames = frames
        self.log = work / f"decode-{index}.log"
        cmd = [ffmpeg(), "-v", "error", "-nostdin", "-ss", f"{seg.start:.3f}", "-t", f"{frames / fps + 0.5:.3f}",
               "-i", str(seg.path), "-an", "-sn", "-dn", "-vf", _picture_filter(seg, size, fps, fill),
               "-frames:v", str(frames), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        self.queue: queue.Queue = queue.Queue(maxsize=4)
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.position = -1
        self.last: bytearray | None = None

    def _read(self) -> None:
        try:
            for _frame in range(self.frames):
                buf = bytearray(self.frame_bytes)
                view, got = memoryview(buf), 0
                while got < self.frame_bytes:
                    n = self.proc.stdout.readinto(view[got:])
                    if not n:
                        break
                    got += n
                if got < self.frame_bytes or not self._put(buf):
                    break
        except (OSError, ValueError):
            pass
        finally:
            self._put(None)

    def _put(self, item) -> bool:
        while not self.closed.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def frame(self, index: int) -> tuple[bytearray | None, bool]:
        """Frame ``index`` of the segment (asked in order), and whether it is new: the last one comes
        again when the clip ran short."""
        fresh = False
        while self.position < index:
            item = self.queue.get() if not self.closed.is_set() else None
            if item is None:
                self.closed.set()
                break
            self.last, self.position, fresh = item, self.position + 1, True
        return self.last, fresh

    def error(self) -> str:
        self.close()
        lines = self.log.read_text(errors="replace").strip().splitlines() if self.log.exists() else []
        return lines[-1] if lines else _("ffmpeg gave no picture (exit {code})", code=self.proc.returncode)

    def close(self) -> None:
        self.closed.set()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.thread.join(timeout=5)


class _Timeline:
    """yuv420p frames for every frame number of the recap: the cards, then each segment's frames
    with its lower third, with fades; decoders started one segment ahead."""

    def __init__(self, plan: Plan, look: Look, work: Path, np) -> None:
        self.np = np
        self.plan = plan
        self.work = work
        self.size = w, h = plan.size
        self.fill = look.fill
        fps = plan.fps
        self.logo = None
        if look.logo:  # render() has checked that it is a picture
            from PIL import Image

            img = Image.open(look.logo).convert("RGBA")
            width = int(w * 0.14)
            img = img.resize((width, max(2, round(img.height * width / img.width))), Image.LANCZOS)
            self.logo = _Overlay(np.array(img), int(w * 0.06), int(h * 0.06), np)
        # (first frame, frame count, kind, payload)
        self.parts: list[tuple[int, int, str, object]] = []
        first = 0
        intro = self._card(card(plan.size, look.title, look.message))
        n = round(plan.intro * fps)
        self.parts.append((first, n, "card", intro))
        first += n
        for k, seg in enumerate(plan.segments):
            band, (bx, by) = lower_third(plan.size, seg.name, seg.school)
            n = max(1, round(seg.duration * fps))
            self.parts.append((first, n, "clip", (k, _Overlay(np.array(band), bx, by, np))))
            first += n
        outro = self._card(card(plan.size, look.hashtags or look.title, "" if look.hashtags else look.message,
                                look.outro_line))
        n = round(plan.outro * fps)
        self.parts.append((first, n, "card", outro))
        self.frames = first + n
        self.fade_frames = max(1, round(FADE * fps))
        self._fades = {0: (False, True), len(self.parts) - 1: (True, False)}
        self.decoders: dict[int, _Decoder] = {}
        self._current = 0
        self._luts: dict = {}
        self._held = None

    def _card(self, image) -> bytes:
        np = self.np
        rgb = np.array(image.convert("RGB"))
        frame = np.frombuffer(bytearray(i420(rgb, np)), dtype=np.uint8)
        if self.logo:
            self.logo.apply(self._planes(frame), np)
        return frame.tobytes()

    def _planes(self, frame):
        w, h = self.size
        y_size = w * h
        return [frame[:y_size].reshape(h, w), frame[y_size:y_size * 5 // 4].reshape(h // 2, w // 2),
                frame[y_size * 5 // 4:].reshape(h // 2, w // 2)]

    def _decoder(self, k: int) -> _Decoder:
        for j in (k, k + 1):
            if j < len(self.plan.segments) and j not in self.decoders:
                seg = self.plan.segments[j]
                self.decoders[j] = _Decoder(seg, self.size, self.plan.fps, self.parts[j + 1][1], self.work, j,
                                            self.fill)
        for j in [j for j in self.decoders if j < k]:
            self.decoders.pop(j).close()
        return self.decoders[k]

    def start(self) -> None:
        """Start the first clip's decoder while the intro is being encoded."""
        if self.plan.segments:
            self._decoder(0)

    def frame(self, t: float):
        np = self.np
        number = min(self.frames - 1, int(round(t * self.plan.fps)))
        while self._current < len(self.parts) - 1 and number >= self.parts[self._current][0] + self.parts[self._current][1]:
            self._current += 1
        while self._current > 0 and number < self.parts[self._current][0]:
            self._current -= 1
        first, count, kind, payload = self.parts[self._current]
        local = number - first
        fade_in, fade_out = self._fades.get(self._current, (True, True))
        k = 1.0
        if fade_in and local < self.fade_frames:
            k = local / self.fade_frames
        if fade_out and local >= count - self.fade_frames:
            k = min(k, (count - 1 - local) / self.fade_frames)
        if kind == "card":
            frame = np.frombuffer(payload, dtype=np.uint8)
        else:
            index, band = payload
            decoder = self._decoder(index)
            raw, fresh = decoder.frame(local)
            if raw is None:
                raise ClipUnreadable(self.plan.segments[index], decoder.error())
            if fresh:  # the overlays go onto the decoder's own buffer, once
                frame = np.frombuffer(raw, dtype=np.uint8)
                planes = self._planes(frame)
                band.apply(planes, np)
                if self.logo:
                    self.logo.apply(planes, np)
                self._held = frame
            else:  # the clip ran short: its last picture, as it was composed, is held
                frame = self._held
        if k < 1.0:
            frame = self._fade(frame, k)
        return frame

    def _fade(self, frame, k: float):
        """Towards black: Y towards 16, U and V towards 128 (what ffmpeg's fade filter does)."""
        np = self.np
        key = round(k * 1000)
        if key not in self._luts:
            ramp = np.arange(256, dtype=np.float32)
            self._luts[key] = (np.clip(np.rint(16 + (ramp - 16) * k), 0, 255).astype(np.uint8),
                               np.clip(np.rint(128 + (ramp - 128) * k), 0, 255).astype(np.uint8))
        luma, chroma = self._luts[key]
        out = np.empty_like(frame)
        y_size = self.size[0] * self.size[1]
        np.take(luma, frame[:y_size], out=out[:y_size])
        np.take(chroma, frame[y_size:], out=out[y_size:])
        return out

    def close(self) -> None:
        for d in self.decoders.values():
            d.close()
        self.decoders.clear()


def _check_inputs(plan: Plan, look: Look, music: Path | None) -> None:
    """Say what is wrong before anything is decoded: a clip's file gone, music without sound,
    a logo that is not a picture."""
    for seg in plan.segments:
        if not Path(seg.path).is_file():
            raise UserError(_("Clip {clip_id}'s file is missing: {path}.", clip_id=seg.clip_id, path=seg.path),
                            fix=_("Restore the campaign folder's media/ from a backup, or leave the clip out "
                                  "with `loa clips reject {clip_id}`.", clip_id=seg.clip_id))
        if seg.has_audio and not _has_sound(seg.path):
            raise _unreadable_sound(seg, _("no sound stream ffmpeg can open"))
    if music and not _has_sound(music):
        raise UserError(_("{music} has no sound ffmpeg can read.", music=music), fix=_("Give an MP3, M4A, WAV or OGG file as "
                                                                        "--music."))
    if look.logo:
        from PIL import UnidentifiedImageError

        from content_queue.media import open_picture

        try:
            with open_picture(look.logo) as img:  # its size checked from the header, before it is decoded
                img.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise UserError(_("{logo} is not a picture Pillow can read.", logo=look.logo), fix=_("Give a PNG (transparent is "
                                                                                    "best) as --logo.")) from None


def _has_sound(path: Path) -> bool:
    import av

    try:
        with av.open(str(path)) as c:
            return bool(c.streams.audio)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return False


def _unreadable_sound(seg, detail: str) -> UserError:
    return UserError(_("Clip {clip_id} ({name}): its sound could not be read ({detail}).",
                       clip_id=seg.clip_id, name=Path(seg.path).name, detail=detail),
                     fix=_("See `loa clips show {clip_id}`; leave it out with `loa clips reject {clip_id}` or "
                           "`--clips`.", clip_id=seg.clip_id))


def _sound(plan: Plan, timeline: _Timeline, path: Path, np) -> None:
    """The recap's sound track, cut and joined by moviepy: each clip's own sound for its seconds,
    silence for the cards and for clips without sound; 48 kHz stereo WAV."""
    from moviepy import AudioClip, AudioFileClip, concatenate_audioclips

    fps = plan.fps

    def silence(duration: float):
        return AudioClip(lambda t: np.zeros((len(t), 2)) if hasattr(t, "__len__") else np.zeros(2),
                         duration=duration, fps=48000)

    opened, pieces = [], []
    try:
        for k, (_start, count, kind, _end) in enumerate(timeline.parts):
            seconds = count / fps
            piece = silence(seconds)
            seg = plan.segments[k - 1] if kind == "clip" else None
            if seg is not None and seg.has_audio:
                try:
                    source = AudioFileClip(str(seg.path), fps=48000)
                except (OSError, KeyError, ValueError, IndexError) as exc:  # moviepy's ways of saying "cannot read"
                    raise _unreadable_sound(seg, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
                opened.append(source)
                end = min(seg.start + seconds, source.duration)
                if end > seg.start:
                    cut = source.subclipped(seg.start, end)
                    piece = cut if cut.duration >= seconds else concatenate_audioclips([cut, silence(seconds - cut.duration)])
            pieces.append(piece.with_duration(seconds))
        track = concatenate_audioclips(pieces)
        track.write_audiofile(str(path), fps=48000, nbytes=2, codec="pcm_s16le", ffmpeg_params=["-ac", "2"],
                              logger=None)
    finally:
        for c in opened:
            c.close()


def _audio_args(sound: Path, music: Path | None) -> list[str]:
    """Inputs 1 (the sound track) and 2 (looped music), and the filters that make the recap's sound."""
    args = ["-i", str(sound)]
    if music:
        return args + [
            "-stream_loop", "-1", "-i", str(music), "-filter_complex",
            "[2:a]aresample=48000,aformat=channel_layouts=stereo,volume=0.35[m];"
            "[m][1:a]sidechaincompress=threshold=0.03:ratio=8:attack=20:release=400[ducked];"
            f"[1:a][ducked]amix=inputs=2:duration=first:normalize=0,{LOUDNESS}[a]",
            "-map", "0:v", "-map", "[a]"]
    return args + ["-map", "0:v", "-map", "1:a", "-af", LOUDNESS]


def render(plan: Plan, out: Path, look: Look, *, preset: str = "veryfast", crf: int = 23, music: Path | None = None,
           progress: Callable[[float], None] | None = None, cancel: threading.Event | None = None,
           threads: int | None = None) -> Path:
    """Render ``plan`` to ``out`` (MP4: H.264 High yuv420p, AAC 48 kHz stereo, +faststart)."""
    import numpy as np
    from moviepy import VideoClip

    out = Path(out)
    _check_inputs(plan, look, music)
    work = Path(tempfile.mkdtemp(prefix="loa-recap-"))
    part = out.with_name(out.name + ".part")
    encoder = timeline = None
    done = False
    try:
        timeline = _Timeline(plan, look, work, np)
        timeline.start()
        sound = work / "sound.wav"
        _sound(plan, timeline, sound, np)
        if cancel is not None and cancel.is_set():
            raise RenderCancelled()
        w, h = plan.size
        cmd = [ffmpeg(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}",
               "-r", str(plan.fps), "-i", "-", *_audio_args(sound, music),
               "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p", "-profile:v", "high",
               *(["-threads", str(threads)] if threads else []),
               "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-movflags", "+faststart", "-f", "mp4", str(part)]
        with open(work / "encode.log", "wb") as log:
            encoder = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
        clip = VideoClip(timeline.frame, duration=(timeline.frames + 0.5) / plan.fps)
        try:
            for frame in clip.iter_frames(fps=plan.fps, logger=_logger(timeline.frames, progress, cancel)):
                encoder.stdin.write(frame.data)
            encoder.stdin.close()
        except BrokenPipeError:
            pass  # the encoder stopped: its own words say why, below
        except ClipUnreadable as exc:
            raise UserError(_("Clip {clip_id} ({name}) could not be decoded: {detail}.",
                              clip_id=exc.seg.clip_id, name=exc.seg.path.name, detail=exc.detail),
                            fix=_("See `loa clips show {clip_id}`; leave it out with `loa clips reject "
                                  "{clip_id}` or `--clips`.", clip_id=exc.seg.clip_id)) from None
        code = encoder.wait()
        if code != 0:
            detail = (work / "encode.log").read_text(errors="replace").strip().splitlines()
            raise UserError(_("ffmpeg could not write the recap to {out} (exit {code}): {value}.",
                              out=out, code=code, value=detail[-1] if detail else 'no message'),
                            fix=_("Check the free space and permissions of that folder, or give another --out."))
        os.replace(part, out)
        done = True
        return out
    finally:
        if timeline is not None:
            timeline.close()
        if encoder is not None:
            if encoder.poll() is None:
                encoder.kill()
                encoder.wait()
            if not encoder.stdin.closed:
                try:
                    encoder.stdin.close()
                except BrokenPipeError:
                    pass
        if not done:
            part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)


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
