"""The original project's parse (src/data.py with parse=True): json.load the
whole dump, then build an Issue or PullRequest per item (title, URL, dates,
labels) indexed by number, as its parse loop did. kpipe's side does more: it
also extracts every PR's release note. `parse-vs-python.sh` times it against kpipe.

    python3 python_parse.py DUMP.json
"""

import json
import sys
from datetime import datetime

class Label:
    def __init__(self, name):
        parts = name.split("/", 1)
        self.group, self.name = (parts[0], parts[1]) if len(parts) == 2 else (None, name)


class Issue:
    """The original's src/issue.py constructor (enable_nlp=False, as its parse loop used)."""

    def __init__(self, data):
        self.title = data["title"]
        self.url = data["html_url"]
        self.number = data["number"]
        self.markdown = data["body"]
        fmt = "%Y-%m-%dT%H:%M:%S%z"
        self.created = datetime.strptime(data["created_at"], fmt)
        self.closed = datetime.strptime(data["closed_at"], fmt) if data["closed_at"] is not None else None
        self.labels = [Label(label["name"]) for label in data["labels"]]


class PullRequest(Issue):
    """The original's src/pull_request.py: no release-note work unless enable_nlp."""


def main():
    with open(sys.argv[1]) as f:
        items = json.load(f)
    issues, prs = {}, {}
    for item in items:
        if "pull_request" in item:
            pr = PullRequest(item)
            prs[pr.number] = pr
        else:
            issue = Issue(item)
            issues[issue.number] = issue
    print(f"Parsed {len(issues)} issues and {len(prs)} pull requests ({len(issues) + len(prs)} items)")


if __name__ == "__main__":
    main()
