"""The activity timeline: kept frames per hour, stacked by application, painted
by hand (a few dozen bars do not need QtCharts)."""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from mirix_app.gui import theme

PALETTE = ("#4656d9", "#16a34a", "#f59e0b", "#db2777", "#0891b2", "#7c3aed", "#64748b")


class ActivityTimeline(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("timeline")
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.hours: list[str] = []
        self.counts: dict[str, dict[str, int]] = {}
        self.apps: list[str] = []

    def set_activity(self, rows: list[tuple[str, str, int]]) -> None:
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        totals: dict[str, int] = defaultdict(int)
        for hour, app, n in rows:
            counts[hour][app or "unknown"] = counts[hour].get(app or "unknown", 0) + int(n)
            totals[app or "unknown"] += int(n)
        self.hours = sorted(counts)
        self.counts = dict(counts)
        ranked = sorted(totals, key=lambda a: -totals[a])
        # Past six applications, the rest share one colour.
        self.apps = ranked[: len(PALETTE) - 1] + (["other"] if len(ranked) >= len(PALETTE) else [])
        self.update()

    def colour(self, app: str) -> QColor:
        index = self.apps.index(app) if app in self.apps else len(PALETTE) - 1
        return QColor(PALETTE[min(index, len(PALETTE) - 1)])

    def paintEvent(self, event: QPaintEvent) -> None:
        c = theme.colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QColor(c.border))
        p.setBrush(QColor(c.surface))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1.5))
        p.setFont(small)
        left, top, bottom, legend_w = 40.0, 14.0, 26.0, 150.0
        width = self.width() - left - legend_w - 10
        height = self.height() - top - bottom
        if not self.hours:
            p.setPen(QColor(c.muted))
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                self.tr("No screen activity in this range"),
            )
            p.end()
            return
        peak = max(sum(c.values()) for c in self.counts.values()) or 1
        p.setPen(QColor(c.border))
        for frac in (0.0, 0.5, 1.0):
            y = top + height * (1 - frac)
            p.drawLine(int(left), int(y), int(left + width), int(y))
        p.setPen(QColor(c.muted))
        p.drawText(QRectF(0, top - 6, left - 6, 14), Qt.AlignmentFlag.AlignRight, str(peak))
        p.drawText(QRectF(0, top + height - 8, left - 6, 14), Qt.AlignmentFlag.AlignRight, "0")
        slot = width / len(self.hours)
        bar = max(2.0, slot * 0.72)
        label_every = max(1, int(60 / max(slot, 1)))
        for i, hour in enumerate(self.hours):
            x = left + i * slot + (slot - bar) / 2
            y = top + height
            for app, n in sorted(self.counts[hour].items(), key=lambda kv: kv[0]):
                h = height * n / peak
                p.fillRect(QRectF(x, y - h, bar, h), self.colour(app))
                y -= h
            if i % label_every == 0:
                p.setPen(QColor(c.muted))
                text = hour[11:13] + ":00" if len(hour) >= 13 else hour
                if i == 0 or hour[:10] != self.hours[i - 1][:10]:
                    text = hour[5:10] + " " + text
                p.drawText(
                    QRectF(x - 30, top + height + 4, bar + 60, 16),
                    Qt.AlignmentFlag.AlignHCenter,
                    text,
                )
        lx = left + width + 18
        for n, app in enumerate(self.apps):
            y = top + n * 17
            p.fillRect(QRectF(lx, y + 3, 10, 10), self.colour(app))
            p.setPen(QColor(c.text))
            p.drawText(QRectF(lx + 16, y, legend_w - 20, 16), Qt.AlignmentFlag.AlignLeft, app)
        p.end()
