"""Persona fidelity probe: does the persona stay the person on its card after a scripted reply?

    python -m bench.persona_fidelity generate --forms chat,script [--scenarios N] [--kinds cold,advice,warm]
    python -m bench.persona_fidelity score      # detector precision / recall on the labelled turns
    python -m bench.persona_fidelity conversations --form script --replies 4 --resamples 3
    python -m bench.persona_fidelity conversations --form authored --subject local/qwen2.5-1.5b

Forms: chat, script, script_fewshot (the script with FEWSHOT in-voice card lines in its header,
run.persona_examples), authored (the card's line for the moment, no generation). `--subject`
takes a model string instead of the scripted replies; `--examples N` shows N card lines.

`generate`: for each scenario (with its first suggested persona), the persona's opening, then one
scripted subject reply in the persona's language (cold/templated, advice-giving, or warm but
generic), then the persona's next line from the embedded model in each form. Writes
bench/results/persona_fidelity_turns.jsonl (one line per generated turn, with the current
detector's verdict), to be read and labelled into tests/data/persona_turns_labelled.jsonl.

`score`: the detector (simulator/conversation/fidelity.py) against the labels, per split (dev, the labels it
was tuned on, and held_out) and per form.

`conversations`: one conversation per scenario through the real graph with a scripted subject
(the reply kinds in turn), per-turn re-sampling on; writes every persona turn with its samples to
bench/results/persona_fidelity_conversations_<form>.jsonl.

Run it with EMPATHY_SIM_THREADS=1 on a shared machine; the embedded model is Qwen2.5-1.5B.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from simulator.conversation.appraisal import appraise, initial_state, update_state
from simulator.core.card_loader import list_ids, load_persona, load_scenario
from simulator.conversation.fidelity import check_persona_turn
from simulator.llm.call import Gateway, shutdown_litellm
from simulator.conversation.persona_turn import speak
from simulator.core.records import ModelSpec, Turn

RESULTS = Path(__file__).parent / "results"
LABELS = Path(__file__).parent.parent / "tests" / "data" / "persona_turns_labelled.jsonl"
PERSONA = ModelSpec(model="local/qwen2.5-1.5b", temperature=0.8, max_tokens=120)
# the default run's subject settings (simulator/conf/config.yaml), for --subject local/…
SUBJECT = {"temperature": 0.7, "max_tokens": 160}
FEWSHOT = 4  # in-voice card lines in the script header for the form script_fewshot

# Scripted subject replies, per language: the templated-cold one, the advice-giver, the warm but
# generic one (the register a 1.5B subject mostly writes in).
REPLIES: dict[str, dict[str, str]] = {
    "en": {
        "cold": "I understand that this is a difficult situation. It may be helpful to speak with a professional who can support you.",
        "advice": "Here is what I would suggest: take a deep breath, write down your options, and talk to a counselor or someone you trust tomorrow. Things will get better.",
        "warm": "That sounds really hard, and I'm so sorry you're going through this. I'm here for you. How are you holding up?",
    },
    "es": {
        "cold": "Entiendo que es una situación difícil. Puede ser útil hablar con un profesional que pueda apoyarte.",
        "advice": "Te sugiero lo siguiente: respira hondo, haz una lista de tus opciones y habla mañana con un psicólogo o con alguien de confianza. Todo va a mejorar.",
        "warm": "Eso suena muy duro, y siento mucho que estés pasando por esto. Estoy aquí para ti. ¿Cómo lo llevas?",
    },
    "pt": {
        "cold": "Entendo que esta é uma situação difícil. Pode ser útil conversar com um profissional que possa te apoiar.",
        "advice": "Minha sugestão: respire fundo, anote suas opções e converse amanhã com um psicólogo ou alguém de confiança. As coisas vão melhorar.",
        "warm": "Isso parece muito difícil, e sinto muito que você esteja passando por isso. Estou aqui com você. Como você está?",
    },
    "de": {
        "cold": "Ich verstehe, dass dies eine schwierige Situation ist. Es könnte hilfreich sein, mit einer Fachperson zu sprechen, die Sie unterstützen kann.",
        "advice": "Mein Vorschlag: Atmen Sie tief durch, schreiben Sie Ihre Möglichkeiten auf und sprechen Sie morgen mit einem Therapeuten oder einer Vertrauensperson. Es wird besser werden.",
        "warm": "Das klingt wirklich schwer, und es tut mir sehr leid, dass Sie das durchmachen. Ich bin für Sie da. Wie geht es Ihnen damit?",
    },
    "ja": {
        "cold": "大変な状況だと理解しています。専門家に相談してみると役に立つかもしれません。",
        "advice": "提案です。深呼吸をして、選択肢を書き出し、明日カウンセラーか信頼できる人に相談してください。きっと良くなります。",
        "warm": "それは本当につらいですね。そんな思いをしていて本当に気の毒です。私はここにいます。大丈夫ですか？",
    },
    "zh-CN": {
        "cold": "我理解这是一个困难的处境。和专业人士谈谈可能会有帮助。",
        "advice": "我的建议是：深呼吸，把你的选择写下来，明天找心理咨询师或你信任的人聊聊。一切都会好起来的。",
        "warm": "这听起来真的很难受，你正在经历这些，我很难过。我在这里陪着你。你现在还好吗？",
    },
    "zh-TW": {
        "cold": "我理解這是一個困難的處境。和專業人士談談可能會有幫助。",
        "advice": "我的建議是：深呼吸，把你的選擇寫下來，明天找心理諮商師或你信任的人聊聊。一切都會好起來的。",
        "warm": "這聽起來真的很難受，你正在經歷這些，我很難過。我在這裡陪著你。你現在還好嗎？",
    },
    "ar": {
        "cold": "أفهم أن هذا موقف صعب. قد يكون من المفيد التحدث مع مختص يمكنه دعمك.",
        "advice": "اقتراحي: خذ نفساً عميقاً، واكتب خياراتك، وتحدث غداً مع مستشار نفسي أو شخص تثق به. ستتحسن الأمور.",
        "warm": "يبدو هذا صعباً جداً، وأنا آسف حقاً لأنك تمر بهذا. أنا هنا معك. كيف حالك الآن؟",
    },
}


def reply_for(language: str, kind: str) -> str:
    table = REPLIES.get(language) or REPLIES.get(language.split("-")[0]) or REPLIES["en"]
    return table[kind]


def _appraise(persona, scenario, turns, state):
    """The appraisal of the last reply, through whichever appraisal API this checkout has."""
    try:
        from simulator.conversation.appraisal import context_from_turns
    except ImportError:
        return appraise(turns[-2].text, turns[-1].text, persona, scenario, state)
    return appraise(turns[-1].text, context_from_turns(persona, scenario, turns, [state]), state)


def pairs(limit: int | None, start: int = 0) -> list[tuple[str, str]]:
    """(first suggested persona, scenario) for the scenarios in id order, from `start`."""
    out = [(load_scenario(sid).personas[0], sid) for sid in list_ids("scenarios")][start:]
    return out[:limit] if limit else out


async def generate(forms: list[str], kinds: list[str], limit: int | None, out: Path) -> None:
    gateway = Gateway(cache=None, retries=0)
    done = set()
    if out.exists():
        done = {(r["scenario"], r["reply_kind"], r["form"]) for r in map(json.loads, out.open())}
    with out.open("a") as f:
        for i, (pid, sid) in enumerate(pairs(limit)):
            persona, scenario = load_persona(pid), load_scenario(sid)
            state = initial_state(persona, scenario)
            opening = (scenario.opening or "").strip()
            for kind in kinds:
                reply = reply_for(persona.language, kind)
                turns = [Turn(index=0, speaker="persona", text=opening, beats=[]),
                         Turn(index=1, speaker="subject", text=reply)]
                nxt = update_state(state, _appraise(persona, scenario, turns, state), persona)
                beats = [b for b in scenario.beats if b.at_turn == 2]
                for form in forms:
                    if (sid, kind, form) in done:
                        continue
                    t0 = time.perf_counter()
                    import simulator.conversation.persona_script as ps

                    ps.CUE_BEFORE_REPLY = form != "script_cue_late"  # the first script form measured
                    pt = await speak(gateway, PERSONA, form.split("_")[0], persona, scenario, nxt, turns, beats,  # type: ignore[arg-type]
                                     seed=1000 * i + 2, resamples=0, replies_so_far=1,
                                     examples=FEWSHOT if form == "script_fewshot" else 0)
                    row = {"id": f"{sid}|{kind}|{form}", "scenario": sid, "persona": pid,
                           "language": persona.language, "task_type": scenario.task_type,
                           "reply_kind": kind, "form": form, "opening": opening, "previous": reply,
                           "beats": [b.content for b in beats], "text": pt.text,
                           "detector": [x.kind for x in pt.issues], "latency_s": round(time.perf_counter() - t0, 1)}
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                    f.flush()
                    print(f"[{row['latency_s']:5.1f}s] {form:6} {kind:6} {pid}: {pt.text[:110]!r} {row['detector']}")
    await shutdown_litellm()


def detector_at(rev: str):
    """check_persona_turn as simulator/conversation/fidelity.py was at git revision `rev`."""
    import subprocess
    import types

    src = subprocess.run(["git", "show", f"{rev}:simulator/conversation/fidelity.py"], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).parent).stdout
    mod = types.ModuleType(f"fidelity_{rev}")
    exec(compile(src, f"fidelity@{rev}", "exec"), mod.__dict__)  # noqa: S102 - our own file
    return mod.check_persona_turn


DETECTORS: dict[str, object] = {}
SCORER_P: dict[str, dict[str, float]] = {}  # labelled id -> P(in character) per question (`scorer`)


def scorer_flags(row: dict) -> bool:
    from simulator.conversation.in_character import SCORER_QUESTIONS, THRESHOLD

    p = SCORER_P[row["id"]]
    return sum(p[q] for q in SCORER_QUESTIONS) / len(SCORER_QUESTIONS) < THRESHOLD


def flagged(row: dict, detector: str = "current") -> bool:
    if detector == "scorer":
        return scorer_flags(row)
    if detector == "current+scorer":
        return flagged(row) or scorer_flags(row)
    persona = load_persona(row["persona"])
    if detector == "baseline":
        from bench.persona_fidelity_baseline import check_persona_turn as baseline

        return bool(baseline(persona, row["text"], 2, row["previous"]))
    check = DETECTORS.get(detector, check_persona_turn)
    return bool(check(persona, row["text"], 2, row["previous"], row["own"]))  # type: ignore[operator]


def prf(rows: list[dict], detector: str = "current") -> dict:
    """'Positive' = out of character; precision/recall of the detector at catching it."""
    verdict = {id(r): flagged(r, detector) for r in rows}

    tp = sum(1 for r in rows if verdict[id(r)] and not r["in_character"])
    fp = sum(1 for r in rows if verdict[id(r)] and r["in_character"])
    fn = sum(1 for r in rows if not verdict[id(r)] and not r["in_character"])
    out_of_char = sum(1 for r in rows if not r["in_character"])
    return {"n": len(rows), "out_of_character": out_of_char,
            "detector_flagged": tp + fp, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None}


def score(labels: Path, scorer_path: Path | None = None) -> dict:
    rows = [json.loads(line) for line in labels.open()]
    result = {}
    extra: tuple[str, ...] = ()
    if scorer_path and scorer_path.exists():
        SCORER_P.update({r["id"]: r["p"] for r in map(json.loads, scorer_path.open())})
        rows = [r for r in rows if r["id"] in SCORER_P]
        extra = ("scorer", "current+scorer")
    for det in ("current", *extra, *DETECTORS, "baseline"):
        result[f"{det} all"] = prf(rows, det)
        for key in ("split", "form"):
            for v in sorted({r[key] for r in rows}):
                result[f"{det} {key}={v}"] = prf([r for r in rows if r[key] == v], det)
    for k, v in result.items():
        print(f"{k:32} {v}")
    return result


class ScriptedSubject:
    """An in-process `scripted/` litellm provider: the reply kinds in turn, in the persona's
    language (the model string carries it: scripted/<language>)."""

    def __init__(self, kinds: list[str]) -> None:
        from litellm import CustomLLM

        kinds_ = kinds

        class _P(CustomLLM):
            def _answer(self, model, messages, model_response):
                import litellm

                n = sum(1 for m in messages if m["role"] == "assistant")
                lang = model.split("/")[-1]  # litellm passes the name without the provider
                model_response.choices[0].message.content = reply_for(lang, kinds_[n % len(kinds_)])
                model_response.usage = litellm.Usage(prompt_tokens=0, completion_tokens=0, total_tokens=0)
                return model_response

            def completion(self, model, messages, *a, model_response=None, **k):
                return self._answer(model, messages, k.get("model_response") or model_response or a[3])

            async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response, *a, **k):
                return self._answer(model, messages, model_response)

        from simulator.llm.providers import register_provider

        register_provider("scripted", _P())


async def conversations(form: str, kinds: list[str], replies: int, resamples: int, limit: int | None,
                        out: Path, start: int = 0, candidates: int = 1, scorer: bool = False,
                        fallback: bool = False, subject: str = "scripted", examples: int = 0) -> None:
    """One conversation per scenario through the real graph, scripted subject, re-sampling on."""
    import simulator.conversation.graph as graph_mod
    from simulator.conversation.graph import ConvContext, build_graph
    from simulator.run.runner import converse

    ScriptedSubject(kinds)
    drawn: list[dict] = []  # every sample of every persona turn, the re-sampled ones included
    real_speak = graph_mod.speak

    async def recording_speak(gateway, spec, form_, persona, scenario, state, turns, *a, **k):
        pt = await real_speak(gateway, spec, form_, persona, scenario, state, turns, *a, **k)
        previous = turns[-1].text if turns and turns[-1].speaker == "subject" else ""
        own = [t.text for t in turns if t.speaker == "persona"]
        kept = pt.kept if pt.kept is not None or pt.fallback else len(pt.samples) - 1
        for j, smp in enumerate(pt.samples):
            drawn.append({"turn": len(turns), "sample": j, "text": smp.text, "previous": previous,
                          "own": own, "detector": [i.kind for i in smp.issues],
                          "p_in_character": smp.p_in_character, "kept": j == kept})
        if pt.fallback:
            drawn.append({"turn": len(turns), "sample": len(pt.samples), "text": pt.text,
                          "previous": previous, "own": own, "detector": [], "kept": True,
                          "fallback": pt.fallback})
        return pt

    graph_mod.speak = recording_speak
    gateway, graph = Gateway(cache=None, retries=0), build_graph()
    done = {r["scenario"] for r in map(json.loads, out.open())} if out.exists() else set()
    with out.open("a") as f:
        for pid, sid in pairs(limit, start):
            if sid in done:
                continue
            persona, scenario = load_persona(pid), load_scenario(sid)
            s_spec = (ModelSpec(model=f"scripted/{persona.language}") if subject == "scripted"
                      else ModelSpec(model=subject, **SUBJECT))
            ctx = ConvContext(persona=persona, scenario=scenario, gateway=gateway, persona_spec=PERSONA,
                              subject_spec=s_spec, subject_system=None, seed=0, persona_form=form,
                              persona_resamples=resamples, persona_candidates=candidates,
                              in_character_scorer=scorer, persona_fallback=fallback,
                              persona_examples=examples)
            t0 = time.perf_counter()
            drawn.clear()
            conv, _ = await converse(ctx, replies, graph)
            row = {"scenario": sid, "persona": pid, "language": persona.language, "form": form,
                   "subject": s_spec.model, "examples": examples,
                   "resamples_allowed": resamples, "candidates": candidates, "scorer": scorer,
                   "fallback": fallback, "persona_fallbacks": conv.persona_fallbacks,
                   "persona_calls": sum(1 for s in drawn if "fallback" not in s),
                   "stop_reason": conv.stop_reason,
                   "error": conv.error.model_dump() if conv.error else None,
                   "persona_resamples": conv.persona_resamples,
                   "fidelity_issues": [i.model_dump() for i in conv.fidelity_issues],
                   "turns": [{"index": t.index, "speaker": t.speaker, "text": t.text} for t in conv.turns],
                   "samples": list(drawn),
                   "wall_s": round(time.perf_counter() - t0, 1)}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            print(f"[{row['wall_s']:5.1f}s] {sid}: {conv.stop_reason} resampled={conv.persona_resamples} "
                  f"{[t.text[:60] for t in conv.turns if t.speaker == 'persona'][1:]}")
    await shutdown_litellm()


def figures(conv_path: Path, labels: Path, scenarios: set[str] | None = None) -> dict:
    """Issue 14 item 6: persona turns out of character over whole conversations, before and after
    re-sampling, by the detector and by the labels (my reading, where a sample was labelled)."""
    convs = [c for c in map(json.loads, conv_path.open()) if not scenarios or c["scenario"] in scenarios]
    read = {r["id"]: r["in_character"] for r in map(json.loads, labels.open())}
    tag = conv_path.stem.split("conversations_")[1]
    first = [s for c in convs for s in c["samples"] if s["sample"] == 0]
    kept = [(c, s) for c in convs for s in c["samples"] if s["kept"]]
    scored = [c for c in convs if not c["error"]]
    kept_scored = [(c, s) for c, s in kept if not c["error"]]

    def key(c: dict, s: dict) -> str:
        return f"{c['scenario']}|t{s['turn']}|s{s['sample']}|{tag}"

    first_read = [read[key(c, s)] for c in convs for s in c["samples"] if s["sample"] == 0 and key(c, s) in read]
    kept_read = [(c, read[key(c, s)]) for c, s in kept_scored if key(c, s) in read]
    broken_convs = {c["scenario"] for c, ok in kept_read if not ok}
    read_convs = {c["scenario"] for c, _ in kept_read}
    out = {
        "conversations": len(convs), "scored": len(scored),
        "persona_errors": sum(1 for c in convs if c["error"] and c["error"]["kind"] == "persona_fidelity"),
        "stop_reasons": dict(sorted({r: sum(c["stop_reason"] == r for c in convs) for r in {c["stop_reason"] for c in convs}}.items())),
        "persona_turns_generated": len(first), "samples_drawn": sum(len(c["samples"]) for c in convs),
        "before_resampling_flagged": round(sum(bool(s["detector"]) for s in first) / len(first), 3),
        "after_resampling_flagged_in_scored": round(sum(bool(s["detector"]) for _, s in kept_scored) / max(1, len(kept_scored)), 3),
        "read_first_samples": len(first_read),
        "before_resampling_out_of_character_by_reading": round(sum(not x for x in first_read) / max(1, len(first_read)), 3),
        "read_kept_turns_in_scored": len(kept_read),
        "after_resampling_out_of_character_by_reading": round(sum(not ok for _, ok in kept_read) / max(1, len(kept_read)), 3),
        "scored_conversations_read": len(read_convs),
        "scored_conversations_with_a_broken_turn_by_reading": len(broken_convs),
        "fallback_turns": sum(1 for c in convs for s in c["samples"] if s.get("fallback")),
        "fallback_turns_in_scored": sum(1 for c, s in kept_scored if s.get("fallback")),
        "persona_calls_per_turn": round(sum(1 for c in convs for s in c["samples"] if not s.get("fallback"))
                                        / max(1, len(first)), 2),
        "scorer_calls_per_turn": round(sum(1 for c in convs for s in c["samples"]
                                           if s.get("p_in_character") is not None) / max(1, len(first)), 2),
        "wall_s_per_conversation": round(sum(c["wall_s"] for c in convs) / max(1, len(convs)), 1),
    }
    for k, v in out.items():
        print(f"{k:52} {v}")
    return out


async def scorer_run(labels: Path, out: Path, names: list[str]) -> None:
    """The in-character scorer's P(in character) per question for every labelled turn (cached)."""
    from simulator.conversation.in_character import question_ps

    gateway = Gateway(cache=None, retries=0)
    done = {r["id"] for r in map(json.loads, out.open())} if out.exists() else set()
    with out.open("a") as f:
        for r in map(json.loads, labels.open()):
            if r["id"] in done:
                continue
            t0 = time.perf_counter()
            ps = await question_ps(gateway, PERSONA, load_persona(r["persona"]), load_scenario(r["scenario"]),
                                   r["previous"], r["text"], names)
            row = {"id": r["id"], "p": {k: round(v, 4) for k, v in ps.items()},
                   "wall_s": round(time.perf_counter() - t0, 2)}
            f.write(json.dumps(row) + "\n")
            f.flush()
            print(f"[{row['wall_s']:5.1f}s] ic={r['in_character']!s:5} {row['p']} {r['text'][:50]!r}")
    await shutdown_litellm()


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--forms", default="chat,script,script_cue_late")
    g.add_argument("--kinds", default="cold,advice,warm")
    g.add_argument("--scenarios", type=int, default=None)
    g.add_argument("--out", type=Path, default=RESULTS / "persona_fidelity_turns.jsonl")
    s = sub.add_parser("score")
    s.add_argument("--labels", type=Path, default=LABELS)
    s.add_argument("--scorer", type=Path, default=RESULTS / "persona_fidelity_scorer.jsonl",
                   help="the in-character scorer's answers (from `scorer`); scored where present")
    s.add_argument("--detector-rev", action="append", default=[],
                   help="also score simulator/conversation/fidelity.py as it was at this git revision")
    fg = sub.add_parser("figures")
    fg.add_argument("--conversations", type=Path,
                    default=RESULTS / "persona_fidelity_conversations_script_r3.jsonl")
    fg.add_argument("--labels", type=Path, default=LABELS)
    fg.add_argument("--same-as", type=Path, default=None,
                    help="only the scenarios this other conversations file covers (side by side)")
    sc = sub.add_parser("scorer", help="the in-character scorer's P per question on the labelled turns")
    sc.add_argument("--labels", type=Path, default=LABELS)
    sc.add_argument("--questions", default="voice,accepts,helper,sense,upset")
    sc.add_argument("--out", type=Path, default=RESULTS / "persona_fidelity_scorer.jsonl")
    c = sub.add_parser("conversations")
    c.add_argument("--form", default="script")
    c.add_argument("--kinds", default="cold,advice,warm,cold")
    c.add_argument("--replies", type=int, default=4)
    c.add_argument("--resamples", type=int, default=3)
    c.add_argument("--scenarios", type=int, default=None)
    c.add_argument("--start", type=int, default=0, help="skip the first N scenarios (held out from the probe)")
    c.add_argument("--candidates", type=int, default=1, help="persona samples per try (best-of-n)")
    c.add_argument("--scorer", action="store_true", help="the in-character scorer joins the check")
    c.add_argument("--fallback", action="store_true", help="authored fallback lines when every sample fails")
    c.add_argument("--subject", default="scripted",
                   help="scripted (the reply kinds in turn) or a model string, e.g. local/qwen2.5-1.5b")
    c.add_argument("--examples", type=int, default=0, help="in-voice card lines in the script header")
    c.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    if a.cmd == "generate":
        asyncio.run(generate(a.forms.split(","), a.kinds.split(","), a.scenarios, a.out))
    elif a.cmd == "score":
        for rev in a.detector_rev:
            DETECTORS[f"rev {rev}"] = detector_at(rev)
        res = score(a.labels, a.scorer)
        (RESULTS / "persona_fidelity_detector.json").write_text(json.dumps(res, indent=2) + "\n")
    elif a.cmd == "scorer":
        asyncio.run(scorer_run(a.labels, a.out, a.questions.split(",")))
    elif a.cmd == "figures":
        only = {json.loads(line)["scenario"] for line in a.same_as.open()} if a.same_as else None
        res = figures(a.conversations, a.labels, only)
        suffix = f"_on_{a.same_as.stem.split('conversations_')[1]}" if a.same_as else ""
        (RESULTS / f"persona_fidelity_figures_{a.conversations.stem.split('conversations_')[1]}{suffix}.json").write_text(
            json.dumps(res, indent=2) + "\n")
    elif a.cmd == "conversations":
        tag = f"{a.form}_r{a.resamples}" + (f"_n{a.candidates}" if a.candidates > 1 else "") + \
            ("_scorer" if a.scorer else "") + ("_fallback" if a.fallback else "") + \
            (f"_x{a.examples}" if a.examples else "") + \
            (f"_{a.subject.split('/')[-1]}" if a.subject != "scripted" else "")
        out = a.out or RESULTS / f"persona_fidelity_conversations_{tag}.jsonl"
        asyncio.run(conversations(a.form, a.kinds.split(","), a.replies, a.resamples, a.scenarios, out,
                                  a.start, a.candidates, a.scorer, a.fallback, a.subject, a.examples))


if __name__ == "__main__":
    main()
