"""Replay real supporter turns (ESConv, FailedESConv) to a seeded persona's appraisal only, and
measure whether the simulated person's final state tracks what the real seeker reported.

For each conversation: a persona is seeded from situation, emotion_type and
initial_emotion_intensity (judges.calibration.esconv.seeded_persona); each supporter reply is
appraised in the chosen mode (simulator.conversation.appraisal / simulator.conversation.appraisal_llm) against the hidden
state, the situation (the card's salient detail) and what the seeker has brought in so far (the
seeker's real messages before that reply: the replay's beats), and the state is updated with the
same bounded update a run uses. The seeker's words after a reply are never shown to it.

Figures, each with a percentile-bootstrap 95 % CI over conversations and the same figure for
the baselines beside it (mean reply length in words; number of supporter turns):
- AUC successful (ESConv) vs failed (FailedESConv) from the final felt-understood;
- Spearman of the final felt-understood with the seeker's empathy rating;
- Spearman of the simulated intensity drop (start - end of the seeded emotion) with the
  reported drop (initial - final intensity).
Two views: `prefix` (the first PREFIX_K replies of every conversation with at least that many:
same number of replies on both sides, so conversation length cannot separate them) and `whole`.
Nothing is fitted to the data; conversations carry a fixed tune/report split by hash of their id
so any later tuning can be done on one half and reported on the other.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from judges.calibration.esconv import RealConversation, seeded_persona
from judges.calibration.metrics import auc, figure, spearman

PREFIX_K = 5
SCORES = ("understood", "trust", "drop", "neg_words", "neg_turns")


@dataclass
class Replayed:
    conv: RealConversation
    states: list  # PersonaState per reply, the start first
    reasons: list[str]
    landed: list = None  # Landed per reply (llm and hybrid modes), else None entries

    def final(self, key: str) -> float:
        s0, s = self.states[0], self.states[-1]
        if key == "understood":
            return float(s.understood)
        if key == "trust":
            return float(s.trust)
        if key == "drop":
            e = primary_emotion(s0.emotions)
            return float(s0.emotions[e] - s.emotions.get(e, 0))
        raise KeyError(key)


def primary_emotion(emotions: dict[str, int]) -> str:
    return max(emotions, key=lambda e: emotions[e])


def reply_words(conv: RealConversation, k: int | None) -> float:
    ex = conv.exchanges[:k] if k else conv.exchanges
    return float(np.mean([len(e.supporter.split()) for e in ex]))


async def replay(conv: RealConversation, mode: str = "deterministic", k: int | None = None, *,
                 gateway=None, spec=None, reuse: dict | None = None) -> Replayed:
    """The seeded persona's states over the first k replies (all when k is None).

    `reuse` maps (conversation id, reply index) to a Landed answer already given by the persona
    model (an llm-mode replay's); hybrid then blends it instead of asking again.
    """
    from simulator.conversation.appraisal import AppraisalContext, appraise, initial_state, update_state
    from simulator.conversation.appraisal_llm import appraise_reply

    persona, scenario = seeded_persona(conv)
    state = initial_state(persona, scenario)
    states, reasons, landed, said, earlier = [state], [], [], [], []
    for i, ex in enumerate(conv.exchanges[:k] if k else conv.exchanges):
        if ex.seeker:
            said.append(ex.seeker)
        ctx = AppraisalContext(persona=persona, scenario=scenario, brought_in=tuple(said[-4:]),
                               earlier_replies=tuple(earlier))
        if reuse is not None and (conv.id, i) in reuse and mode != "deterministic":
            a = appraise(ex.supporter, ctx, state).model_copy(
                update={"mode": mode, "landed": reuse[(conv.id, i)]})
        else:
            a = await appraise_reply(mode, ex.supporter, ctx, state, gateway=gateway, spec=spec, seed=i)
        state = update_state(state, a, persona)
        states.append(state)
        reasons.append(a.landed.reason if a.landed else "; ".join(a.notes))
        landed.append(a.landed)
        earlier.append(ex.supporter)
    return Replayed(conv, states, reasons, landed)


def replay_all(convs: Sequence[RealConversation], mode: str = "deterministic", k: int | None = None,
               *, gateway=None, spec=None, concurrency: int = 1, progress=None,
               reuse: dict | None = None) -> list[Replayed]:
    async def main() -> list[Replayed]:
        sem = asyncio.Semaphore(max(1, concurrency))

        async def one(c: RealConversation) -> Replayed:
            async with sem:
                r = await replay(c, mode, k, gateway=gateway, spec=spec, reuse=reuse)
            if progress is not None:
                progress.update(1)
            return r

        return list(await asyncio.gather(*(one(c) for c in convs)))

    return asyncio.run(main())


def stratified_sample(convs: Sequence[RealConversation], n_success: int, seed: int = 0,
                      n_failed: int | None = None) -> list[RealConversation]:
    """Failed conversations (all, or the first n_failed of a seeded shuffle) interleaved with
    successful ones matched on emotion_type: for each failed one, the next unused successful one
    of the same emotion (any emotion when those run out), so emotion cannot separate them. The
    sample for n is a prefix of the sample for n + 1 (nested), in the order returned."""
    rng = random.Random(f"esconv-sample-{seed}")
    failed = [c for c in convs if c.failed]
    rng.shuffle(failed)
    if n_failed is not None:
        failed = failed[:n_failed]
    pool: dict[str, list[RealConversation]] = {}
    for c in convs:
        if not c.failed:
            pool.setdefault(c.emotion_type, []).append(c)
    for emo in sorted(pool):
        rng.shuffle(pool[emo])
    rest = [c for emo in sorted(pool) for c in pool[emo]]
    rng.shuffle(rest)
    used: set[str] = set()
    out: list[RealConversation] = []
    for i, f in enumerate(failed):
        out.append(f)
        if i >= n_success:
            continue
        match = next((c for c in pool.get(f.emotion_type, []) if c.id not in used), None)
        match = match or next((c for c in rest if c.id not in used), None)
        if match is not None:
            used.add(match.id)
            out.append(match)
    return out


def _scores(rows: list[Replayed], k: int | None) -> dict[str, np.ndarray]:
    out = {key: np.asarray([r.final(key) for r in rows], float) for key in ("understood", "trust", "drop")}
    out["neg_words"] = -np.asarray([reply_words(r.conv, k) for r in rows], float)  # baseline
    out["neg_turns"] = -np.asarray([len(r.conv.exchanges) for r in rows], float)   # baseline
    out["words"] = -out["neg_words"]
    out["turns"] = -out["neg_turns"]
    # the seeded starting intensity: the only outcome-free input; a high start leaves more to fall
    out["initial"] = np.asarray([r.conv.initial_intensity or 3 for r in rows], float)
    return out


def _fig(stat: Callable[[np.ndarray], float | None], n: int, seed: int, resamples: int) -> dict:
    return figure(stat, n, seed, resamples)


def measure(rows: list[Replayed], k: int | None, seed: int = 0, resamples: int = 1000) -> dict:
    """AUC and Spearman figures for the replayed rows, each scorer beside the baselines."""
    s = _scores(rows, k)
    ok = np.asarray([not r.conv.failed for r in rows])
    emp = np.asarray([r.conv.empathy if r.conv.empathy is not None else np.nan for r in rows], float)
    drop = np.asarray([r.conv.intensity_drop if r.conv.intensity_drop is not None else np.nan
                       for r in rows], float)
    n = len(rows)

    def auc_of(key: str) -> Callable[[np.ndarray], float | None]:
        return lambda idx: auc(s[key][idx][ok[idx]], s[key][idx][~ok[idx]])

    def rho_of(key: str, label: np.ndarray, mask: np.ndarray) -> Callable[[np.ndarray], float | None]:
        def stat(idx: np.ndarray) -> float | None:
            m = mask[idx] & ~np.isnan(label[idx])
            return spearman(s[key][idx][m], label[idx][m])
        return stat

    everyone = np.ones(n, bool)
    out: dict = {"n": n, "n_success": int(ok.sum()), "n_failed": int((~ok).sum()),
                 "n_empathy": int((~np.isnan(emp)).sum()), "n_drop": int((~np.isnan(drop)).sum()),
                 "auc": {}, "rho_empathy": {}, "rho_empathy_esconv": {}, "rho_drop": {}}
    for key in ("understood", "trust", "drop", "words", "turns", "initial"):
        out["auc"][key] = _fig(auc_of(key), n, seed, resamples)
        out["rho_empathy"][key] = _fig(rho_of(key, emp, everyone), n, seed, resamples)
        out["rho_empathy_esconv"][key] = _fig(rho_of(key, emp, ok), n, seed, resamples)
        out["rho_drop"][key] = _fig(rho_of(key, drop, everyone), n, seed, resamples)
    # AUC difference from the length baseline, paired over the same resamples
    out["auc_minus_words"] = _fig(
        lambda idx: (None if (a := auc_of("understood")(idx)) is None or (b := auc_of("words")(idx)) is None
                     else a - b), n, seed, resamples)
    return out


def section(rows_by_view: dict[str, list[Replayed]], seed: int = 0, resamples: int = 1000) -> dict:
    """Figures per view (prefix / whole) and per split (all / tune / report)."""
    out = {}
    for view, rows in rows_by_view.items():
        k = PREFIX_K if view == "prefix" else None
        out[view] = {split: measure([r for r in rows if split == "all" or r.conv.split() == split],
                                    k, seed, resamples)
                     for split in ("all", "tune", "report")}
    return out


def examples(rows: list[Replayed], n: int = 3) -> list[dict]:
    """A few replies with the reason the persona gave (llm and hybrid modes)."""
    out = []
    for r in rows:
        for ex, reason, st in zip(r.conv.exchanges, r.reasons, r.states[1:]):
            if reason and len(out) < n and len(ex.supporter.split()) >= 4:
                out.append({"conversation": r.conv.id, "reply": ex.supporter[:200], "reason": reason,
                            "understood": st.understood, "trust": st.trust})
                break
    return out
