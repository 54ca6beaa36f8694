"""Meeting summarizer: the deterministic extractor plus a local instruct model (llama-cpp-python).

The extractor (summaries/extract/) always runs and gives the action items, decisions and the
overview bullets. The model reads the transcript in chunks that fit its context (map), answers in
JSON constrained by a schema grammar, and its answers are merged (reduce) only where they can be
grounded in the transcript: a model item is kept when its owner is in the meeting and its words
were said in one segment by or to that owner; a model decision when its words were said. A model
larger than the default one then rewrites the overview's bullets (rewrite.py), each sentence kept
only when grounded in its bullet's segments.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.conf import settings

from summaries import llm_breaker
from summaries.extract import (
    ActionItem,
    SegmentIn,
    content,
    extract,
    find_due,
    has_task_cue,
    looks_like_task,
    overview_budget,
    sentences,
)
from summaries.rewrite import ask_rewrite, choose, model_rewrites

log = logging.getLogger(__name__)

SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        # Bounds keep a small model from rambling until max_tokens.
        "summary": {"type": "string"},
        "decisions": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
        "action_items": {
            "type": "array",
            "maxItems": 5,
            "items": {
                "type": "object",
                "properties": {
                    "owner": {"type": "string"},
                    "task": {"type": "string"},
                    "due": {"type": ["string", "null"]},
                },
                "required": ["owner", "task", "due"],
            },
        },
    },
    "required": ["summary", "decisions", "action_items"],
}

SYSTEM_PROMPT = (
    "You summarize part of a meeting transcript. Answer in JSON. Use only facts stated in the transcript. "
    "summary: two short sentences. decisions: what the group agreed. action_items: tasks a named person "
    "agreed to do, with owner, task and due (null if no date). Leave out tasks that were rejected or already done."
)
PROMPT_OVERHEAD_TOKENS = 160  # system prompt + chat template + instructions


class Result(TypedDict):
    summary: str  # the overview, one bullet a line
    summary_segments: list[list[int]]  # where each line was said
    decisions: list[str]
    action_items: list[ActionItem]
    model_name: str
    model_deferred: bool  # the model was out (its breaker open, or it failed): the extractor's alone


@dataclass
class Stats:
    """Token counts and seconds of the model's work, read from llama.cpp's own counters."""

    chunks: int = 0
    prompt_tokens: int = 0
    prompt_seconds: float = 0.0
    gen_tokens: int = 0
    gen_seconds: float = 0.0
    skipped_chunks: int = 0
    ran: list[int] = field(default_factory=list)  # chunk numbers, in the order they ran
    notes: list[str] = field(default_factory=list)

    def add_perf(self, llm: Any) -> None:
        import llama_cpp

        data = llama_cpp.llama_perf_context(llm._ctx.ctx)
        self.prompt_tokens += data.n_p_eval
        self.prompt_seconds += data.t_p_eval_ms / 1000
        self.gen_tokens += data.n_eval
        self.gen_seconds += data.t_eval_ms / 1000


# --------------------------------------------------------------------------- engine

_engine_lock = threading.Lock()
_engine: Any = None


def model_name() -> str:
    return os.path.basename(settings.LLM_MODEL_PATH or "")


def model_budget_seconds() -> float:
    """Seconds the model may spend on one summary; chunks left are skipped."""
    return float(settings.SUMMARY_MODEL_SECONDS)


def llm_enabled() -> bool:
    """False runs the extractor alone (e.g. where the model is not installed)."""
    return bool(settings.SUMMARY_USE_LLM)


def load_model(path: str) -> Any:
    """A llama.cpp model with our settings, warmed up."""
    from llama_cpp import Llama

    if not path or not os.path.exists(path):
        raise FileNotFoundError(f"LLM model file not found: {path!r} (set LLM_MODEL_PATH)")
    llm = Llama(
        model_path=path,
        n_ctx=settings.LLM_CONTEXT,
        n_threads=settings.LLM_THREADS,
        n_batch=512,
        verbose=False,
    )
    # The first call in a process is several times slower: pay for it here, not in a summary.
    llm.create_chat_completion(messages=[{"role": "user", "content": "Hi"}], max_tokens=4, temperature=0.0)
    return llm


def get_engine() -> Any:
    """The model, loaded once per process (a Celery worker keeps it between tasks)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            t0 = time.monotonic()
            _engine = load_model(settings.LLM_MODEL_PATH)
            log.info("loaded %s in %.1f s", model_name(), time.monotonic() - t0)
            atexit.register(_close_engine)
        return _engine


def _close_engine() -> None:
    # Free the model before interpreter shutdown tears down what llama_cpp's __del__ needs.
    global _engine
    if _engine is not None:
        _engine.close()
        _engine = None


def count_tokens(llm: Any, text: str) -> int:
    return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def chunk_lines(llm: Any, lines: list[str], budget: int) -> list[list[int]]:
    """Indexes of lines grouped into chunks of at most `budget` tokens (a too-long line is cut)."""
    chunks: list[list[int]] = []
    cur: list[int] = []
    used = 0
    for i, line in enumerate(lines):
        n = count_tokens(llm, line) + 1
        if cur and used + n > budget:
            chunks.append(cur)
            cur, used = [], 0
        cur.append(i)
        used += n
    if cur:
        chunks.append(cur)
    return chunks


def _ask(llm: Any, transcript: str, max_tokens: int) -> dict[str, Any]:
    import json

    out = llm.create_chat_completion(
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Transcript:\n{transcript}\n\nJSON:"},
        ],
        response_format={"type": "json_object", "schema": SUMMARY_SCHEMA},
        temperature=0.0,
        max_tokens=max_tokens,
        repeat_penalty=1.15,
    )
    text = out["choices"][0]["message"]["content"] or ""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        # Cut off at max_tokens: the grammar kept it valid up to there, nothing to use.
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- grounding


def _owner(name: Any, participants: list[str]) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    toks = name.lower().split()
    for p in participants:
        ptoks = p.lower().split()
        if toks == ptoks or (toks and toks[0] == ptoks[0]) or (toks and set(toks) <= set(ptoks)):
            return p
    return None


def ground_model_items(
    raw: list[Any], segments: list[SegmentIn], participants: list[str], existing: list[ActionItem]
) -> list[ActionItem]:
    used = {sid for it in existing for sid in it["segments"]}
    kept: list[ActionItem] = []
    for r in raw:
        if not isinstance(r, dict):
            continue
        owner = _owner(r.get("owner"), participants)
        task = r.get("task") if isinstance(r.get("task"), str) else ""
        tw = content(task)
        if owner is None or len(tw) < 3:
            continue
        first = owner.split()[0].lower()
        for seg in segments:
            sw = content(seg["text"])
            said_by_or_to = seg["speaker"] == owner or first in seg["text"].lower()
            if not said_by_or_to or len(tw & sw) < 0.8 * len(tw):
                continue
            if not looks_like_task(seg["text"]):
                break
            if seg["id"] in used:
                break
            if any(
                k["owner"] == owner and len(tw & content(k["task"])) >= 0.5 * len(tw) for k in existing + kept
            ):
                break
            kept.append(
                {"owner": owner, "task": task.strip(), "due": find_due(seg["text"]), "segments": [seg["id"]]}
            )
            used.add(seg["id"])
            break
    return kept


def ground_sentences(raw: Any, source_words: set[str], have: list[str], limit: int) -> list[str]:
    """Model sentences whose content words were all (90 %) said, and that add something new."""
    if isinstance(raw, list):
        raw = " ".join(x for x in raw if isinstance(x, str))
    if not isinstance(raw, str):
        return []
    out: list[str] = []
    for s in sentences(raw):
        sw = content(s)
        if len(sw) < 5 or len(sw & source_words) < 0.9 * len(sw):
            continue
        if any(len(sw & content(h)) > 0.6 * len(sw) for h in have + out):
            continue
        out.append(s.strip())
        if len(out) >= limit:
            break
    return out


# --------------------------------------------------------------------------- summarize


def summarize(
    segments: list[SegmentIn],
    participants: list[str],
    *,
    use_model: bool | None = None,
    stats: Stats | None = None,
    deadline: float | None = None,
) -> Result:
    """Summary, decisions and action items of a transcript (segments with their ids)."""
    stats = stats if stats is not None else Stats()
    base = extract(segments, participants)
    summary_parts = [line for line in base["summary"].split("\n") if line.strip()]
    summary_segments = list(base["summary_segments"])
    decisions = list(base["decisions"])
    items = list(base["action_items"])
    use_model = llm_enabled() if use_model is None else use_model
    name = ""
    deferred = False
    if use_model and segments:
        added = llm_breaker.guarded(
            lambda: _model_pass(
                segments, participants, summary_parts, summary_segments, decisions, items, stats, deadline
            )
        )
        if added is None:
            deferred = True
        else:
            summary_parts, decisions, items = added
            name = model_name()
    return {
        "summary": "\n".join(p for p in summary_parts if p).strip(),
        "summary_segments": summary_segments[: len(summary_parts)],
        "decisions": decisions,
        "action_items": items,
        "model_name": name or "extractor",
        "model_deferred": deferred,
    }


def _model_pass(
    segments: list[SegmentIn],
    participants: list[str],
    summary_parts: list[str],
    summary_segments: list[list[int]],
    decisions: list[str],
    items: list[ActionItem],
    stats: Stats,
    deadline: float | None,
) -> tuple[list[str], list[str], list[ActionItem]]:
    """The model's additions to the extractor's result (new lists; any error leaves them out):
    grounded action items and decisions from every chunk, and, with a model larger than the
    default, the overview rewritten from the extractor's bullets (each bullet keeps its segments)."""
    summary_parts, decisions, items = list(summary_parts), list(decisions), list(items)
    llm = get_engine()
    max_tokens = settings.LLM_MAX_TOKENS
    budget = max(200, settings.LLM_CONTEXT - max_tokens - PROMPT_OVERHEAD_TOKENS - 64)
    lines = [f"{s['speaker'].split()[0]}: {s['text']}" for s in segments]
    import llama_cpp

    # The model is an extra over the extractor: it gets a time budget, and the chunks with the
    # most commitments and requests go first so that the budget is spent where it may help.
    stop_at = time.monotonic() + model_budget_seconds()
    if deadline is not None:
        stop_at = min(stop_at, deadline)
    # The overview first: one call, bounded by its tokens; the chunks get the time left.
    if summary_parts and model_rewrites(llm) and (deadline is None or time.monotonic() < deadline):
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        room = max(max_tokens, 2 * sum(len(p.split()) for p in summary_parts))  # tokens for every bullet
        written = ask_rewrite(llm, summary_parts, decisions, room)
        stats.add_perf(llm)
        chosen = choose(summary_parts, summary_segments, written, segments, overview_budget(segments))
        kept = sum(a != b for a, b in zip(chosen, summary_parts, strict=True))
        stats.notes.append(f"model rewrote {kept} of {len(chosen)} overview bullets")
        summary_parts = chosen
    chunks = chunk_lines(llm, lines, budget)
    cues = [sum(has_task_cue(lines[i]) for i in c) for c in chunks]
    order = sorted(range(len(chunks)), key=lambda k: (-cues[k], k))
    started = time.monotonic()
    for k in order:
        chunk = chunks[k]
        now = time.monotonic()
        per_chunk = (now - started) / stats.chunks if stats.chunks else 0.0
        if now + per_chunk > stop_at:  # it would not finish within the budget
            stats.skipped_chunks += 1
            continue
        stats.ran.append(k)
        chunk_segs = [segments[i] for i in chunk]
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        answer = _ask(llm, "\n".join(lines[i] for i in chunk), max_tokens)
        stats.add_perf(llm)
        stats.chunks += 1
        words_said = set().union(*(content(s["text"]) for s in chunk_segs))
        raw_items = answer.get("action_items") if isinstance(answer.get("action_items"), list) else []
        items += ground_model_items(raw_items, chunk_segs, participants, items)
        decisions += ground_sentences(answer.get("decisions"), words_said, decisions, 2)
    if stats.skipped_chunks:
        stats.notes.append(f"model skipped {stats.skipped_chunks} chunk(s): time budget")
    return summary_parts, decisions, items


def as_public(result: Result) -> dict[str, Any]:
    """The documented output shape (no segment ids), as printed by summarize_transcript."""
    return {
        "summary": result["summary"],
        "decisions": result["decisions"],
        "action_items": [
            {"owner": a["owner"], "task": a["task"], "due": a["due"]} for a in result["action_items"]
        ],
    }


def clean_title(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
