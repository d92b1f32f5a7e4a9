"""HTML output with hostile input: markup in ids, texts and entity surfaces stays text, never becomes markup.

Pages are read back with the standard HTML parser: the elements and attributes it finds must be only
the renderer's own, and the text it reads must be the input text exactly.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser

from zhner.annotate import Span
from zhner.inference.render import document, footer, header

OWN_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "p", "div", "span", "mark", "sup"}
OWN_ATTRS = {"lang", "charset", "class", "title"}
VOID = {"meta"}
HOSTILE_ID = '</span><script>alert("id")</script><span class="id'
HOSTILE_TEXT = (
    "<b>营收</b>增长22.1%<u>，</u><script>alert('x')</script>，\"><img src=x onerror=alert(1)>居全国第二"
    " &amp; &lt;b&gt;</div></body><!-- -->'\"</textarea>"
)


class Page(HTMLParser):
    """Elements, attributes, and per document: its id, its text (labels left out) and its marks."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.titles: list[str] = []
        self.docs: list[dict] = []
        self.stack: list[tuple[str, str]] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.attrs |= {k for k, _ in attrs}
        cls = dict(attrs).get("class") or ""
        if tag == "mark" and any(t == "div" for t, _ in self.stack):  # not the legend's
            self.titles.append(dict(attrs).get("title"))
            self.docs[-1]["marks"].append("")
        if tag == "div" and cls == "doc":
            self.docs.append({"id": "", "text": "", "marks": []})
        if tag not in VOID:
            self.stack.append((tag, cls))

    def handle_endtag(self, tag) -> None:
        assert self.stack and self.stack[-1][0] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data) -> None:
        inside = [t for t, _ in self.stack]
        if "div" not in inside or not self.docs or "sup" in inside:
            return
        if ("span", "id") in self.stack:
            self.docs[-1]["id"] += data
            return
        self.docs[-1]["text"] += data
        if "mark" in inside:
            self.docs[-1]["marks"][-1] += data

    def handle_comment(self, data) -> None:
        raise AssertionError(f"a comment reached the page: {data!r}")


def test_document_escapes_markup_in_id_text_and_entity_surfaces() -> None:
    text = HOSTILE_TEXT
    spans = [
        Span(text.index("22.1%"), text.index("22.1%") + 5, "METRIC"),
        Span(text.index("<script>"), text.index("</script>") + 9, "ORG"),  # an entity made of markup
        Span(text.index('"><img'), text.index("alert(1)>") + 9, "LOC"),
    ]
    page = Page(header('t"<script>') + document(HOSTILE_ID, text, spans, [0.5, 0.25, 1.0]) + footer())
    assert page.tags <= OWN_TAGS and page.attrs <= OWN_ATTRS
    assert not page.stack  # every element closed: nothing in the input closed or opened one
    (doc,) = page.docs
    assert doc == {"id": HOSTILE_ID, "text": text, "marks": [s.text_in(text) for s in sorted(spans)]}
    assert page.titles == ["METRIC 0.50", "ORG 0.25", "LOC 1.00"]


def test_predict_html_escapes_hostile_input(tiny_model, tmp_path) -> None:
    """zhner predict --format html over JSONL with markup and quotes in ids and texts (the METRIC rules
    mark entities right next to the markup): the page's documents read back as the input, ids and texts."""
    from zhner.inference.cli import main

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    meta = json.loads((model / "zhner.json").read_text(encoding="utf-8"))
    (model / "zhner.json").write_text(json.dumps({**meta, "rules": "override"}), encoding="utf-8")  # as --set
    docs = [
        {"id": HOSTILE_ID, "text": HOSTILE_TEXT},
        {"id": "b'\"&", "text": "<b>海康威视</b>营收2311.7亿元\n<script src='http://x/y.js'></script>"},
        {"id": "<!--", "text": "-->第三"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    out = tmp_path / "out.html"
    assert main(["--model", str(model), str(src), "--format", "html", "-o", str(out), "-q"]) == 0
    raw = out.read_text(encoding="utf-8")
    assert "<script" not in raw and "<img" not in raw and "<!--" not in raw
    page = Page(raw)
    assert page.tags <= OWN_TAGS and page.attrs <= OWN_ATTRS and not page.stack
    assert [(d["id"], d["text"]) for d in page.docs] == [(d["id"], d["text"]) for d in docs]
    marks = page.docs[0]["marks"] + page.docs[1]["marks"]
    assert {"22.1%", "第二", "2311.7亿元"} <= set(marks)  # entities were marked beside the markup
