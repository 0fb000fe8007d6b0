"""Recap render time and memory: loa's moviepy render beside one hand-written ffmpeg filter graph.

Generates a mixed set of phone-like clips (portrait and landscape, turned phones, 60 fps,
silent, 10-bit HEVC, VP9), plans the recap once, then renders the same cut two ways in child
processes, at the same output settings (1080x1920, 30 fps, x264 veryfast CRF 23, AAC 48 kHz,
loudness normalised):
- loa: the render `loa recap render` runs (moviepy timeline and sound, YUV frames, one encoder);
- reference: a single ffmpeg command with one filter graph (the fastest reasonable way).
Prints both times (medians over --runs), their ratio, each process's peak RSS (its largest
ffmpeg child apart, and the whole process tree's Pss together, sampled every 0.1 s), and how alike the two pictures are (SSIM, 1 = identical), so that the speed is
compared on the same cut.

Then the whole command, as the officer runs it: `loa recap render` from a campaign folder holding
the same clips (Python's start-up, imports, planning with each clip's loudest moment, the render
and storing the result), beside the same reference. Goal: within 1.1x at ten clips.

Usage: python benchmarks/recap.py [--clips 30] [--per-clip 2] [--runs 1] [--no-command]
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_clips(folder: Path, n: int) -> list[tuple[Path, str]]:
    from tests.conftest import ffmpeg_exe, make_video

    kinds = ["portrait", "landscape", "rotated", "fast", "silent", "hevc10", "vp9"]
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        d = 4 + 0.1 * (i // len(kinds))  # each file its own: the same kind twice is not a duplicate
        p = folder / f"clip{i:02d}-{kind}.{'webm' if kind == 'vp9' else 'mp4'}"
        if kind == "portrait":
            make_video(p, size="720x1280", seconds=d)
        elif kind == "landscape":
            make_video(p, size="1280x720", seconds=d)
        elif kind == "rotated":
            flat = make_video(folder / f"flat{i}.mp4", size="1280x720", seconds=d)
            subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-display_rotation", "90", "-i", str(flat), "-c", "copy",
                            str(p)], check=True)
        elif kind == "fast":
            make_video(p, size="720x1280", fps=60, seconds=d)
        elif kind == "silent":
            make_video(p, size="720x1280", seconds=d, audio=False)
        elif kind == "hevc10":
            make_video(p, size="720x1280", seconds=d, codec=["-c:v", "libx265", "-preset", "ultrafast",
                                                              "-pix_fmt", "yuv420p10le", "-x265-params",
                                                              "log-level=error:colorprim=bt2020:transfer=smpte2084:"
                                                              "colormatrix=bt2020nc"])
        else:
            subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=720x1280:r=30:d={d}",
                            "-f", "lavfi", "-i", f"sine=d={d}", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                            "-cpu-used", "8", "-c:a", "libopus", "-shortest", str(p)], check=True)
        out.append((p, kind))
    return out


def plan_for(clips, per_clip: float):
    from recap.plan import Plan, Segment, loudest_window
    from content_queue.clip_probe import probe_clip

    plan = Plan(size=(1080, 1920))
    schools = ["THCS Kon Chiêng", "Tiểu học Kon Chiêng", "THCS Đak Tơ Pang"]
    for i, (path, _) in enumerate(clips):
        f = probe_clip(path)
        plan.segments.append(Segment(i + 1, path, loudest_window(path, f.duration, per_clip), per_clip,
                                     f"Học sinh Nguyễn Văn {i + 1}", schools[i % 3], f.width, f.height, f.has_audio,
                                     f.rotation, f.hdr))
    return plan


def reference(plan, look, out: Path, work: Path) -> None:
    """The same cut as one ffmpeg filter graph."""
    from recap.cards import BRAND, card, lower_third
    from recap.render import FADE, TONEMAP, _fit, ffmpeg

    W, H = plan.size
    color = "0x%02x%02x%02x" % BRAND
    card(plan.size, look.title, look.message).save(work / "intro.png")
    card(plan.size, look.hashtags, "", look.outro_line).save(work / "outro.png")
    inputs = ["-loop", "1", "-framerate", "30", "-t", str(plan.intro), "-i", str(work / "intro.png")]
    graph, labels = [], []
    graph.append(f"[0:v]format=yuv420p,fade=t=out:st={plan.intro - FADE}:d={FADE}[v0];"
                 f"anullsrc=r=48000:cl=stereo,atrim=0:{plan.intro}[a0]")
    labels.append("[v0][a0]")
    idx = 1
    for k, seg in enumerate(plan.segments, start=1):
        band, (bx, by) = lower_third(plan.size, seg.name, seg.school)
        band_path = work / f"band{k}.png"
        band.save(band_path)
        fit = _fit(seg.width, seg.height, plan.size)
        inputs += ["-ss", f"{seg.start:.3f}", "-t", f"{seg.duration:.3f}", "-i", str(seg.path), "-i", str(band_path)]
        v, b = idx, idx + 1
        idx += 2
        graph.append(f"[{v}:v]{TONEMAP + ',' if seg.hdr else ''}scale={fit[0]}:{fit[1]},fps=30,setsar=1,format=yuv420p,"
                     f"pad={W}:{H}:{(W - fit[0]) // 2}:{(H - fit[1]) // 2}:color={color}[p{k}];"
                     f"[p{k}][{b}:v]overlay={bx}:{by},trim=0:{seg.duration},setpts=PTS-STARTPTS,"
                     f"fade=t=in:st=0:d={FADE},fade=t=out:st={seg.duration - FADE}:d={FADE}[v{k}]")
        if seg.has_audio:
            graph.append(f"[{v}:a]aresample=48000,aformat=channel_layouts=stereo,apad,atrim=0:{seg.duration},"
                         f"asetpts=PTS-STARTPTS[a{k}]")
        else:
            graph.append(f"anullsrc=r=48000:cl=stereo,atrim=0:{seg.duration}[a{k}]")
        labels.append(f"[v{k}][a{k}]")
    inputs += ["-loop", "1", "-framerate", "30", "-t", str(plan.outro), "-i", str(work / "outro.png")]
    last = len(plan.segments) + 1
    graph.append(f"[{idx}:v]format=yuv420p,fade=t=in:st=0:d={FADE}[v{last}];"
                 f"anullsrc=r=48000:cl=stereo,atrim=0:{plan.outro}[a{last}]")
    labels.append(f"[v{last}][a{last}]")
    graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=1[v][acat];"
                 "[acat]loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000[a]")
    subprocess.run([ffmpeg(), "-v", "error", "-y", *inputs, "-filter_complex", ";".join(graph), "-map", "[v]",
                    "-map", "[a]", "-r", "30", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                    "-pix_fmt", "yuv420p", "-profile:v", "high", "-c:a", "aac", "-b:a", "160k", "-ar", "48000",
                    "-movflags", "+faststart", str(out)], check=True)


def tree_rss_mb(root: int) -> float:
    """Memory of a process and all its descendants together, from /proc: the sum of their
    proportional set sizes (Pss), so that the pages the ffmpeg processes share (the binary) are
    counted once, not once a process as adding up their RSS would."""
    parent = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, pp in parent.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total / 1024


class TreeSampler(threading.Thread):
    """Samples :func:`tree_rss_mb` of this process every 0.1 s; ``peak`` is the highest seen."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.done = 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.peak = max(self.peak, tree_rss_mb(os.getpid()))


def child(kind: str, plan_file: Path, out: Path) -> dict:
    from recap.render import Look, render

    plan = pickle.loads(plan_file.read_bytes())
    look = Look("Không một mình – Cùng nhau an toàn trực tuyến", "Em không một mình.",
                "#khongmotminh #antoantructuyen #niemtinso", "Cần giúp đỡ? Gọi Tổng đài 111.")
    sampler = TreeSampler()
    sampler.start()
    t = time.perf_counter()
    if kind == "loa":
        render(plan, out, look)
    else:
        with tempfile.TemporaryDirectory() as work:
            reference(plan, look, out, Path(work))
    seconds = time.perf_counter() - t
    sampler.done.set()
    sampler.join()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_rss_mb": own, "peak_child_rss_mb": kids, "peak_tree_rss_mb": sampler.peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=30)
    ap.add_argument("--per-clip", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--child")
    ap.add_argument("--plan", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--no-command", action="store_true", help="Skip timing the whole `loa recap render`.")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.plan, args.out)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clips = make_clips(tmp, args.clips)
        plan = plan_for(clips, args.per_clip)
        plan_file = tmp / "plan.pkl"
        plan_file.write_bytes(pickle.dumps(plan))
        results = {"loa": [], "reference": []}
        for _ in range(args.runs):
            for kind in ("reference", "loa"):
                out = tmp / f"{kind}.mp4"
                r = subprocess.run([sys.executable, __file__, "--child", kind, "--plan", str(plan_file), "--out", str(out)],
                                   capture_output=True, text=True, check=True, cwd=ROOT)
                results[kind].append(json.loads(r.stdout.strip().splitlines()[-1]))
        from content_queue.clip_probe import probe_clip
        from tests.conftest import ffmpeg_exe

        for kind in results:
            f = probe_clip(tmp / f"{kind}.mp4")
            print(f"{kind:9}: {statistics.median(r['seconds'] for r in results[kind]):6.1f} s  "
                  f"peak RSS {max(r['peak_rss_mb'] for r in results[kind]):5.0f} MB (ffmpeg children "
                  f"{max(r['peak_child_rss_mb'] for r in results[kind]):4.0f} MB; all together "
                  f"{max(r['peak_tree_rss_mb'] for r in results[kind]):4.0f} MB)  "
                  f"output {f.width}x{f.height} {f.fps:g} fps {f.duration:.2f} s")
        ssim = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(tmp / "loa.mp4"), "-i",
                               str(tmp / "reference.mp4"), "-lavfi", "[0:v][1:v]ssim", "-f", "null", "-"],
                              capture_output=True, text=True).stderr
        alike = re.findall(r"All:([\d.]+)", ssim)
        print(f"picture: SSIM loa vs reference {float(alike[-1]) if alike else float('nan'):.3f} (1 = identical)")
        ratio = statistics.median(r["seconds"] for r in results["loa"]) / statistics.median(
            r["seconds"] for r in results["reference"])
        print(f"\n{args.clips} clips, {plan.duration:.1f} s recap: loa's render / reference = {ratio:.2f} "
              f"(goal <= 1.3); planned {plan.duration:.2f} s")
        if not args.no_command:
            whole = whole_command(tmp, clips, plan, args.per_clip, args.runs)
            ref = statistics.median(r["seconds"] for r in results["reference"])
            print(f"loa recap render, the whole command (start-up, planning, render, storing): "
                  f"{statistics.median(whole):6.1f} s = {statistics.median(whole) / ref:.2f}x the reference "
                  f"(goal <= 1.1 at ten clips; runs: {', '.join(f'{w:.1f}' for w in whole)} s)")


def whole_command(tmp: Path, clips, plan, per_clip: float, runs: int) -> list[float]:
    """`loa recap render` timed as the officer runs it, in a campaign folder with the same clips."""
    camp = tmp / "camp"
    env = {**os.environ, "LOA_LANG": "en"}
    env.pop("LOA_HOME", None)
    env.pop("LOA_DATABASE_URL", None)
    loa = [sys.executable, "-m", "loa"]
    subprocess.run(loa + ["init", str(camp), "--campaign", "Không một mình – Cùng nhau an toàn trực tuyến",
                          "--hashtags", "#khongmotminh #antoantructuyen #niemtinso"], check=True, env=env,
                   capture_output=True)
    ids = []
    for i, (path, _kind) in enumerate(clips):
        r = subprocess.run(loa + ["clips", "add", str(path), "--participant", f"Học sinh Nguyễn Văn {i + 1}",
                                  "--age", "18", "--consent", "self", "--json"], check=True, env=env, cwd=camp,
                           capture_output=True, text=True)
        ids.append(json.loads(r.stdout)[0]["id"])
    subprocess.run(loa + ["clips", "approve", *map(str, ids)], check=True, env=env, cwd=camp, capture_output=True)
    times = []
    for n in range(runs):
        t = time.perf_counter()
        subprocess.run(loa + ["recap", "render", "--clips", ",".join(map(str, ids)), "--order", "given",
                              "--per-clip", str(per_clip), "--seconds", f"{plan.duration + 0.01:.2f}",
                              "--out", str(tmp / f"whole{n}.mp4")], check=True, env=env, cwd=camp,
                       capture_output=True)
        times.append(time.perf_counter() - t)
    return times


if __name__ == "__main__":
    main()
