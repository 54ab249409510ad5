"""Simple official-looking PDF documents (receipts, letters, templates), written to a
file so that they are stored and served like any other document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


@dataclass
class Heading:
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Fields:
    """Label/value pairs, as a two-column table."""

    rows: list[tuple[str, str]]


@dataclass
class Grid:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Signature:
    lines: list[str]


Block = Heading | Para | Fields | Grid | Signature


def render_pdf(target: Path | BinaryIO, *, title: str, issuer: str, blocks: list[Block], subject: str = "") -> None:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    story = [
        Paragraph(escape(issuer), ParagraphStyle("issuer", parent=body, textColor=colors.HexColor("#000091"), fontSize=9)),
        Spacer(1, 6 * mm),
        Paragraph(escape(title), styles["Title"]),
        Spacer(1, 4 * mm),
    ]
    for block in blocks:
        if isinstance(block, Heading):
            story += [Spacer(1, 3 * mm), Paragraph(escape(block.text), styles["Heading3"])]
        elif isinstance(block, Para):
            story.append(Paragraph(escape(block.text).replace("\n", "<br/>"), body))
            story.append(Spacer(1, 2 * mm))
        elif isinstance(block, Fields):
            table = Table(
                [[Paragraph(f"<b>{escape(k)}</b>", body), Paragraph(escape(v), body)] for k, v in block.rows],
                colWidths=[55 * mm, 115 * mm],
            )
            table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey)]))
            story += [table, Spacer(1, 3 * mm)]
        elif isinstance(block, Grid):
            data = [[Paragraph(f"<b>{escape(h)}</b>", small) for h in block.header]]
            data += [[Paragraph(escape(c), small) for c in row] for row in block.rows]
            table = Table(data, repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story += [table, Spacer(1, 3 * mm)]
        elif isinstance(block, Signature):
            story.append(Spacer(1, 8 * mm))
            for line in block.lines:
                story.append(Paragraph(escape(line), body))
    doc = SimpleDocTemplate(
        str(target) if isinstance(target, Path) else target,
        pagesize=A4,
        title=title,
        author=issuer,
        subject=subject or title,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    doc.build(story)
