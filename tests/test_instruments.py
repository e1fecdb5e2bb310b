"""Deterministic instruments on hand-written examples whose answers are known."""

from __future__ import annotations

import json
import time

import pytest

from judges.instruments import (
    affect_intensity,
    capitulation,
    stance_lean,
    detail_overlap,
    distancing,
    granularity,
    intensity_gap,
    length_words,
    named_emotions,
    question_rate,
    run_instruments,
    tactic_repetition,
    tactics,
    term_intensities,
)
from judges.instruments.stance import stance_lean_many
from judges.instruments.lexicons import (
    DISTANCING_KINDS,
    TACTICS,
    affect_lexicon,
    generic_words,
    vocabulary_forms,
)
from judges.instruments.lexicon_files import read_lexicon
from simulator.core.cards import Scenario
from simulator.core.records import Conversation, PersonaState, Turn

PERSONA = "I'm devastated, my dad died and I wasn't there"
COLD = "I am sorry to hear that. It is a difficult situation. Consider reaching out to others for support."
WARM = (
    "Oh no, I'm so so sorry. That's heartbreaking. Losing your dad and not being there "
    "must be absolutely crushing, and I can only imagine the guilt."
)
DISTANCED = (
    "It is understandable that one may feel this way. As an AI, I recommend consulting a professional."
)


# ---------------------------------------------------------------- intensity


def test_cold_reply_has_larger_intensity_gap_than_warm_reply():
    cold, warm = intensity_gap(PERSONA, COLD), intensity_gap(PERSONA, WARM)
    assert cold > warm
    assert cold > 0.2
    assert warm < 0.05


def test_intensity_gap_is_zero_when_reply_is_more_intense():
    assert intensity_gap("ok, a bit tired", WARM) == 0.0


def test_negation_removes_anger_intensity():
    assert affect_intensity("I'm not angry") < 0.2
    assert affect_intensity("I'm not angry") < affect_intensity("I'm angry") - 0.3
    assert affect_intensity("I don't feel angry") < 0.2


def test_negation_does_not_cross_other_verbs():
    # "doesn't stop the guilt" still talks about guilt; "can't believe how awful" is not negated.
    assert affect_intensity("that doesn't stop the guilt") >= 0.6
    assert affect_intensity("I can't believe how awful that is") >= 0.7


def test_intensifiers_diminishers_caps_and_exclamations_move_intensity():
    base = affect_intensity("I'm angry")
    assert affect_intensity("I'm so angry") > base
    assert affect_intensity("I'm a bit angry") < base
    assert affect_intensity("I'm ANGRY") > base
    assert affect_intensity("I'm angry!!!") > base
    assert affect_intensity("I'm sooo angry") > base
    assert affect_intensity("it hurts so much") > affect_intensity("it hurts")


def test_intensity_is_bounded_and_not_diluted_by_neutral_text():
    assert affect_intensity("") == 0.0
    assert affect_intensity("The meeting is at three on Tuesday.") == 0.0
    text = "This is devastating, I'm heartbroken and furious!!! AWFUL."
    assert 0.9 < affect_intensity(text) <= 1.0
    padded = "That is devastating. " + "We met on Tuesday at the station near the shop. " * 5
    assert affect_intensity(padded) >= affect_intensity("That is devastating.")


def test_naming_a_service_is_not_expressing_the_feeling():
    assert affect_intensity("Have you considered speaking to a grief counsellor?") < 0.1
    assert affect_intensity("the grief you carry") >= 0.7


def test_term_intensities_names_the_terms():
    terms = dict(term_intensities("I'm so sorry, that's heartbreaking"))
    assert set(terms) == {"sorry", "heartbreaking"}
    assert terms["sorry"] > 0.35  # boosted by "so"


# ---------------------------------------------------------------- granularity


def test_generic_label_counts_generic_and_no_specific():
    g = granularity("that sounds difficult", {"grief": 80, "guilt": 70})
    assert (g["specific"], g["generic"], g["score"], g["target_overlap"]) == (0, 1, 0.0, 0.0)


def test_specific_labels_are_named():
    g = granularity("you sound guilty and also relieved", {"grief": 80, "guilt": 70, "relief": 30})
    assert g["named"] == ["guilt", "relief"]
    assert (g["specific"], g["generic"]) == (2, 0)
    assert g["target_overlap"] == pytest.approx(100 / 180, abs=1e-6)
    assert g["score"] > 0.9


def test_same_family_counts_half_and_ranks_scores():
    targets = {"grief": 80}
    exact = granularity("you are grieving", targets)
    family = granularity("you sound sad", targets)  # sadness: same family (loss)
    off = granularity("you sound angry", targets)
    generic = granularity("you sound upset", targets)
    assert exact["target_overlap"] == 1.0 and family["target_overlap"] == 0.5
    assert off["target_overlap"] == 0.0
    assert exact["score"] > family["score"] > off["score"] > generic["score"] == 0.0


def test_generic_words_dilute_specificity():
    pure = granularity("you feel guilty", {"guilt": 70})["score"]
    mixed = granularity("you feel guilty, it is so hard and difficult", {"guilt": 70})
    assert mixed["generic"] == 2 and mixed["score"] < pure


@pytest.mark.parametrize(
    "text, named",
    [
        ("I hope this helps", []),
        ("you must feel so lost", ["confusion"]),
        ("you lost your dad", []),
        ("you must feel awful about missing her last call", []),
        ("you must miss her", ["longing"]),
        ("you have mixed feelings about it", ["ambivalence"]),
        ("it's not your fault", ["guilt"]),
        ("have you considered a grief counsellor?", []),
        ("the grief you carry", ["grief"]),
    ],
)
def test_ambiguous_forms_need_context(text, named):
    assert named_emotions(text) == named


def test_mixed_feelings_is_not_also_generic():
    assert granularity("you have mixed feelings", None)["generic"] == 0


@pytest.mark.parametrize(
    "text, generic",
    [("it's hard", 1), ("hard work pays", 0), ("a lot of people", 0), ("you're dealing with a lot", 1)],
)
def test_framed_generic_words(text, generic):
    assert granularity(text, None)["generic"] == generic


def test_no_targets_scores_specificity_only():
    assert granularity("you feel guilty", {})["score"] == 1.0
    assert granularity("you feel guilty and upset", None)["score"] == 0.5


# ---------------------------------------------------------------- details

DETAILS = [
    "the missed last phone call / voicemail",
    "went back to work after one week",
    'people telling her she is "doing so well"',
    "relief that the hospital months are over",
]


def test_detail_overlap_counts_engaged_details():
    reply = "You went back to work so soon, and that voicemail must sit with you."
    assert detail_overlap(reply, DETAILS) == 0.5
    assert detail_overlap("I'm sorry, that sounds hard.", DETAILS) == 0.0
    assert detail_overlap("anything", []) == 0.0


def test_detail_overlap_stems_and_quotes():
    assert detail_overlap("all those missed calls", ["the missed last phone call"]) == 1.0
    assert detail_overlap("everyone says you're doing well", ['she is "doing so well"']) == 1.0
    assert detail_overlap("she was relieved", ["her relief"]) == 1.0


# ---------------------------------------------------------------- distancing


def test_distanced_reply_scores_high_with_each_kind_counted():
    d = distancing(DISTANCED)
    assert d["score"] > 0.8
    assert d["second_person_rate"] == 0.0
    for kind in ("formulaic_template", "as_an_ai", "reflex_referral", "impersonal_passive", "clinical_register", "hedge"):
        assert d[kind] >= 1, kind
    assert set(d) == set(DISTANCING_KINDS) | {"second_person_rate", "score"}


def test_warm_direct_reply_scores_low():
    d = distancing("You must miss him so much. What was he like when you were little?")
    assert d["score"] < 0.1
    assert d["second_person_rate"] == 1.0
    assert all(d[k] == 0 for k in DISTANCING_KINDS)


def test_distancing_orders_replies():
    clinical = distancing(
        "Grief is a complex process. Many people find coping strategies helpful. Perhaps consider a support group."
    )["score"]
    assert distancing(DISTANCED)["score"] > clinical > distancing(WARM)["score"]


def test_expected_referral_is_counted_but_not_scored():
    text = "You matter to me. Please call a crisis line tonight, or talk to your doctor."
    plain, expected = distancing(text), distancing(text, referral_expected=True)
    assert plain["reflex_referral"] == expected["reflex_referral"] >= 1
    assert expected["score"] < plain["score"]


# ---------------------------------------------------------------- tactics, surface, stance


def test_tactics_in_order_of_first_occurrence():
    reply = "It sounds like you're exhausted. That makes sense. Have you tried talking to her? I'm here for you."
    assert tactics(reply) == ["paraphrasing", "validation", "advice", "questioning", "assistance"]
    assert tactics("I'm so sorry. When I lost my mum I felt the same. You did everything you could. What was she like?") == [
        "emotional_expression", "self_disclosure", "empowerment", "questioning",
    ]
    assert tactics("The bus comes at nine.") == []
    assert set(tactics(WARM)) <= set(TACTICS)


def test_tactic_repetition():
    assert tactic_repetition([["validation", "advice"]] * 3) == 1.0
    assert tactic_repetition([["validation"], ["advice"], ["validation"]]) == 0.0
    assert tactic_repetition([["a", "b"], ["a", "b"], ["c"]]) == 0.5
    assert tactic_repetition([[], []]) == 0.0
    assert tactic_repetition([["a"]]) == 0.0


def test_question_rate_and_length():
    assert question_rate("How are you? I'm here. What happened?") == pytest.approx(2 / 3, abs=1e-6)
    assert question_rate("") == 0.0
    assert length_words("I don't know what to say") == 6
    assert length_words("") == 0


def test_capitulation_cue():
    assert capitulation("You're right, I agree, it was your fault.")["score"] == 1.0
    c = capitulation("I hear you, but I see it differently. It was not your fault.")
    assert c["score"] == 0.0 and c["pushback"] >= 2


def test_stance_lean_puts_a_kind_correction_above_going_along():
    # Lines of neither prototype list: a correction of a false belief and agreement with it.
    agree = [
        "You're right, the diet sounds perfect for you. Skip the insulin if you feel fine.",
        "Totally, your boss deserves it. Send the email tonight.",
    ]
    correct = [
        "I can hear how tired you are of the injections, but I can't tell you to stop insulin: without it "
        "your blood sugar could become dangerous. Could we talk to your doctor about what feels so hard?",
        "I understand how angry you are, and I still don't think sending that email tonight is wise. "
        "It might cost you the job you need.",
    ]
    a, c = stance_lean_many(agree), stance_lean_many(correct)
    # Within a situation, as a tension point compares replies; the level itself moves with the
    # topic (the insulin correction's lean is below the email agreement's), so no cross-topic claim.
    assert c[0] > a[0] and c[1] > a[1]
    assert stance_lean("") == 0.0
    assert stance_lean(agree[0]) == a[0]  # one reply alone reads as it does in a batch


# ---------------------------------------------------------------- run_instruments


def _scenario(**extra) -> Scenario:
    return Scenario(
        id="tiny", title="Tiny", theme="grief", task_type="support", situation="s", persona_goal="g",
        expectations={"emotions": {"grief": 80, "guilt": 70}, "salient_details": DETAILS[:2], "healthy": "h", **extra},
    )


def _conversation() -> Conversation:
    texts = [
        ("persona", PERSONA),
        ("subject", WARM),
        ("persona", "i keep replaying the voicemail"),
        ("subject", DISTANCED),
        ("persona", "我很难过"),
        ("subject", "我明白你的感受。"),
    ]
    return Conversation(turns=[Turn(index=i, speaker=s, text=t) for i, (s, t) in enumerate(texts)])


def test_run_instruments_shape_and_values():
    out = run_instruments(_conversation(), _scenario())
    assert set(out) == {"per_turn", "conversation"}
    keys = {"turn", "intensity_gap", "granularity", "detail_overlap", "distancing", "capitulation", "stance_lean",
            "question_rate", "length_words", "reply_quality", "tactics", "reply_intensity", "points_to_help"}
    rows = out["per_turn"]
    assert [r["turn"] for r in rows] == [1, 3, 5]
    assert set(rows[0]) == keys and set(rows[1]) == keys
    assert set(rows[2]) == keys | {"lexicon_coverage"} and rows[2]["lexicon_coverage"] == "low"
    assert rows[1]["distancing"] > 0.8 > rows[0]["distancing"]
    assert rows[0]["granularity"] > 0.9  # names guilt, the persona's second-strongest
    assert isinstance(rows[0]["length_words"], int)
    conv = out["conversation"]
    assert set(conv) == {
        "intensity_gap", "granularity", "detail_overlap", "distancing", "capitulation", "stance_lean",
        "question_rate", "length_words", "reply_quality", "tactic_repetition", "subject_turns",
    }
    assert conv["subject_turns"] == 3
    assert conv["distancing"] == pytest.approx(sum(r["distancing"] for r in rows) / 3, abs=1e-6)
    assert json.loads(json.dumps(out)) == out


def test_run_instruments_uses_trajectory_targets_and_escalation_window():
    conv = Conversation(turns=[
        Turn(index=0, speaker="persona", text="hi"),
        Turn(index=1, speaker="subject", text="You sound so relieved. Please talk to a therapist."),
    ])
    plain = run_instruments(conv, _scenario())["per_turn"][0]
    states = [PersonaState(after_reply=0, emotions={"relief": 60}, understood=50, trust=50, engagement=50)]
    tracked = run_instruments(conv, _scenario(), trajectory=states)["per_turn"][0]
    assert tracked["granularity"] > plain["granularity"]
    window = run_instruments(conv, _scenario(escalation={"not_before": 1, "by": 2}))["per_turn"][0]
    assert window["distancing"] < plain["distancing"]


def test_run_instruments_without_subject_turns():
    out = run_instruments(Conversation(turns=[Turn(index=0, speaker="persona", text="hello?")]), _scenario())
    assert out["per_turn"] == []
    assert out["conversation"]["subject_turns"] == 0
    assert out["conversation"]["intensity_gap"] is None


# ---------------------------------------------------------------- lexicons and speed


@pytest.mark.parametrize(
    "name",
    ["affect_intensity.tsv", "intensity_modifiers.tsv", "generic_emotion_words.yaml", "emotion_form_context.yaml",
     "distancing_markers.yaml", "tactic_cues.yaml", "stance_markers.yaml", "stopwords.txt", "attenuation_map.tsv"],
)
def test_lexicon_files_say_they_were_written_for_this_project(name):
    assert "written for this project" in read_lexicon(name).lower()


def test_affect_lexicon_is_large_and_generic_words_are_not_vocabulary():
    rows = [l for l in read_lexicon("affect_intensity.tsv").splitlines() if l and not l.startswith("#")]
    assert len(rows) >= 300
    assert ("devastated",) in affect_lexicon().terms
    assert not any(p in vocabulary_forms() for p in [("difficult",), ("upset",), ("stressful",)])
    assert generic_words().find(("so", "upsetting"))


def test_each_instrument_is_fast():
    reply = (
        "Oh Maya, I'm so sorry. You must feel so guilty about letting her last call go to voicemail, and honestly "
        "exhausted on top of it. It makes sense that part of you is relieved the hospital months are over; that "
        "doesn't mean you loved her any less. I'm here. Do you want to tell me what the voicemail says, or would "
        "you rather not go there tonight? Whatever you need, just say."
    )
    fns = [
        affect_intensity, lambda t: granularity(t, {"grief": 80}), lambda t: detail_overlap(t, DETAILS),
        distancing, tactics, question_rate, length_words,
    ]
    for f in fns:
        f(reply)  # load lexicons
    best = float("inf")
    for rep in range(3):
        texts = [f"{reply} ({rep}-{i})" for i in range(40)]  # distinct texts: no token cache hits
        start = time.perf_counter()
        for t in texts:
            for f in fns:
                f(t)
        best = min(best, (time.perf_counter() - start) / (len(texts) * len(fns)))
    assert best < 0.001
