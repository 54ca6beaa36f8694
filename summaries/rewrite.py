"""A larger model writes the overview from the grounded facts: the extractor's bullets (and the
decisions, as context) go in, one sentence per bullet comes out, and each sentence is kept only
when its words were said in the segments its bullet came from; otherwise the extractor's bullet
stays. The default model (SmolLM2 135M) does not rewrite: a model of that size restates facts
worse than the extractor's clauses; a larger one configured with LLM_MODEL_PATH does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from summaries.extract import SegmentIn, content
from summaries.extract.figures import with_digits
from summaries.extract.overview import overview_words

REWRITE_MIN_PARAMS = 300_000_000  # the default model has 135 M parameters
SAID_SHARE = 0.8  # share of a model bullet's content words that its source segments must hold
MIN_SHARED = 2  # and at least this many
MAX_SENTENCE_CHARS = 400  # a bound the grammar enforces: a small model may run on in one string

REWRITE_PROMPT = (
    "You write the overview of a meeting. You get numbered facts taken from the transcript. "
    "Rewrite each fact as one short, clear sentence in the third person, in plain words. "
    "Keep names and numbers. Do not add facts. Answer in JSON: one sentence per fact, in the same order."
)


def model_rewrites(llm: Any) -> bool:
    """True when the loaded model is larger than the default small one (by its parameters)."""
    import llama_cpp

    return int(llama_cpp.llama_model_n_params(llm._model.model)) >= REWRITE_MIN_PARAMS


def rewrite_schema(n: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "sentences": {
                "type": "array",
                "items": {"type": "string", "maxLength": MAX_SENTENCE_CHARS},
                "minItems": n,
                "maxItems": n,
            }
        },
        "required": ["sentences"],
    }


def ask_rewrite(llm: Any, bullets: list[str], decisions: list[str], max_tokens: int) -> list[str]:
    """The model's sentence for each bullet ([] when its answer is unusable)."""
    facts = "\n".join(f"{k + 1}. {b}" for k, b in enumerate(bullets))
    decided = "\n".join(f"- {d}" for d in decisions) or "- none"
    out = llm.create_chat_completion(
        messages=[
            {"role": "system", "content": REWRITE_PROMPT},
            {"role": "user", "content": f"Facts:\n{facts}\n\nDecisions (context only):\n{decided}\n\nJSON:"},
        ],
        response_format={"type": "json_object", "schema": rewrite_schema(len(bullets))},
        temperature=0.0,
        max_tokens=max_tokens,
    )
    try:
        data = json.loads(out["choices"][0]["message"]["content"] or "")
    except json.JSONDecodeError:
        return []
    said = data.get("sentences") if isinstance(data, dict) else None
    if not isinstance(said, list) or len(said) != len(bullets):
        return []
    # "1. The parser is done": the fact's number said back
    return [re.sub(r"^\s*\d+[.)]\s*", "", s) if isinstance(s, str) else "" for s in said]


def grounded(sentence: str, source: str) -> bool:
    """A model sentence whose content words were said in its source segments."""
    sw = content(with_digits(sentence))  # "$900" was said as "nine hundred dollars"
    shared = sw & content(with_digits(source))
    return len(shared) >= MIN_SHARED and len(shared) >= SAID_SHARE * len(sw)


def choose(
    bullets: list[str],
    bullet_segments: list[list[int]],
    written: list[str],
    segments: list[SegmentIn],
    budget: int,
) -> list[str]:
    """Each bullet: the model's sentence when grounded in the bullet's segments, else the
    extractor's; a model sentence that would take the overview over ``budget`` words is not used."""
    text_of = {s["id"]: f"{s['speaker']} {s['text']}" for s in segments}  # "Ethan found": the speaker
    out: list[str] = []
    used = sum(overview_words(b) for b in bullets)
    for bullet, ids, new in zip(bullets, bullet_segments, written, strict=False):
        source = " ".join(text_of.get(i, "") for i in ids)
        new = " ".join(new.split())
        extra = overview_words(new) - overview_words(bullet)
        if new and grounded(new, source) and used + extra <= budget:
            out.append(new if new.endswith((".", "!")) else new + ".")
            used += extra
        else:
            out.append(bullet)
    return out + bullets[len(out) :]
