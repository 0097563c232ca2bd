"""Check kind ``template-card-input``: an HTML/Jinja/Django template ``<input>`` that collects a card
number or CVC *and has a ``name``*, so the browser posts it to your server.

Inputs are read with the standard library's :class:`html.parser.HTMLParser` (tags inside ``<script>``
and comments are not inputs), after Jinja/Django ``{{ ... }}``, ``{% ... %}`` and ``{# ... #}`` have been
blanked out (newlines kept, so line numbers stay exact).  An input is card data when its ``name``,
``id`` or ``autocomplete`` (``cc-number``, ``cc-csc``) says so; an input *without* a ``name`` - Stripe
Elements mounts an iframe, legacy Stripe.js used ``data-stripe="number"`` - never reaches your server
and is not reported.  A dynamic name (``name="{{ field.html_name }}"``) counts as a name.  Reported at
the line of the ``<input`` tag.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from pcilint.analysis.declarations import WEAK_NAMES, describe, is_weak
from pcilint.analysis.names import PAN, SAD, Vocabulary, vocabulary
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param

TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
AUTOCOMPLETE = {"cc-number": PAN, "cc-csc": SAD}
NOT_TYPED_IN = {"submit", "button", "checkbox", "radio", "image", "reset", "file", "range", "color"}


def blank_template_tags(text: str) -> str:
    """Replace template-language tags with spaces (keeping newlines) so HTML parses cleanly."""
    return TEMPLATE_TAG.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


class _InputCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: list[tuple[int, int, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            line, col = self.getpos()
            self.inputs.append((line, col, {k.lower(): v for k, v in attrs}))

    handle_startendtag = handle_starttag


def card_inputs(text: str, vocab: Vocabulary,
                weak: tuple[str, ...] = WEAK_NAMES) -> list[tuple[int, int, str, str]]:
    """(line, column, shown name, kind) of every named card-number/CVC input in a template.

    A weak name alone (``name="cid"``: usually a client id) counts only when the same template has
    another, unambiguous card input."""
    parser = _InputCollector()
    try:
        parser.feed(blank_template_tags(text))
        parser.close()
    except Exception:  # noqa: BLE001 - malformed markup must never crash a scan
        pass
    out = []
    weak_hits = []
    for line, col, attrs in parser.inputs:
        if "name" not in attrs:
            continue
        if (attrs.get("type") or "text").strip().lower() in NOT_TYPED_IN:
            continue
        # `disabled` inputs are never submitted; `readonly` ones show what the server rendered
        # (`value="•••• {{ card.last4 }}"`), nobody types a card number into them
        if "disabled" in attrs or "readonly" in attrs:
            continue
        name = (attrs.get("name") or "").strip()
        kind = None
        shown = name
        auto = (attrs.get("autocomplete") or "").strip().lower().split()
        for token in auto:
            if token in AUTOCOMPLETE:
                kind = AUTOCOMPLETE[token]
        weak_only = False
        for candidate in (name, (attrs.get("id") or "").strip()):
            if kind is None and candidate:
                kind = vocab.classify(candidate)
                weak_only = kind is not None and is_weak(candidate, weak)
        if kind is None:
            continue
        if weak_only and attrs.get("value"):
            continue  # `name="cid" value="{{ campaign.id }}"`: an id the server filled in, not a CVC
        hit = (line, col + 1, shown or "(dynamic name)", kind)
        (weak_hits if weak_only else out).append(hit)
    if out:
        out = sorted(out + weak_hits)
    return out


@register
class TemplateCardInput(CheckKind):
    """An HTML/Jinja/Django template ``<input>`` that collects a card number or CVC (by ``name``,
    ``id`` or ``autocomplete="cc-number"``) *and has a name*, so the browser posts it to your
    server; Stripe Elements' name-less inputs are not reported.

    Reported at the line of the ``<input`` tag; message fields ``name``, ``data``.
    ``sad_severity`` applies to a CVC input.
    """

    kind = "template-card-input"
    FILE_KINDS = ("template",)
    PARAMS = {
        "sad_severity": Param("str", default=None, doc="Severity for a CVC/CVV input."),
    }

    def prefilter_terms(self) -> list[str] | None:
        return [r"(?i:<input)"]

    def check_text(self, ctx: FileContext) -> None:
        vocab = vocabulary(ctx.settings.sensitive_names)
        for line, col, name, kind in card_inputs(ctx.text, vocab):
            fields = {"name": name, "data": describe(kind)}
            if kind == SAD and self.p["sad_severity"]:
                fields["severity"] = self.p["sad_severity"]
            text = ctx.line_text(line)
            end = text.find(">", col - 1)
            ctx.report(self.rule, line=line, column=col, end_line=line,
                       end_column=(end + 2) if end >= 0 else len(text) + 1, **fields)
