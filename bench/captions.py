"""Live captions: engine speed, speakers per 2 cores, end-of-speech -> final caption latency.

    .venv/bin/python bench/captions.py [EVAL_DIR] [--speakers N] [--utterances N] [--skip-latency]

1. Real-time factor of the engine (final decoding: beam, VAD) on every speech file of the dev set.
2. The live pass pattern per speaking participant: an interim pass (greedy) over the last 8 s every
   INTERIM_EVERY seconds, plus one final pass (beam) over each utterance. Measured pass times give
   the load of one speaker; two cores keep 1/load speakers in real time (wall clock, one worker
   using WHISPER_THREADS threads) and 2/cpu-load by CPU time (less sensitive to other processes).
3. Latency through the live path: utterances encoded as Opus, fed in real time (20 ms packets) to
   transcripts.live.AudioTap -> Redis channel layer -> a `runtranscriber` subprocess -> the room
   group; from the end of speech (last voiced packet fed) to the final caption received.
   The transcriber stores finals in a throwaway SQLite database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

from bench._speech import (  # noqa: E402
    feed_via_sfu,
    pct,
    proc_cpu,
    read_wav,
    setup_database,
    speaker_plans,
)

FILES = [f"utt{i:02d}" for i in range(1, 11)] + ["long", "conversation/alice", "conversation/bob"]
READY_TIMEOUT = 120.0
CAPTION_TIMEOUT = 30.0


# ---------------------------------------------------------------------------- 1 + 2: engine


def engine_figures(speech: Path) -> dict[str, float]:
    from transcripts.engine import Engine, get_engine
    from transcripts.live import INTERIM_EVERY, INTERIM_WINDOW

    engine = get_engine()
    audio_s = wall_s = cpu_s = 0.0
    for name in FILES:
        samples = read_wav(speech / f"{name}.wav").astype(np.float32) / 32768
        c0, t0 = time.process_time(), time.perf_counter()
        engine.transcribe(samples)
        wall_s += time.perf_counter() - t0
        cpu_s += time.process_time() - c0
        audio_s += len(samples) / 16000
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus (other processes skew wall times)"
    )
    print(f"engine: {engine.model_path}")
    print(f"  compute {engine.compute_type}, beam {engine.beam_size}, {engine.threads} threads")
    print(
        f"final decoding RTF over {len(FILES)} files ({audio_s:.1f} s audio): {wall_s / audio_s:.3f} wall, {cpu_s / audio_s:.3f} cpu"
    )

    # Capacity: one single-threaded engine, CPU time per pass (robust to other processes); two
    # transcriber processes with one thread each use two cores.
    single = Engine(threads=1) if engine.threads != 1 else engine
    long = read_wav(speech / "long.wav").astype(np.float32) / 32768
    window = int(INTERIM_WINDOW * 16000)
    walls: list[float] = []
    cpus: list[float] = []
    for start in range(0, len(long) - window, 3 * 16000):
        c0, t0 = time.process_time(), time.perf_counter()
        single.transcribe_live(long[start : start + window], final=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    final_walls: list[float] = []
    final_cpus: list[float] = []
    final_audio = 0.0
    for name in FILES[:10]:
        samples = read_wav(speech / f"{name}.wav").astype(np.float32) / 32768
        c0, t0 = time.process_time(), time.perf_counter()
        single.transcribe_live(samples, final=True)
        final_walls.append(time.perf_counter() - t0)
        final_cpus.append(time.process_time() - c0)
        final_audio += len(samples) / 16000
    interim_cpu = float(np.mean(cpus))
    final_rtf_cpu = sum(final_cpus) / final_audio
    print("live passes, 1 thread:")
    print(
        f"  interim ({INTERIM_WINDOW:.0f} s window, greedy) x{len(cpus)}: {interim_cpu * 1000:.0f} ms cpu "
        f"(p95 {pct(cpus, 95) * 1000:.0f}); wall mean {np.mean(walls) * 1000:.0f} ms"
    )
    print(
        f"  final (beam {single.beam_size}) on utt01-10: {np.mean(final_cpus) * 1000:.0f} ms cpu per utterance, "
        f"RTF {final_rtf_cpu:.3f} cpu; wall mean {np.mean(final_walls) * 1000:.0f} ms"
    )
    load_cpu = interim_cpu / INTERIM_EVERY + final_rtf_cpu
    print(
        f"one speaking participant costs {load_cpu:.3f} cpu-seconds per second "
        f"(an interim pass every {INTERIM_EVERY} s + the final pass)"
    )
    print(
        f"concurrent speakers kept in real time on 2 cores (2 workers x 1 thread): {2 / load_cpu:.1f} "
        f"with interims, {2 / final_rtf_cpu:.0f} finals only (workers skip stale interims when behind)"
    )
    return {"speakers_cpu": 2 / load_cpu}


# ---------------------------------------------------------------------------- 3: latency


async def latency(
    speech: Path,
    meeting: int,
    room: int,
    participants: list[int],
    n_speakers: int,
    n_utts: int,
    n_workers: int,
    env: dict[str, str],
    via_sfu: bool = False,
) -> None:
    from channels.layers import channel_layers

    from conference.protocol import TRANSCRIBE_CHANNEL, room_group
    from conference.testing.processes import WorkerProcess
    from transcripts.live import AudioTap

    layer = channel_layers.make_backend("default")
    await layer.flush()
    listener = await layer.new_channel()
    await layer.group_add(room_group(room), listener)

    workers = [
        WorkerProcess.manage(
            f"runtranscriber-{n}",
            "runtranscriber",
            env=env,
            ready="Transcriber ready",
            ready_timeout=READY_TIMEOUT,
        ).start()
        for n in range(n_workers)
    ]
    try:
        for worker in workers:
            try:
                await asyncio.to_thread(worker.wait_ready)
            except RuntimeError as exc:
                raise SystemExit(f"runtranscriber did not start: {exc}") from None

        plans = speaker_plans(speech, n_speakers, n_utts, via_sfu)

        started = time.time()
        taps = [
            AudioTap(
                meeting=meeting,
                room=room,
                participant=participants[s],
                speaker=f"Speaker {s + 1}",
                meeting_started_at=started,
                send=layer.send,
            )
            for s in range(n_speakers)
        ]
        speech_end: dict[tuple[int, int], float] = {}
        received: dict[int, list[float]] = {s: [] for s in range(n_speakers)}
        by_participant = {participants[s]: s for s in range(n_speakers)}
        done = asyncio.Event()
        expected = n_speakers * n_utts

        async def listen() -> None:
            count = 0
            while count < expected:
                msg = await asyncio.wait_for(layer.receive(listener), CAPTION_TIMEOUT + 30)
                if msg["final"] and msg["text"]:
                    received[by_participant[msg["participant"]]].append(time.perf_counter())
                    count += 1
            done.set()

        listener_task = asyncio.create_task(listen())
        cpu0 = sum(proc_cpu(w.pid) for w in workers)
        if via_sfu:
            speech_end, finals = await feed_via_sfu(plans, meeting, room, participants, started, layer)
            n_packets = max(len(p) for p, _e in plans) // 320
        else:
            t0 = time.perf_counter()
            n_packets = max(len(p) for p, _e in plans)
            for i in range(n_packets):
                await asyncio.sleep(max(0.0, t0 + i * 0.02 - time.perf_counter()))
                now = time.perf_counter()
                for s, (packets, ends) in enumerate(plans):
                    if i < len(packets):
                        taps[s].feed(packets[i], i * 960, started + i * 0.02)
                        if i + 1 in ends:
                            speech_end[(s, ends.index(i + 1))] = now
            finals = 0
            for tap in taps:
                finals += await tap.close()
        await asyncio.wait_for(done.wait(), CAPTION_TIMEOUT)
        audio_s = n_packets * 0.02
        cpu = sum(proc_cpu(w.pid) for w in workers) - cpu0
        if not via_sfu:  # the SFU sends its own flush after the last one left
            await layer.send(
                TRANSCRIBE_CHANNEL, {"type": "transcribe.flush", "meeting": meeting, "finals": finals}
            )
        listener_task.cancel()
        lat: list[float] = []
        for s in range(n_speakers):
            ends_s = sorted(v for (sp, _u), v in speech_end.items() if sp == s)
            for end, got in zip(ends_s, sorted(received[s]), strict=False):
                lat.append(got - end)
        path = "aiortc peers -> SFU worker -> tap" if via_sfu else "Opus packets -> tap"
        print(
            f"latency end of speech -> final caption via {path} ({n_speakers} speaker(s), {len(lat)} utterances, "
            f"{finals} finals): p50 {pct(lat, 50):.2f} s, p95 {pct(lat, 95):.2f} s, max {max(lat):.2f} s"
        )
        print(
            f"transcribers ({n_workers} x {env.get('WHISPER_THREADS', 'default')} threads) cpu: {cpu:.1f} s "
            f"for {audio_s:.1f} s of meeting ({cpu / audio_s:.2f} cores)"
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            await asyncio.to_thread(worker.stop, 20)
        await layer.flush()
        await layer.close_pools()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("eval_dir", nargs="?", default=str(ROOT.parent / "shared" / "eval-dev"))
    parser.add_argument("--speakers", type=int, default=1, help="speakers talking at once in the latency run")
    parser.add_argument("--utterances", type=int, default=10, help="utterances per speaker (max 10)")
    parser.add_argument("--workers", type=int, default=1, help="runtranscriber processes in the latency run")
    parser.add_argument(
        "--worker-threads", type=int, default=0, help="WHISPER_THREADS of those (0: settings)"
    )
    parser.add_argument("--via-sfu", action="store_true", help="speakers are aiortc peers of an SfuWorker")
    parser.add_argument("--skip-engine", action="store_true", help="only the latency run")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    speech = Path(args.eval_dir) / "speech"
    if not speech.is_dir():
        raise SystemExit(f"{speech} not found (give the eval-dev directory)")
    if not 1 <= args.speakers <= 16 or not 1 <= args.utterances <= 10 or not 1 <= args.workers <= 8:
        raise SystemExit("--speakers 1..16, --utterances 1..10, --workers 1..8")

    tmp = tempfile.TemporaryDirectory()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}",
        "REDIS_PREFIX": f"bench-captions-{os.getpid()}",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_PREFIX")})
    try:
        meeting, room, participants = setup_database(Path(tmp.name) / "bench.sqlite3")
        if not args.skip_engine:
            engine_figures(speech)
        if not args.skip_latency:
            if args.worker_threads:
                env["WHISPER_THREADS"] = str(args.worker_threads)
            asyncio.run(
                latency(
                    speech,
                    meeting,
                    room,
                    participants,
                    args.speakers,
                    args.utterances,
                    args.workers,
                    env,
                    via_sfu=args.via_sfu,
                )
            )
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    main()
