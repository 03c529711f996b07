"""The original kubernetes-analysis recipe, as described, in Keras.

TF-IDF word 1-2-grams (scikit-learn, the original's settings) -> SelectKBest
(f_classif, k=50000) -> Dense(64, relu) -> Dropout(0.2) -> Dense(64, relu) ->
Dropout(0.2) -> Dense(1, sigmoid); Adam 1e-3, binary cross-entropy, batch 128,
early stopping on a 10% validation split of the training file (patience 5,
best weights restored). Trains on TRAIN, prints metrics on EVAL.

    python keras_original.py TRAIN.jsonl [EVAL.jsonl] [SEED]

`train-vs-keras.sh` installs TensorFlow and times this against kpipe-step train.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.feature_selection import SelectKBest, f_classif  # noqa: E402
from sklearn.metrics import f1_score, roc_auc_score  # noqa: E402


def load(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [r["text"] for r in rows], np.array([int(r["bug"]) for r in rows])


def main():
    train_path = sys.argv[1]
    eval_path = sys.argv[2] if len(sys.argv) > 2 else None
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    tf.keras.utils.set_random_seed(seed)
    t0 = time.time()
    texts, y = load(train_path)
    vec = TfidfVectorizer(ngram_range=(1, 2), strip_accents="unicode", lowercase=True)
    x = vec.fit_transform(texts)
    sel = SelectKBest(f_classif, k=min(50000, x.shape[1])).fit(x, y)
    x = sel.transform(x).astype("float32")
    t_features = time.time() - t0
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(x.shape[1],)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    stop = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    t1 = time.time()
    model.fit(x.toarray(), y, batch_size=128, epochs=100, validation_split=0.1, callbacks=[stop], verbose=2)
    t_fit = time.time() - t1
    out = {"features_seconds": round(t_features, 2), "fit_seconds": round(t_fit, 2)}
    if eval_path:
        et, ey = load(eval_path)
        p = model.predict(sel.transform(vec.transform(et)).astype("float32").toarray(), verbose=0).ravel()
        out.update(roc_auc=roc_auc_score(ey, p), f1=f1_score(ey, p >= 0.5), accuracy=float(((p >= 0.5) == ey).mean()))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
