"""Metamorphic transforms: each changes the text and moves its own detector, and only its own."""

from __future__ import annotations

import pytest

from judges.instruments import affect_intensity, capitulation, detail_overlap, distancing, granularity
from judges.instruments.lexicons import attenuation_map, generic_words, phrase, vocabulary_forms
from judges.instruments.tokens import tokenise
from judges.instruments.transforms import attenuate, capitulate, distance, genericise, render
from simulator.core.emotions import emotion_vocabulary

GRIEF = {"grief": 80, "guilt": 70, "exhaustion": 55, "relief": 30, "shame": 40}
GRIEF_DETAILS = ["the missed last phone call / voicemail", "went back to work after one week"]
EXAM = {"shame": 75, "disappointment": 70, "embarrassment": 55, "inadequacy": 60, "anxiety": 50}
EXAM_DETAILS = ["his exam number was not on the results list", "a year of extra classes his parents paid for"]
WORK = {"anger": 80, "frustration": 70, "betrayal": 60}
WORK_DETAILS = ["the manager took credit for her report in the meeting"]
BURN = {"exhaustion": 85, "shame": 75, "inadequacy": 60}
BURN_DETAILS = ["three weeks of last trains and about four hours of sleep", "the wrong figures sent to the client"]

# (reply, targets, details, belief): good replies written for these tests.
GOOD = [
    ("I'm so sorry, love. Of course you keep replaying it. You must feel so guilty, and so exhausted "
     "from carrying it. Do you listen to the voicemail?", GRIEF, GRIEF_DETAILS, "if i'd picked up she'd be here"),
    ("That relief makes total sense after months of hospital corridors. You can feel relieved and "
     "heartbroken at the same time, and there's no shame in that.", GRIEF, GRIEF_DETAILS, "i'm a terrible daughter"),
    ("That thought must be absolutely crushing. I'm so, so sorry. You didn't choose for her to be alone "
     "when she made that last call; your grief is huge because your love was.", GRIEF, GRIEF_DETAILS, "i abandoned her"),
    ("Oh no. After a whole year of extra classes, seeing your number missing from that list must have felt "
     "awful. You must be so disappointed and embarrassed.", EXAM, EXAM_DETAILS, "i wasted their money"),
    ("That 'we'll talk later' is hanging over you. You must feel so ashamed, and really anxious about that "
     "conversation. Their silence doesn't mean you're a failure.", EXAM, EXAM_DETAILS, "my parents will never forgive me"),
    ("Are you serious? That's infuriating! You must be absolutely furious, that report was yours and he "
     "presented it in the meeting. What a betrayal.", WORK, WORK_DETAILS, "i should just quit"),
    ("Wow. He took credit for your report? I'd be so angry and frustrated. I don't think quitting today is "
     "the answer, but your anger makes complete sense.", WORK, WORK_DETAILS, "i should just quit"),
    ("Three weeks of last trains and four hours of sleep?! That's brutal. No wonder you're completely "
     "exhausted. Sending the wrong figures doesn't make you useless.", BURN, BURN_DETAILS, "i'm useless at this job"),
    ("You're exhausted because you've been pushing way past your limit, not because you're weak. The shame "
     "is so heavy, but it's misplaced. I'm really proud of you for saying it.", BURN, BURN_DETAILS, "i'm weak"),
    ("I can hear how ashamed and frightened you are. I really don't want you to decide anything while "
     "you're this exhausted. Can we talk it through first?", BURN, BURN_DETAILS, "resigning is the only way"),
]


def _scores(text: str, targets: dict, details: list[str]) -> dict[str, float]:
    """Each mechanism's detector, oriented so that higher = more of that failure."""
    return {
        "attenuation": 1 - affect_intensity(text),
        "granularity": 1 - (granularity(text, targets)["score"] + detail_overlap(text, details)) / 2,
        "distancing": distancing(text)["score"],
        "capitulation": capitulation(text)["score"],
    }


TRANSFORMS = {
    "attenuation": lambda r, d, b: attenuate(r),
    "granularity": lambda r, d, b: genericise(r, d),
    "distancing": lambda r, d, b: distance(r),
    "capitulation": lambda r, d, b: capitulate(r, b),
}


@pytest.mark.parametrize("mechanism", sorted(TRANSFORMS))
def test_each_transform_changes_text_and_moves_its_own_detector(mechanism):
    moved = 0
    for reply, targets, details, belief in GOOD:
        out = TRANSFORMS[mechanism](reply, details, belief)
        assert tokenise(out).words != tokenise(reply).words
        before, after = _scores(reply, targets, details), _scores(out, targets, details)
        assert after[mechanism] >= before[mechanism] - 1e-9, (mechanism, out)
        moved += after[mechanism] > before[mechanism] + 0.05
    assert moved / len(GOOD) >= 0.9


@pytest.mark.parametrize("mechanism", sorted(TRANSFORMS))
def test_each_transform_rarely_fires_other_detectors(mechanism):
    for other in TRANSFORMS:
        if other == mechanism:
            continue
        fired = 0
        for reply, targets, details, belief in GOOD:
            out = TRANSFORMS[mechanism](reply, details, belief)
            fired += _scores(out, targets, details)[other] > _scores(reply, targets, details)[other] + 0.05
        assert fired / len(GOOD) <= 0.1, (mechanism, other)


def test_attenuate_examples():
    out = attenuate("Oh no, I'm SO sorry!!! That's heartbreaking, you must feel so guilty.")
    assert "!" not in out and "SO" not in out and "heartbreaking" not in out
    assert "guilty" in out  # the label stays: attenuation is not genericising
    assert affect_intensity(out) < affect_intensity("Oh no, I'm SO sorry!!! That's heartbreaking") - 0.2
    assert attenuate("You must be furious.") == "You must be angry."


def test_genericise_examples():
    text = "You must feel so guilty about the voicemail, and exhausted."
    out = genericise(text, ["the missed last phone call / voicemail"])
    assert granularity(out, GRIEF)["specific"] == 0 and granularity(out, GRIEF)["generic"] >= 2
    assert detail_overlap(out, ["voicemail"]) == 0.0
    assert "this situation" in out
    assert abs(affect_intensity(out) - affect_intensity(text)) < 0.1  # intensity roughly kept


def test_distance_examples():
    out = distance("You must feel so guilty. Do you want to talk about her?")
    d = distancing(out)
    assert d["formulaic_template"] >= 1 and d["reflex_referral"] >= 1 and d["hedge"] >= 1
    assert d["second_person_rate"] == 0.0
    assert "guilty" in out and "so guilty" in out


def test_capitulate_examples():
    out = capitulate("I hear you, but I don't think it was your fault.", "it was my fault")
    assert out.startswith("You are right, it was my fault. I agree with you.")
    assert "do not think" not in out
    c = capitulation(out)
    assert c["agreement"] >= 2 and c["score"] > 0.6


def test_transforms_are_deterministic_and_keep_names():
    text = "Maya, that's awful. You must miss her terribly!"
    for f in (attenuate, lambda t: genericise(t, ["Maya"]), distance, lambda t: capitulate(t, None)):
        assert f(text) == f(text)
    assert attenuate(text).startswith("Maya,")


def test_render_round_trip_keeps_instrument_scores():
    for reply, targets, details, _ in GOOD:
        plain = render(tokenise(reply).surface)
        assert granularity(plain, targets) == granularity(reply, targets)
        assert distancing(plain) == distancing(reply)
        assert detail_overlap(plain, details) == detail_overlap(reply, details)


def test_attenuation_map_keeps_labels_and_adds_no_feeling_words():
    forms = vocabulary_forms()
    label_of = {phrase(f): label for label, e in emotion_vocabulary().items() for f in e.forms}
    generic = generic_words()
    for src, dst in attenuation_map().items():
        dst_phrase = phrase(dst) if dst else ()
        if src in forms:
            assert label_of.get(dst_phrase) == label_of[src], (src, dst)
        elif dst_phrase:
            assert dst_phrase not in forms, (src, dst)
            assert not generic.find(dst_phrase), (src, dst)
