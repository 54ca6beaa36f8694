"""What the extractor listens for, as data: word sets and phrase lists, one kind of speech each.

Entries are lower-case phrases or small regular-expression fragments. The patterns built from
them (cues.py, dates.py) try the entries in the order given, so a longer phrase comes before a
phrase it starts with when both could fit. Matching ignores case unless the list says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable


def alt(phrases: Iterable[str]) -> str:
    """One regular-expression group that matches any of the phrases."""
    return "(?:" + "|".join(phrases) + ")"


def _split(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------- word sets

# Words that carry no topic: function words, fillers and the grammar of promises.
STOP = _split(
    """a an the and or but if then than so of to in on at by for from with about into onto over under up down out
    off is are was were be been being am do does did done have has had having will would shall should can could may
    might must it its it's this that these those there here their they them we us our you your he him his she her i
    me my mine ours yours who whom whose which what when where why how all any each both few more most other some
    such no nor not only own same too very just also as per via until till before after again once now let let's
    get got make made going go i'll i'm i'd i've we'll we're you'll it'll that's what's there's don't can't won't
    yes yeah okay ok sure well really actually maybe right myself yourself itself one thing things"""
)
# Words that run a conversation rather than name its topic (thanking, opinions, the meeting
# itself): the overview weighs them little when it chooses what to keep.
CHATTER = _split(
    """thank thanks good great nice fine perfect excellent think thought guess feel felt know knew want wanted
    like liked need needed sound sounds happy glad sorry hope mean say said says tell told ask asked mention
    mentioned talk discuss agree agreed decision decide quick quickly time lot side recap everyone everybody
    anyone someone somebody meeting call today already still much many little bit work works"""
)
# Words of dates and times: a date alone is not a topic.
TIME_WORDS = _split(
    """today tonight tomorrow morning afternoon evening week month quarter year day end next this monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july august september october
    november december first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
    thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth"""
)
# Verbs that carry no task on their own: a promise to "do that" or "handle those".
LIGHT_VERBS = _split("do handle take have own cover sort manage deal work look")
# Words after a light verb that still name no task: promising to have it "ready" or "sorted".
LIGHT_STATES = ("ready", "sorted", "covered", "finished")
# A promise whose verb is about the meeting itself (talking, listing, waiting), not about work.
META_VERBS = _split(
    """be come talk say tell start go keep leave let see think hear list recap explain mention walk repeat
    summarize hand admit stop wait check-in"""
)
# "I can <verb>" that states an opinion or a feeling rather than offering work.
CAN_META = _split("confirm agree understand imagine live promise relate assure guess tell")
# Words of quantities: sentences with figures are the facts of a meeting.
NUMBER_WORDS = _split(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion
    percent half double dollars"""
)

# A capitalised word: a name said in the conversation.
NAME = r"[A-Z][a-z]+"

# --------------------------------------------------------------------------- promises

# The speaker promising or offering work in the first person (future, hedged, or an offer).
PROMISE_OPENERS = (
    r"I(?:'ll| will| shall)(?! be able)",
    r"I should be able to",
    r"I'm (?:going to|gonna)",
    r"I(?: can|'m happy to|'d be happy to)(?!'t| not)",
)
# Adverbs between a promise and its verb.
PROMISE_ADVERBS = ("also", "just", "then", "still", "definitely", "personally")
# A second first-person promise in the same sentence, which starts a task of its own.
NEXT_PROMISE = r"I(?:'ll| will|'m going to|'m gonna)"
# Putting one's own name on a list of work: "... for <the task>".
SIGN_ME_UP = ("put me down", "sign me up", "count me in", "pencil me in")
# Claiming the thing just mentioned, without naming it.
TAKING_IT = (r"\bI'm (?:taking|handling|doing|on) (?:it|that|this)\b", r"\bleave it with me\b", r"^on it\b")
# Volunteering for the thing just mentioned, in the many ways people say it.
VOLUNTEERING = (
    r"\bI(?:'ll| will| can|'m happy to|'d be happy to|'d like to) (?:take|do|own|handle|grab) "
    r"(?:it|that|this|that one|this one|care of it)\b",
    r"\bI'm (?:taking|handling|doing) (?:it|that|this)\b",
    r"\bleave it (?:with|to) me\b",
    r"\bthat's on me\b",
    r"\blet me (?:take|do|handle|grab|own) (?:it|that|this|that one|this one)\b",
    r"\b(?:that|this|that one|this one)(?:'s| is) mine\b",
)
# Verbs of real work after "let me" (checking who is in the call is not work). Case-sensitive.
LET_ME_WORK_VERBS = (
    "take", "handle", "own", "send", "write", "draft", "book", "schedule", "follow up", "update", "fix",
    "set up", "prepare", "call", "email", "contact", "reach out", "ping", "organize", "put together",
    "look into", "investigate", "order", "run", "pull", "review", "chase", "ring", "sort out", "figure out",
    "work out", "dig into", "find", "build", "test", "raise", "file",
)  # fmt: skip
# A tentative offer ("I could ..."): work only once someone takes it up.
TENTATIVE = r"I (?:could|might|may) (?:also )?"
# Replies that take up an offer.
TAKE_UPS = (
    "yes", "yeah", "please do", "please", "sure", "good idea", "great idea", "do it", "go for it",
    "that would be (?:great|helpful|amazing)",
)  # fmt: skip
# Saying what one meant to do before handing it over ("I was going to ..."); the work follows.
INTENT = (
    r"\bI (?:was|am|'m) (?:going|gonna|planning|meaning|meant|supposed) to (?P<c>[^.!?]+)",
    r"\bI was gonna (?P<c2>[^.!?]+)",
)
# A wish or plan said just before "I'll handle it": it names the work. Case-sensitive.
WISH = r"\bI (?:want|need|have|plan|'d like|would like) to (?P<c>[^.!?]+)"
# Running the meeting, which is not work: opening it, closing it, coming back to a point.
MEETING_RUNNING = (r"\b(?:call|bring) (?:the|this) meeting to order\b", r"\badjourn\b")
COMING_BACK = r"(?:look|come back|get back) to (?:that|this|it)\b"

# --------------------------------------------------------------------------- requests

# Asking a person (or anyone) for work as a question: "can you ...?", "could Maria ...?". Case-sensitive.
REQUEST_MODALS = ("[Cc]an", "[Cc]ould", "[Ww]ill", "[Ww]ould")
# Asking the room rather than a person.
ANYONE = ("somebody", "someone", "anyone", "anybody")
# Softening words between the question and its verb.
SOFTENERS = ("please", "also", "maybe", "just")
# Asking it the other way round, "you'll send ...?", "you okay to ...?", "any chance you could ...?".
YOU_WILL = (
    "'ll",
    " will",
    " could",
    " can",
    "(?:'re| are)? (?:okay|ok|alright|good|able|free|happy) to",
    " to",
)
# Handing work over as a question: "can I leave <it> with you?".
HAND_OVER_VERBS = ("leave", "hand", "give")
HAND_OVER_TAILS = (" with you", " to you", " over to you")
# Words at the front of a request that ask for ability, not work ("would you be able to ...").
ABLE_TO = ("be able to", "be okay to", "be ok to")
# Questions that ask for information or for the floor, not for work.
ASKS_FOR_TALK = (
    "give us", "tell us", "tell me", "remind (?:me|us)", "explain", "clarify", "describe", "show (?:me|us)",
    "walk us", "share your", "start", "go first", "repeat", "hear", "see",
)  # fmt: skip
# A question word before a request about a task already named: it asks for a date.
QUESTION_WORDS = ("when", "what", "how", "where", "why", "which")
# "<Name> will take it": a colleague taking over the latest item. Case-sensitive.
TAKING_OVER_VERBS = ("take", "handle", "do", "own", "cover")
# Giving a task to someone else in place of its owner.
HANDOVER = (r"\binstead\b", r"\btake (?:\w+ )?over\b")
# The asker taking a request back.
WITHDRAWALS = ("never mind", "forget it", "actually,? no")
# A later part of the same day, which does not change a date asked for that day.
SAME_DAY = ("this (?:morning|afternoon|evening)", "tonight")

# --------------------------------------------------------------------------- replies

# Sounds before an answer ("mm, fine").
HESITATIONS = ("mm+", "hmm+", "um+", "uh+", "oh", "ah", "well", "erm")
# Saying yes to a request.
ACCEPTANCES = (
    "yes", "yeah", "yep", "yup", "sure", "fine", "alright", "all right", "go on then", "why not", "of course",
    "absolutely", "definitely", "certainly", "gladly", "will do", "on it", "ok(?:ay)?", "happy to",
    "no problem", "can do", "you bet", "for sure", "consider it done", "i can", "i'll", "i will", "i'm on it",
    "i'm happy", "sounds good",
)  # fmt: skip
# Saying no to a request, or not having the time for it.
DECLINES = (
    "I'd rather not",
    "I (?:really |just |honestly |simply )?(?:can't|cannot|won't)",
    "not this (?:time|week)",
    "I don't have (?:the )?time",
    "I'm (?:too )?(?:swamped|stretched|overloaded)",
    "no,? I",
)
# "No ..." that is not a refusal ("no problem", "no rush").
NOT_A_NO = ("problem", "worries", "rush")
# Turning down an offer or a plan right after it was made.
REJECTIONS = (
    "please,? no",
    "let's not",
    "i'd rather not",
    "not (?:now|yet|this time|for this)",
    "we're not",
    "don't",
)
# Work that is already done.
ALREADY_DONE = (
    "already", "it's done", "that's done", "is done", "was done", "that's closed", "so that's closed",
    "finished it", "took care of",
)  # fmt: skip
# Leaving work for later: not an item of this meeting.
POSTPONING = ("revisit", "at some point", "someday", "some day", "maybe later", "next year", "next quarter")
# Words that rule a sentence out as the topic of a task: past, refused, replaced or postponed work.
NOT_CONTEXT = (
    "finished", "yesterday", "last week", "not", "no", "never", "instead", "rather", "forget", "scrap",
    r"postpone\w*", "revisit", "next quarter", "next year",
)  # fmt: skip
# Pronouns that point back at a task named earlier, after at most two words.
POINTERS = ("it", "that", "this", "those", "them", "these", "both", "all of them", "that one", "this one")

# --------------------------------------------------------------------------- recaps

# Opening a recap of who does what.
RECAP_OPENERS = ("recap", "to summari[sz]e", "action items", "next steps", "to wrap up", "so to sum up")
# Connectives at the start of a recap line.
RECAP_LEAD_INS = ("and ", "then ", "also ", "so ", "finally,? ")
# Verbs a recap line uses with "I" for the speaker's own work (other verbs need "I will").
RECAP_I_VERBS = (
    "send",
    "run",
    "take",
    "write",
    "do",
    "book",
    "share",
    "fix",
    "update",
    "own",
    "draft",
    "call",
)
# Verbs of a recap line that describe someone rather than assign work.
RECAP_NOT_WORK = ("is", "was", "has", "does", "says", "thinks", "seems")
# Correcting what was said.
CORRECTIONS = (
    "actually", "sorry", "I said", "I told you wrong", "correction", "I meant", "make that", "scratch that",
)  # fmt: skip
# Taking back a date: the date after these is the old one.
TAKEN_BACK = ("not", "I said", "instead of", "rather than")

# --------------------------------------------------------------------------- clauses

# A new subject after a comma ends the task ("fix the login page, I wrote it").
NEW_SUBJECTS = (
    "I", "I'm", "I've", "I'd", "we", "we're", "you", "he", "she", "they", "it's", "that's", "because", "since",
    "but",
)  # fmt: skip
NEW_SUBJECTS_AFTER_BUT = ("I", "I'm", "I've", "I'd", "we", "we're", "they", "it's")
# Tags and fillers that end a task.
TRAILING_TAGS = ("okay", "right", "alright", "too", "as well", "then", "if that works", "I think")
TRAILING_FILLERS = ("and", "or", "um+", "uh+", "er")
# Words in front of the verb of a task.
LEADING_WORDS = ("also", "just", "then", "go ahead and", "try to", "mind")

# --------------------------------------------------------------------------- decisions

# The group settling something: deciding, going with, holding, dropping, tabling.
DECISIONS = (
    r"\bdecision(?: is|:)",
    r"\bdecided\b",
    r"\bwe(?:'re| are) going (?:with|ahead with)\b",
    r"\bgoing forward with\b",
    r"\bwe(?:'ll| will)? (?:go|stay|stick|keep|cut|launch|drop|move|freeze|pause|hold|skip|table|park)\b",
    r"\b(?:is|are|be) (?:tabled|shelved|deferred|parked|on hold)\b",
    r"\bnot going to (?:pursue|do)\b",
    r"\bwe'?re not (?:\w+ing)\b",
    r"\bwe are not \w+ing\b",
    r"\b(?:stays|waits until|is postponed|is not part of|we postpone|we'll postpone|it is\.$)",
    r"^(?:okay|ok|so|then|agreed|fine|right)?,? ?no (?!problem|worries|need to worry)[a-z]+ [a-z]+",
    r"\bagreed,",
    r"\bI want a (?:freeze|stop|cap|limit)\b",
    r"\bwe won't\b",
    r"\bis enough\b",
)
# "Let's <verb>" is a decision unless it runs the meeting: these verbs do.
LETS_NOT_DECISIONS = (
    r"get\b", "go through", "move on", "move to", "start", "keep this", "keep it (?:quick|short|brief|moving)",
    "hear", "walk", "see", "begin", "talk", "do that at", "get this", "take a", "look", "recap", "wrap",
    "continue", "come back", "jump", "dive", "check", "discuss", "put a pin",
)  # fmt: skip
# Agreeing to what the previous speaker proposed.
AGREEMENTS = ("agreed", "deal", "works for me", "fine by me")
# A decision about "that": the sentence before says what it was.
DOING_THAT = r"\b(?:doing|do|doing it|buying) (?:that|it|this)\b"
# Noting something down ("let's put X in the FAQ"): a note, not a decision.
NOTE_VERBS = ("put", "add", "note", "write", "capture", "track", "log", "park")
NOTE_PLACES = (
    "list", "faq", "doc", "document", "notes", "agenda", "backlog", "ticket", "board", "tracker",
    "parking lot", "wiki",
)  # fmt: skip
# Words in front of a decision that are not part of it.
DECISION_LEAD_INS = ("okay", "ok", "so", "then", "fine", "right", "good", "great", "yes", "agreed")
# Words in front of a proposal that are not part of it ("but I think ...").
PROPOSAL_LEAD_INS = r"^(?:but|and|so) (?:I think )?"

# --------------------------------------------------------------------------- summary

# Whole sentences that only acknowledge.
FILLERS = (
    "thanks", "thank you", "okay", "ok", "great", "good", "perfect", "sounds good", "fair enough", "got it",
    "nice", "sure", "right", "yes", "no problem",
)  # fmt: skip
# Sentences that run the meeting (handing over, asking for questions).
MEETING_TALK = ("let's", "let me", "over to you", "that's all", "any (?:other|questions)")
# Words of causes and outcomes, which make a sentence worth keeping.
OUTCOMES = (
    "because", "cause", "so that", "due to", "blocked", "blocker", "over", "under", "finished", "fixed",
    "done", "failed", "expired", "decided",
)  # fmt: skip
