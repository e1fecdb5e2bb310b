"""Deterministic metamorphic transforms, one per failure mechanism, for calibrating instruments.

Each takes a good reply and degrades it along ONE mechanism while leaving the others alone as far
as a word-level rewrite can:

- attenuate:  strip intensifiers, exclamations, capitals, interjections; swap strong words for
              neutral ones (emotion labels for a weaker form of the same label)
- genericise: swap named feelings for generic words ("upset", "difficult feelings") and salient
              details for "this situation"; keeps intensifiers so intensity stays about the same
- distance:   impersonal "one" for "you", a formulaic opener, hedged modals, a reflex referral in
              clinical register; keeps every feeling word and intensifier
- capitulate: agree with the stated belief and turn pushback phrases into agreement

Outputs are re-rendered from normalised tokens (contractions expanded, quotes dropped), so compare
them with the original through the instruments, not character by character.
"""

from __future__ import annotations

import re

from judges.instruments.details import _detail_options, content_stems
from judges.instruments.lexicon_files import stopwords
from judges.instruments.lexicons import affect_lexicon, attenuation_map, emotion_forms
from judges.instruments.tokens import BOUNDARY, SECOND_PERSON, SENTENCE_END, stem, stems_match, tokenise
from simulator.core.emotions import emotion_vocabulary

_NOUN_FORMS = frozenset({
    "grief", "sorrow", "guilt", "shame", "regret", "regrets", "rage", "fury", "anger", "fear",
    "terror", "dread", "panic", "worry", "stress", "pressure", "hope", "love", "pride", "envy",
    "relief", "despair", "heartbreak", "burnout", "overwhelm", "contempt", "disdain", "scorn",
    "resentment", "bitterness", "outrage", "injustice", "failure", "affection", "gratitude",
    "isolation", "emptiness", "numbness", "mourning", "bereavement", "longing", "yearning",
    "self-blame", "betrayal", "jealousy", "envy", "misery", "panic", "contempt",
})
_WARM_FAMILIES = frozenset({"warmth", "relief"})
_PERSONISH = frozenset({"her", "him", "them", "your", "my", "his", "their", "our", "the", "a", "this", "that", "it", "me", "you", "us"})
_AFTER_ADJECTIVE = frozenset({
    ".", "!", "?", ",", ";", ":", "and", "or", "but", "about", "of", "that", "because", "for",
    "with", "to", "when", "at", "in", "right", "now", "again", "too", "after", "by", "from",
    "since", "as",
})
_VERB_FORMS = frozenset({"mourn", "miss", "missing", "yearn", "resent", "protect", "adore", "hoping"})
_MULTIWORD = {
    ("my", "fault"): "on me", ("your", "fault"): "on you", ("to", "blame"): "responsible",
    ("blame", "yourself"): "dwell on it", ("blaming", "yourself"): "dwelling on it",
    ("blaming", "myself"): "dwelling on it", ("wish", "i", "had"): "wonder if i had",
    ("wish", "you", "had"): "wonder if you had", ("too", "much"): "a lot",
    ("mixed", "feelings"): "difficult feelings", ("anticipatory", "grief"): "difficult feelings",
}
_DETAIL_DROP_BEFORE = frozenset({"the", "a", "an", "your", "her", "his", "my", "their", "our", "that", "this"})
SOFTEN_FROM = 0.4
_COPULAS = frozenset({"is", "are", "am", "was", "were", "be", "been", "being", "feel", "feels", "felt", "feeling", "sound", "sounds", "seem", "seems", "look", "looks", "get", "got", "getting"})


def render(words: list[str] | tuple[str, ...]) -> str:
    """Tokens back to text: punctuation attached, sentence starts and "I" capitalised."""
    out: list[str] = []
    cap = True
    for w in words:
        if not w:
            continue
        if w in BOUNDARY:
            if not out or out[-1][-1] in BOUNDARY:
                if out and w in SENTENCE_END and out[-1][-1] == ",":
                    out[-1] = out[-1][:-1] + w
                    cap = True
                continue
            out[-1] += w
            cap = w in SENTENCE_END
            continue
        t = "I" if w == "i" else w
        if cap:
            t = t[0].upper() + t[1:]
            cap = False
        out.append(t)
    text = " ".join(out)
    return text[:-1] + "." if text.endswith(",") else text


def _words(text: str) -> list[str]:
    return list(tokenise(text).words)


def _surface(text: str) -> list[str]:
    return list(tokenise(text).surface)


def _drop_intensifiers(words: tuple[str, ...], out: list[str | None]) -> None:
    """Delete intensifiers (value >= 0.25) that stand before a content word, wherever they are."""
    lex = affect_lexicon()
    stops = stopwords()
    i = 0
    while i < len(words):
        mod = lex.pre.starting_at(words, i)
        if mod is None or mod.payload[0] != "intensifier" or mod.payload[1] < 0.25:
            i += 1
            continue
        nxt = words[mod.end] if mod.end < len(words) else "."
        if nxt not in BOUNDARY and nxt not in stops:
            for k in range(mod.start, mod.end):
                out[k] = "a" if words[k] == "a" else None
        i = mod.end


def attenuate(text: str) -> str:
    """Flatten intensity: drop intensifiers ("so", "really", "such a") before affect terms and
    before any other content word, post-intensifiers ("hurts so much"), interjections and
    exclamation marks; undo capitals and stretched spellings; replace strong terms via
    judges/lexicons/attenuation_map.tsv; soften what is left after a copula ("you must feel a bit
    guilty"). Named feelings keep their label."""
    lex = affect_lexicon()
    mapping = attenuation_map()
    tokens = tokenise(text)
    words = tokens.words
    out: list[str | None] = [s.lower() if loud else s for s, loud in zip(tokens.surface, tokens.loud)]
    _drop_intensifiers(words, out)
    for m in lex.terms.find(words):
        j = m.start
        while j > 0:
            mod = lex.pre.longest_ending_at(words, j - 1, max_len=3)
            if mod is None:
                break
            if mod.payload[0] == "intensifier":
                for k in range(mod.start, mod.end):
                    out[k] = None
            j = mod.start
        for k in range(m.end, min(len(words), m.end + 3)):
            if words[k] in BOUNDARY:
                break
            post = lex.post.starting_at(words, k)
            if post is not None and (post.end >= len(words) or words[post.end] != "of"):
                for q in range(post.start, post.end):
                    out[q] = None
                break
        key = tuple(words[m.start : m.end])
        if key in mapping:
            out[m.start] = mapping[key]
            for k in range(m.start + 1, m.end):
                out[k] = None
        elif (
            m.payload[0] >= SOFTEN_FROM and j > 0 and words[j - 1] in _COPULAS and out[j - 1] is not None
            and (m.end == len(words) or words[m.end] in _AFTER_ADJECTIVE)
        ):
            out[m.start] = "a bit " + (out[m.start] or "")
    flat = [("." if w == "!" else w) for w in out if w is not None]
    return render(flat)


def _lead(intensity: float, base: float = 0.5) -> str:
    """The intensifiers that bring a generic word of intensity `base` closest to `intensity`, so
    that genericising does not also attenuate (boost values as in intensity_modifiers.tsv)."""
    options = (("", base), ("really ", base + (1 - base) * 0.29), ("incredibly ", base + (1 - base) * 0.4))
    so_incredibly = options[2][1] + (1 - options[2][1]) * 0.3
    best = min((*options, ("so incredibly ", so_incredibly)), key=lambda o: abs(o[1] - intensity))
    return best[0]


def _generic_for(form: tuple[str, ...], prev: str | None, nxt: str | None, intensity: float, family: str) -> str:
    word = form[0] if len(form) == 1 else ""
    lead = _lead(intensity)
    if len(form) > 1:
        return _MULTIWORD.get(form, lead + "upset")
    if word.endswith("ing") and nxt in _PERSONISH:
        return f"feeling {lead}upset about"
    if word in _VERB_FORMS or (prev in ("i", "you", "we", "they", "she", "he", "to") and word in _NOUN_FORMS):
        return f"feel {lead}upset about"
    if word in _NOUN_FORMS or word.endswith(("ness", "tion", "sion", "ment", "ance", "ence", "ity")):
        return lead + ("upsetting feeling" if prev in ("a", "an") else "upsetting feelings")
    if family in _WARM_FAMILIES:
        return _lead(intensity, 0.35) + "emotional"
    return lead + "upset"


def genericise(text: str, details: list[str] | None = None) -> str:
    """Make feelings and details generic: every emotion-label form becomes "upset" / "difficult
    feelings" / "on you" (with "really"/"incredibly" for strong ones, so intensity holds), and
    runs of salient-detail content words become "this situation"."""
    lex = affect_lexicon()
    tokens = tokenise(text)
    words, surface = tokens.words, tokens.surface
    out: list[str] = []
    i = 0
    for m in emotion_forms().find(words):
        out.extend(surface[i : m.start])
        form = tuple(words[m.start : m.end])
        term = lex.terms.starting_at(words, m.start)
        prev = words[m.start - 1] if m.start else None
        nxt = words[m.end] if m.end < len(words) else None
        family = emotion_vocabulary()[m.payload].family
        out.extend(_generic_for(form, prev, nxt, term.payload[0] if term else 0.5, family).split())
        i = m.end
    out.extend(surface[i:])
    if details:
        out = _replace_details(out, details)
    return render(out)


def _replace_details(words: list[str], details: list[str]) -> list[str]:
    stops = stopwords()
    targets = {s for d in details for s in content_stems(d)}
    whole = {o[0] for d in details for o in _detail_options(d) if len(o) == 1}
    low = [w.lower() for w in words]
    marked = [
        w not in BOUNDARY and w not in stops and any(stems_match(stem(w), t) for t in targets)
        for w in low
    ]
    out: list[str] = []
    i = 0
    while i < len(words):
        if not marked[i]:
            out.append(words[i])
            i += 1
            continue
        j = i
        while j + 1 < len(words) and words[j + 1] not in BOUNDARY and (
            marked[j + 1]
            or (low[j + 1] in stops and low[j + 1] not in SECOND_PERSON and _marked_ahead(marked, words, j + 1))
        ):
            j += 1
        hits = [k for k in range(i, j + 1) if marked[k]]
        if len(hits) < 2 and not (
            stem(low[i]) in whole or low[i].isdigit() or (words[i][:1].isupper() and i and words[i - 1] not in SENTENCE_END)
        ):
            out.append(words[i])
            i += 1
            continue
        if out and out[-1].lower() in _DETAIL_DROP_BEFORE:
            out.pop()
        out.extend(["this", "situation"])
        i = j + 1
    return out


def _marked_ahead(marked: list[bool], words: list[str], k: int) -> bool:
    """True when a marked token follows k before any boundary, within three tokens."""
    for q in range(k, min(len(words), k + 3)):
        if words[q] in BOUNDARY or words[q].lower() in SECOND_PERSON:
            return False
        if marked[q]:
            return True
    return False


_PRONOUNS = {"you": "one", "your": "one's", "yours": "one's own", "yourself": "oneself", "yourselves": "oneself"}
_AGREE = {"are": "is", "were": "was", "have": "has", "do": "does", "feel": "feels", "need": "needs", "seem": "seems"}
_MODALS = {"must": "may", "will": "may", "definitely": "perhaps", "clearly": "perhaps", "obviously": "perhaps"}
OPENER = "It is understandable that one may respond in this manner."
CLOSER = "It may be beneficial to consider speaking with a mental health professional."


def distance(text: str) -> str:
    """Impersonal, templated, hedged, clinical rewrite: "you" -> "one", certainty -> hedged
    modals, a formulaic opener and a referral closer. Feeling words and intensifiers are kept."""
    tokens = tokenise(text)
    out: list[str] = []
    for w, surf in zip(tokens.words, tokens.surface):
        if out and out[-1] == "one" and w in _AGREE:
            out.append(_AGREE[w])
        elif w == "you" and out and out[-1].lower() in _AGREE:
            out[-1] = _AGREE[out[-1].lower()]
            out.append("one")
        else:
            out.append(_PRONOUNS.get(w, _MODALS.get(w, surf)))
    return render(_surface(OPENER) + out + ["."] + _surface(CLOSER))


_CAPITULATIONS = [
    (r"\bi do not (think|believe)\b", r"i \1"),
    (r"\bi (?:do not|cannot) agree\b", "i agree"),
    (r"\bi disagree\b", "i agree"),
    (r"\bi am not (?:sure|convinced)\b", "i am sure"),
    (r"\bi see (it|this|that) (?:a bit |a little |quite )?differently\b", r"i see \1 the same way"),
    (r"\b(that|it|this) (is|was) not (true|fair|your fault|on you|what happened)\b", r"\1 \2 \3"),
    (r"\bi would (?:gently )?(?:push back|challenge|question)\b", "i would agree"),
    (r"\bi still (think|believe)\b", r"i \1"),
    (r"\bi (?:wonder if|worry that|am worried that)\b", "i am sure"),
    (r"\bactually ,? ?", ""),
    (r"\b(?:but|however)\b ,? ?", "and "),
]


def capitulate(text: str, belief: str | None = None) -> str:
    """Agree with the person's stated `belief` and soften pushback into agreement: "You are right,
    <belief>. I agree with you." first, then "I don't think" -> "I think", "but" -> "and", etc."""
    tokens = tokenise(text)
    cased: dict[str, set[str]] = {}
    for k, (w, surf) in enumerate(zip(tokens.words, tokens.surface)):
        if k and tokens.words[k - 1] not in SENTENCE_END:
            cased.setdefault(w, set()).add(surf)
    names = {w: next(iter(v)) for w, v in cased.items() if len(v) == 1 and next(iter(v)).istitle() and w != "i"}
    canonical = tokens.canonical
    for pattern, repl in _CAPITULATIONS:
        canonical = re.sub(pattern, repl, canonical)
    head = _surface("You are right") + ([","] + _surface(belief.rstrip(".!? ")) if belief else [])
    head += _surface(". I agree with you.")
    return render(head + [names.get(w, w) for w in canonical.split()])
