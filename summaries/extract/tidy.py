"""Task texts as clean imperative phrases: the words said around a task ("re: <what was said
before>") stay out of the text unless the task needs them, and then they replace its pronoun."""

from __future__ import annotations

import re

from summaries.extract.text import cap, content

PART = " — "
RE_PREFIX = "re: "
# "Handle those myself", "Do that by tomorrow": a pronoun right after the verb, standing alone
_PRONOUN_RE = re.compile(
    r"^(?P<verb>\w+ )(?:those|these|them|it|that|this)"
    r"(?=\s*$|,|\s+(?:by|on|before|after|today|tomorrow|this|next|for|to|with|in|at|first)\b)",
    re.I,
)
# "We have six vendors that need a security review" -> "six vendors that need a security review"
# "It's a config push" -> "config push"
_THING_RE = re.compile(
    r"\b(?:we have|we've got|there are|there is|there's|it's|it is|this is|that's)\s+(?P<np>[^,;.?!]{3,})",
    re.I,
)
_CHAT_RE = re.compile(r"(?:that|then|so|ok|okay|yes|yeah|well|great|thanks|let's|it's|this)\b", re.I)
_OPENER_RE = re.compile(r"^(?:we have|we had|we've got|there are|there were|there is|there's)\s+", re.I)
_REFLEXIVE_RE = re.compile(r"\s+(?:myself|yourself|ourselves|himself|herself|themselves)\b", re.I)


def tidy_task(text: str) -> str:
    """``text`` as the extractor joins it ("<task> — <more> — re: <context>") made readable."""
    parts = [p.strip() for p in text.split(PART) if p.strip()]
    context = [p[len(RE_PREFIX) :] for p in parts if p.lower().startswith(RE_PREFIX)]
    said = [p for p in parts if not p.lower().startswith(RE_PREFIX)]
    if not said:
        return text
    main = _REFLEXIVE_RE.sub("", said[0])
    for ctx in context:
        thing = _thing(ctx)
        if thing and _PRONOUN_RE.search(main):
            main = _PRONOUN_RE.sub(lambda m, thing=thing: f"{m.group('verb')}the {thing}", main, count=1)
            break
        vague = bool(_PRONOUN_RE.search(main))
        about = _about(ctx) or (ctx.rstrip(".") if vague else "")
        if about and (vague or len(content(about) - content(" ".join(said))) >= 2):
            main = f"{main} (about {about})"
            break
    return PART.join([cap(main), *said[1:]])


def _about(context: str) -> str:
    """What the words before a task said it is about: their longest statement, without the
    conversational ones ("That helps me a lot", "Then the decision is ...", "Let's ...")."""
    statements = [
        s.rstrip(".!; ")
        for s in re.split(r"(?<=[.!?;])\s+", context)
        if not s.endswith("?") and not _CHAT_RE.match(s)
    ]
    if not statements:
        return ""
    longest = max(statements, key=lambda s: len(content(s)))
    return _OPENER_RE.sub("", longest)


def _thing(context: str) -> str:
    for sentence in re.split(r"(?<=[.!?;])\s+", context):
        m = _THING_RE.search(sentence)
        if m:
            return re.sub(r"^(?:the|a|an)\s+", "", m.group("np").strip(), flags=re.I)
    return ""
