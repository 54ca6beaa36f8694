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
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

CLK_TCK = os.sysconf("SC_CLK_TCK")
FILES = [f"utt{i:02d}" for i in range(1, 11)] + ["long", "conversation/alice", "conversation/bob"]
READY_TIMEOUT = 120.0
CAPTION_TIMEOUT = 30.0


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise SystemExit(f"{path}: expected 16 kHz mono 16-bit WAV")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


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


def setup_database(db_path: Path) -> tuple[int, int, list[int]]:
    """A throwaway database with one meeting; returns meeting, room and participant ids."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from accounts.models import Organization, User
    from rooms.models import Meeting, Participant, Room

    org = Organization.objects.create(name="Bench", slug="bench")
    user = User.objects.create(username="bench")
    room = Room.objects.create(organization=org, name="Bench", slug="bench", created_by=user)
    meeting = Meeting.objects.create(room=room)
    participants = [
        Participant.objects.create(meeting=meeting, display_name=f"Speaker {i + 1}").pk for i in range(16)
    ]
    return meeting.pk, room.pk, participants


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
    from conference.testing.audio import opus_packets
    from conference.testing.processes import WorkerProcess
    from transcripts.live import SPEECH_DBFS, AudioTap

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

        # Each speaker: utterances with 0.5 s before and 1.5 s of silence after, in a different order.
        clips = [read_wav(speech / f"utt{i:02d}.wav") for i in range(1, n_utts + 1)]
        frame = 320
        plans: list[
            tuple[list[bytes], list[int]]
        ] = []  # packets, index of the last voiced packet per utterance
        for s in range(n_speakers):
            order = clips[s % len(clips) :] + clips[: s % len(clips)]
            pieces: list[np.ndarray] = [np.zeros(8000 + 2400 * s, np.int16)]  # staggered starts
            ends: list[int] = []
            pos = len(pieces[0])
            for clip in order:
                rms = np.array(
                    [
                        np.sqrt(np.mean(np.square(clip[i : i + frame].astype(np.float64))))
                        for i in range(0, len(clip) - frame, frame)
                    ]
                )
                voiced = np.nonzero(20 * np.log10(np.maximum(rms, 1e-9) / 32768) > SPEECH_DBFS)[0]
                ends.append((pos + (voiced[-1] + 1) * frame) // frame)
                pieces += [clip, np.zeros(24000, np.int16)]
                pos += len(clip) + 24000
            pcm = np.concatenate(pieces)
            plans.append((pcm if via_sfu else opus_packets(pcm), ends))

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


async def feed_via_sfu(
    plans: list[tuple[Any, list[int]]],
    meeting: int,
    room: int,
    participants: list[int],
    started: float,
    layer: Any,
) -> tuple[dict[tuple[int, int], float], int]:
    """Each speaker is an aiortc peer publishing its audio (20 ms frames in real time) to an
    in-process SfuWorker whose taps are transcripts.live's; returns speech ends and the finals
    announced in the SFU's flush."""
    import fractions

    import av
    from aiortc import MediaStreamTrack

    from conference.testing.peers import BrowserPeer
    from sfu.worker import SfuWorker
    from transcripts.live import make_audio_tap

    speech_end: dict[tuple[int, int], float] = {}
    flushes: list[dict[str, Any]] = []
    peers: dict[int, BrowserPeer] = {}

    async def send(channel: str, message: dict[str, Any]) -> None:
        if channel.startswith("reply."):
            peers[int(channel.split(".", 1)[1])].inbox.put_nowait(message)
            return
        if message.get("type") == "transcribe.flush":
            flushes.append(message)
        await layer.send(channel, message)

    class SpeechTrack(MediaStreamTrack):
        kind = "audio"

        def __init__(self, speaker: int, pcm16k: np.ndarray, ends: list[int]) -> None:
            super().__init__()
            self.speaker, self.ends = speaker, ends
            self.pcm = np.repeat(pcm16k, 3)  # 48 kHz; the bench's speech is band-limited anyway
            self.frames = len(pcm16k) // 320
            self.i = 0
            self.t0: float | None = None

        async def recv(self) -> av.AudioFrame:
            if self.t0 is None:
                self.t0 = time.perf_counter()
            i = self.i
            self.i += 1
            await asyncio.sleep(max(0.0, self.t0 + i * 0.02 - time.perf_counter()))
            chunk = self.pcm[i * 960 : (i + 1) * 960]
            if len(chunk) < 960:
                chunk = np.zeros(960, np.int16)
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = 48000
            frame.pts = i * 960
            frame.time_base = fractions.Fraction(1, 48000)
            if i + 1 in self.ends:
                speech_end[(self.speaker, self.ends.index(i + 1))] = time.perf_counter()
            return frame

    worker = SfuWorker(send, host_addresses=["127.0.0.1"], audio_tap_factory=make_audio_tap)
    tracks = [SpeechTrack(s, pcm, ends) for s, (pcm, ends) in enumerate(plans)]
    try:
        for s, track in enumerate(tracks):
            pid = participants[s]
            peer = BrowserPeer(pid, worker.handle, audio=track, decode=False)
            peers[pid] = peer
            peer.start()
            await worker.handle(
                {
                    "type": "sfu.join",
                    "meeting": meeting,
                    "room": room,
                    "meeting_started_at": started,
                    "captions": True,
                    "participant": pid,
                    "name": f"Speaker {s + 1}",
                    "reply_channel": f"reply.{pid}",
                }
            )
            await peer.publish()
            await asyncio.wait_for(peer.publish_answered.wait(), 20)
        deadline = time.monotonic() + max(t.frames for t in tracks) * 0.02 + 60
        while any(t.i < t.frames for t in tracks):
            if time.monotonic() > deadline:
                raise SystemExit("the SFU did not pull all the audio in time")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.1)
        for s in range(len(tracks)):
            pid = participants[s]
            await asyncio.wait_for(worker.handle({"type": "sfu.leave", "participant": pid}), 60)
            await peers.pop(pid).close()  # gone: it answers no more offers
    finally:
        await asyncio.wait_for(worker.close("bench-over"), 30)
        for peer in peers.values():
            await peer.close()
    return speech_end, sum(int(f["finals"]) for f in flushes)


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
