"""Rendering a notification from its template: subject, in-app summary, text and HTML.

Each kind is one Jinja2 file ``templates/<name>.j2`` with three blocks: ``subject``,
``summary`` (the bell's text) and ``body``. The body is written once in a tiny markup and
turned into both the text part and the (escaped) HTML part:

- a blank line separates paragraphs;
- lines starting with ``- `` form a list;
- a line ``=> URL | Label`` is a call to action (a button in HTML).

That markup is the template's only: every value a template prints (``{{ … }}``) is data,
fenced by two private-use characters while the body is parsed (``_DATA_OPEN`` …
``_DATA_CLOSE``), so a line that begins inside a value (a depositor's message, a name)
is never a call to action nor a list item, whatever it holds (issue 11, point 15). Only
the platform's own addresses (``CERTREG_PUBLIC_URL``) become links; anything else a
value holds stays text (point 9).

A mail about a dossier names it by its number (« Dossier n° 2026-000123 », the filing's
``reference``, which the notifier keeps from ``filings.filing.submitted``): in its subject and
at the top of its body. The service is named as configured (``CERTREG_SERVICE_NAME``).

Links go where the recipient works: a back-office account's to ``/back-office/…``
(``filing_url``, ``back_office_url``), a depositor's to the portal. Every mail ends with
the platform's contacts and help notices (``certreg_runtime.contacts``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import jinja2

from certreg_runtime.contacts import Contacts
from notifier.domain import formatting as fmt
from notifier.domain.rules import Recipient

TEMPLATES = Path(__file__).parent / "templates"


def signature(service: str) -> str:
    return f"L'équipe « {service} » — France compétences"


def footer(service: str) -> str:
    return f"Ce message vous est envoyé automatiquement par la plateforme « {service} » de France compétences ; merci de ne pas y répondre."


def help_lines(contacts: Contacts) -> list[str]:
    """The end of every mail: whom to write to, and the help notices."""
    return [
        f"Activation ou accès à votre compte : {contacts.support_email}",
        f"Questions sur la procédure d'enregistrement : {contacts.contact_email}",
        *(f"{label} : {url}" for label, url in contacts.notices()),
    ]


@dataclass(frozen=True)
class Rendered:
    subject: str
    summary: str
    text: str
    html: str


_DATA_OPEN, _DATA_CLOSE = "\ue000", "\ue001"


def _fence(value: Any) -> str:
    """Each printed value, fenced as data (and cleared of the fences it may carry)."""
    text = "" if value is None else str(value)
    return _DATA_OPEN + text.replace(_DATA_OPEN, "").replace(_DATA_CLOSE, "") + _DATA_CLOSE


def _unfenced(text: str) -> str:
    return text.replace(_DATA_OPEN, "").replace(_DATA_CLOSE, "")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        finalize=_fence,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # the body is escaped when turned into HTML, below
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        date_fr=fmt.date_fr,
        datetime_fr=fmt.datetime_fr,
        days_fr=fmt.days_fr,
        doc_type=fmt.doc_type_fr,
        status=lambda s: fmt.label(fmt.STATUSES, s),
        opinion=lambda s: fmt.label(fmt.OPINIONS, s),
        repertoire=lambda s: fmt.label(fmt.REPERTOIRES, s),
        repertoire_name=lambda s: fmt.label(fmt.REPERTOIRE_NAMES, s),
        role=lambda s: fmt.label(fmt.ROLES, s),
    )
    return env


def context(
    event: Any,
    recipient: Recipient,
    *,
    public_url: str,
    today: dt.date,
    contacts: Contacts | None = None,
    reference: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What a template is rendered with; ``reference``: the number of the dossier the event is
    about, when known (else the event's own, ``filings.filing.submitted`` carries it)."""
    back_office = f"{public_url}/back-office"
    contacts = contacts or Contacts()
    ctx: dict[str, Any] = {
        "e": event,
        "to": recipient,
        "public_url": public_url,
        "back_office_url": back_office,
        "today": today,
        "contacts": contacts,
        "service": contacts.service_name,
        "reference": reference or getattr(event, "reference", None),
    }
    filing_id = getattr(event, "filing_id", None)
    ctx["filing_url"] = filing_link(public_url, recipient, filing_id)
    due = getattr(event, "due_date", None) or getattr(event, "resubmission_due", None)
    ctx["days_left"] = (due - today).days if isinstance(due, dt.date) else None
    ctx.update(extra)
    return ctx


def filing_link(base: str, recipient: Recipient, filing_id: Any) -> str:
    """The filing's page where the recipient works (``base`` empty: the path alone)."""
    if recipient.staff:
        return f"{base}/back-office/dossiers/{filing_id}" if filing_id else f"{base}/back-office/"
    return f"{base}/dossiers/{filing_id}" if filing_id else f"{base}/dossiers"


def render(name: str, ctx: dict[str, Any]) -> Rendered:
    template = environment().get_template(f"{name}.j2")
    blocks = {}
    for block in ("subject", "summary", "body"):
        fn = template.blocks.get(block)
        if fn is None:
            raise LookupError(f"template {name} has no {block!r} block")
        blocks[block] = "".join(fn(template.new_context(ctx))).strip()
    subject = " ".join(_unfenced(blocks["subject"]).split())
    summary = _unfenced(_squeeze_blank_lines(blocks["summary"]))
    first_name = " ".join(str(ctx["to"].first_name or "").split())
    greeting = f"Bonjour {_fence(first_name)}," if first_name else "Bonjour,"
    body = f"{greeting}\n\n{_squeeze_blank_lines(blocks['body'])}"
    reference = " ".join(str(ctx.get("reference") or "").split())
    if reference:  # the dossier's number people quote, first in the subject's end and the body
        subject = f"{subject} (dossier n° {reference})"
        body = f"Dossier n° {_fence(reference)}\n\n{body}"
    contacts: Contacts = ctx["contacts"]
    helps = help_lines(contacts)
    own = str(ctx.get("public_url") or "")
    service = contacts.service_name
    return Rendered(
        subject=subject,
        summary=summary,
        text=to_text(body, helps, service=service),
        html=to_html(body, subject, helps, own=own, service=service),
    )


def _squeeze_blank_lines(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_ACTION = re.compile(r"^=>\s*(\S+)\s*\|\s*(.+)$")


def _lines(body: str) -> list[tuple[str, bool]]:
    """Each line without its fences, and whether it begins in the template's own text
    (only such a line may be markup: a call to action, a list item)."""
    out: list[tuple[str, bool]] = []
    inside = False
    for raw in body.split("\n"):
        stripped = raw.lstrip()
        out.append((_unfenced(raw), not inside and not stripped.startswith(_DATA_OPEN)))
        for ch in raw:
            if ch == _DATA_OPEN:
                inside = True
            elif ch == _DATA_CLOSE:
                inside = False
    return out


def to_text(body: str, helps: list[str] | None = None, *, service: str = Contacts().service_name) -> str:
    lines = []
    for line, markup in _lines(body):
        match = _ACTION.match(line.strip()) if markup else None
        lines.append(f"{match.group(2).strip()} :\n{match.group(1)}" if match else line)
    help_text = "".join(f"{h}\n" for h in helps or [])
    return "\n".join(lines) + f"\n\n{signature(service)}\n\n--\n{footer(service)}\n{help_text}"


_URL = re.compile(r"https?://[^\s<>\"']+")


def _inline(text: str, own: str | None = None) -> str:
    """Escaped text; the URLs under ``own`` (the platform's address) as links, any other
    URL as text. ``own`` None: every URL (the platform's configured help notices)."""
    out, last = [], 0
    for match in _URL.finditer(text):
        found = match.group(0)
        if own is not None and not (own and (found == own or found.startswith(own.rstrip("/") + "/"))):
            continue
        out.append(escape(text[last : match.start()]))
        url = escape(found)
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def to_html(body: str, title: str, helps: list[str] | None = None, *, own: str = "", service: str = Contacts().service_name) -> str:
    paragraphs: list[list[tuple[str, bool]]] = [[]]
    for line, markup in _lines(body):  # the whole body at once: a value may hold blank lines
        if line.strip():
            paragraphs[-1].append((line, markup))
        elif paragraphs[-1]:
            paragraphs.append([])
    parts = []
    for lines in paragraphs:
        if not lines:
            continue
        if all(markup and line.lstrip().startswith("- ") for line, markup in lines):
            items = "".join(f"<li>{_inline(line.lstrip()[2:], own)}</li>" for line, _ in lines)
            parts.append(f"<ul>{items}</ul>")
            continue
        html_lines = []
        for line, markup in lines:
            match = _ACTION.match(line.strip()) if markup else None
            if match:
                url, label = escape(match.group(1)), escape(match.group(2).strip())
                html_lines.append(
                    f'<a href="{url}" style="display:inline-block;background:#000091;color:#ffffff;'
                    f'padding:10px 16px;text-decoration:none;border-radius:4px">{label}</a>'
                )
            elif markup and line.lstrip().startswith("- "):
                html_lines.append(f"&bull; {_inline(line.lstrip()[2:], own)}")
            else:
                html_lines.append(_inline(line, own))
        parts.append(f"<p>{'<br>'.join(html_lines)}</p>")
    content = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n"
        '<body style="font-family:Marianne,Arial,sans-serif;color:#161616;line-height:1.5;max-width:640px;margin:0 auto;padding:16px">\n'
        f'<p style="color:#000091;font-weight:bold">France compétences — {escape(service)}</p>\n'
        f"{content}\n<p>{escape(signature(service))}</p>\n"
        f'<hr><p style="font-size:12px;color:#666666">{escape(footer(service))}'
        f"{''.join('<br>' + _inline(h) for h in helps or [])}</p>\n</body></html>\n"
    )
