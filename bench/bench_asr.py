"""Speech-recognition speed (and, with --quality, accuracy) on the call fixtures.

    python bench/bench_asr.py                 # speed: bare faster-whisper vs load_call, etc.
    python bench/bench_asr.py --quality       # CER / role accuracy per fixture variant

Speed is reported as audio-seconds per CPU-second (higher is better; CPU time counts every
thread of the process, so it is fair on a loaded or many-core machine) and as real-time factor
(wall / audio; lower is better). Each mode runs in its own subprocess so the peak resident
memory (ru_maxrss) belongs to that mode alone. The model is loaded and warmed up before timing.

Modes, all with the same settings (beam 5, language zh, VAD on, word timestamps on):
  bare        faster-whisper WhisperModel.transcribe(file) only (its own decode, one channel)
  pipeline    qa_engine.audio.load_call(file): decode, ASR, speakers, guard, acoustics
  batched     load_call with BatchedInferencePipeline (batch_size 8)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CALLS = REPO / "datasets" / "calls"


def fixture_files(variant: str) -> list[Path]:
    return sorted(CALLS.glob(f"call0*.{variant}.wav"))


def run_mode(mode: str, variant: str, beam: int, threads: int) -> dict:
    from qa_engine.audio import AudioOptions, load_call
    from qa_engine.audio.decode import decode
    from qa_engine.audio.transcriber import get_transcriber

    options = AudioOptions(beam_size=beam, cpu_threads=threads, batched=(mode == "batched"))
    transcriber = get_transcriber(options)
    files = fixture_files(variant)
    warm = CALLS / "real" / "basic_ref_zh.wav"
    kwargs = transcriber._kwargs()
    if mode == "bare":
        list(transcriber.model.transcribe(str(warm), **kwargs)[0])
    else:
        load_call(warm, options)
    audio_s = sum(decode(f).duration for f in files)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for f in files:
        if mode == "bare":
            segments, _ = transcriber.model.transcribe(str(f), **kwargs)
            list(segments)  # decoding happens while iterating
        else:
            load_call(f, options)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"mode": mode, "variant": variant, "files": len(files), "audio_s": round(audio_s, 1),
            "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
            "audio_s_per_cpu_s": round(audio_s / cpu, 2), "rtf": round(wall / audio_s, 3),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "device": transcriber.device, "compute_type": transcriber.compute_type}


def run_quality(variant: str, beam: int, extra: dict) -> dict:
    from qa_engine.audio import AudioOptions, load_call
    from qa_engine.audio.evaluate import load_timeline, score_call, summarise

    options = AudioOptions(beam_size=beam, extra=extra)
    scores, flagged, role_conf = [], 0, []
    for f in fixture_files(variant):
        conv = load_call(f, options)
        scores.append(score_call(conv, load_timeline(CALLS / f"{f.name.split('.')[0]}.timeline.json")))
        flagged += bool(conv.analysis.extra["needs_review_reasons"])
        role_conf.append(conv.analysis.extra["role_confidence"])
    return {"variant": variant, **summarise(scores), "beam": beam, "extra": extra,
            "calls_flagged": flagged,
            "min_role_confidence": min(role_conf),
            "per_call_cer": {s.call_id: round(s.cer, 3) for s in scores}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quality", action="store_true", help="measure CER and role accuracy")
    parser.add_argument("--variants", default="mono16k,stereo8k,mono8k")
    parser.add_argument("--modes", default="bare,pipeline,batched")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--extra", default="{}",
                        help='JSON of extra faster-whisper arguments for --quality, e.g. {"hotwords": "工号"}')
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, variant = args.child.split(":")
        result = (run_quality(variant, args.beam, json.loads(args.extra)) if mode == "quality"
                  else run_mode(mode, variant, args.beam, args.threads))
        print(json.dumps(result, ensure_ascii=False))
        return
    jobs = ([("quality", v) for v in args.variants.split(",")] if args.quality else
            [(m, v) for v in args.variants.split(",") for m in args.modes.split(",")])
    for mode, variant in jobs:
        proc = subprocess.run([sys.executable, __file__, "--child", f"{mode}:{variant}",
                               "--beam", str(args.beam), "--threads", str(args.threads),
                               "--extra", args.extra],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{mode}:{variant} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        print(proc.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
