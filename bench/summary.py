"""Summary speed and memory on the long dev meeting (launch_readiness.json, ~30 min of talk).

    .venv/bin/python bench/summary.py [TRANSCRIPT.json | EVAL_DIR]

Prints the seconds to summarize it end to end through the summarizer service (the function
run_summary calls, model and extractor, with the production settings), the model's prompt and
generation tokens/s inside the service, the same model's tokens/s through llama-cpp-python alone
on the same chunks (with the same JSON grammar, and without one), their ratio (target >= 0.9),
and the peak memory (ru_maxrss). Target: <= 60 s.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from summaries.management.commands.summarize_transcript import load_transcript  # noqa: E402
from summaries.summarizer import (  # noqa: E402
    PROMPT_OVERHEAD_TOKENS,
    SUMMARY_SCHEMA,
    SYSTEM_PROMPT,
    Stats,
    chunk_lines,
    get_engine,
    model_budget_seconds,
    summarize,
)

DEFAULT = ROOT.parent / "shared" / "eval-dev" / "meetings" / "launch_readiness.json"


def open_raw(path: str) -> Any:
    """A second llama.cpp instance with the same settings, for the raw speed comparison."""
    from summaries.summarizer import load_model

    return load_model(path)


def raw_rates(llm: Any, chunk_texts: list[str], max_tokens: int, grammar: bool) -> tuple[float, float]:
    """Prompt and generation tokens/s of llama-cpp-python alone on the same chunks, no service code."""
    import llama_cpp

    p_tok = p_s = g_tok = g_s = 0.0
    for text in chunk_texts:
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        llm.create_chat_completion(
            messages=[
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Transcript:\n{text}\n\nJSON:"},
            ],
            response_format={"type": "json_object", "schema": SUMMARY_SCHEMA} if grammar else None,
            temperature=0.0,
            max_tokens=max_tokens,
            repeat_penalty=1.15,
        )
        d = llama_cpp.llama_perf_context(llm._ctx.ctx)
        p_tok, p_s = p_tok + d.n_p_eval, p_s + d.t_p_eval_ms / 1000
        g_tok, g_s = g_tok + d.n_eval, g_s + d.t_eval_ms / 1000
    return p_tok / max(p_s, 1e-9), g_tok / max(g_s, 1e-9)


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT)
    if Path(path).is_dir():  # an evaluation set such as ../shared/eval-dev: its long meeting
        path = str(Path(path) / "meetings" / "launch_readiness.json")
    rounds = int(os.getenv("BENCH_ROUNDS", "3"))
    segments, participants = load_transcript(path)
    print(f"transcript: {path} ({len(segments)} segments, {len(participants)} participants)")
    print(f"model: {settings.LLM_MODEL_PATH}")
    print(
        f"settings: LLM_CONTEXT={settings.LLM_CONTEXT} LLM_THREADS={settings.LLM_THREADS} "
        f"LLM_MAX_TOKENS={settings.LLM_MAX_TOKENS} SUMMARY_MODEL_SECONDS={model_budget_seconds():.0f}"
    )
    print(
        f"load avg before: {os.getloadavg()[0]:.2f} (2 shared cores: rates vary with the load, so best of {rounds})"
    )

    t0 = time.monotonic()
    llm = get_engine()
    load_s = time.monotonic() - t0
    raw = None
    service_peak_mb = 0.0

    lines = [f"{s['speaker'].split()[0]}: {s['text']}" for s in segments]
    budget = max(200, settings.LLM_CONTEXT - settings.LLM_MAX_TOKENS - PROMPT_OVERHEAD_TOKENS - 64)
    all_chunks = chunk_lines(llm, lines, budget)
    svc: list[tuple[float, float]] = []
    raws: list[tuple[float, float]] = []
    totals: list[float] = []
    first: Stats | None = None
    result = None
    for r in range(rounds):
        # service and raw alternate so that both see the same background load
        stats = Stats()
        t0 = time.monotonic()
        result = summarize(segments, participants, use_model=True, stats=stats)
        totals.append(time.monotonic() - t0)
        if raw is None:  # the service's own peak, before a second engine is loaded for the raw runs
            service_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            raw = open_raw(settings.LLM_MODEL_PATH)
        first = first or stats
        svc.append(
            (
                stats.prompt_tokens / max(stats.prompt_seconds, 1e-9),
                stats.gen_tokens / max(stats.gen_seconds, 1e-9),
            )
        )
        texts = ["\n".join(lines[i] for i in all_chunks[k]) for k in stats.ran]
        raws.append(raw_rates(raw, texts, settings.LLM_MAX_TOKENS, grammar=True))
        print(
            f"  round {r + 1}: end to end {totals[-1]:.1f} s, chunks run {stats.ran} skipped {stats.skipped_chunks}; "
            f"service prompt {svc[-1][0]:.1f} gen {svc[-1][1]:.1f} tok/s; raw prompt {raws[-1][0]:.1f} "
            f"gen {raws[-1][1]:.1f} tok/s"
        )
    assert first is not None and result is not None and raw is not None
    texts = ["\n".join(lines[i] for i in all_chunks[k]) for k in first.ran]
    plain_p, plain_g = raw_rates(raw, texts, settings.LLM_MAX_TOKENS, grammar=False)
    raw.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    svc_p, svc_g = max(x[0] for x in svc), max(x[1] for x in svc)
    raw_p, raw_g = max(x[0] for x in raws), max(x[1] for x in raws)

    print(f"model load + warm-up: {load_s:.2f} s")
    print(
        f"summarize end to end: {min(totals):.1f} s best, {max(totals):.1f} s worst (target <= 60); "
        f"{len(first.ran)} of {len(all_chunks)} chunks within the model budget; "
        f"{len(result['action_items'])} action items, {len(result['decisions'])} decisions"
    )
    print(
        f"service (best of {rounds}): prompt {svc_p:.1f} tok/s, generation {svc_g:.1f} tok/s "
        f"({first.prompt_tokens} prompt / {first.gen_tokens} generated tokens per run)"
    )
    print(
        f"raw llama-cpp-python, same chunks + JSON grammar (best of {rounds}): prompt {raw_p:.1f} tok/s, generation {raw_g:.1f} tok/s"
    )
    print(
        f"raw llama-cpp-python, same chunks, no grammar (once): prompt {plain_p:.1f} tok/s, generation {plain_g:.1f} tok/s"
    )
    print(f"ratio service/raw: prompt {svc_p / raw_p:.2f}, generation {svc_g / raw_g:.2f} (target >= 0.9)")
    print(
        f"peak memory (ru_maxrss): service {service_peak_mb:.0f} MB; with the raw engine loaded too {peak_mb:.0f} MB"
    )
    print(f"load avg after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
