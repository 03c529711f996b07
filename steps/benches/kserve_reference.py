"""Reference model server: real KServe 0.21 ModelServer serving the original
recipe's features (scikit-learn TF-IDF word 1-2-grams) with a logistic
regression, trained on the bundled notes at start-up. Same protocol as
kpipe-step serve: POST /v1/models/kubernetes-analysis:predict {"text": …}
→ {"result": p}.

    python kserve_reference.py TRAIN.jsonl PORT
"""

import json
import sys

import kserve
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


class ReleaseNotes(kserve.Model):
    def __init__(self, name, train):
        super().__init__(name)
        self.train = train
        self.vectorizer = None
        self.classifier = None

    def load(self):
        rows = [json.loads(line) for line in open(self.train, encoding="utf-8")]
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), strip_accents="unicode")
        x = self.vectorizer.fit_transform([r["text"] for r in rows])
        self.classifier = LogisticRegression(C=4, max_iter=2000).fit(x, [r["bug"] for r in rows])
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        if "text" in payload:
            return {"result": float(self.classifier.predict_proba(self.vectorizer.transform([payload["text"]]))[0, 1])}
        texts = [i if isinstance(i, str) else i["text"] for i in payload["instances"]]
        return {"predictions": self.classifier.predict_proba(self.vectorizer.transform(texts))[:, 1].tolist()}


if __name__ == "__main__":
    model = ReleaseNotes("kubernetes-analysis", sys.argv[1])
    model.load()
    kserve.ModelServer(http_port=int(sys.argv[2]), grpc_port=int(sys.argv[2]) + 1, workers=1).start([model])
