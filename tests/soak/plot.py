#!/usr/bin/python3
"""Draws the soak's resident memory over applies as an SVG chart.

usage: plot.py SAMPLES.csv OUT.svg

SAMPLES.csv is what `soak --csv` writes: a header, rows of
applies,seconds,rss_bytes, and a last line "# key=value ..." with the run's
figures. Standard library only, so it runs wherever python3 does.
"""
import csv
import sys
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 900, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 30, 50, 70
WARM_UP = 0.2  # the fraction soak.c's judge_memory leaves out


def read(path):
    rows, figures = [], {}
    with open(path, newline="") as f:
        for line in f:
            if line.startswith("#"):
                for pair in line[1:].split():
                    key, _, value = pair.partition("=")
                    figures[key] = value
    with open(path, newline="") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            rows.append((int(row["applies"]), float(row["seconds"]), float(row["rss_bytes"])))
    if not rows:
        sys.exit("plot.py: no samples in %s" % path)
    return rows, figures


def fit(points):
    """Least-squares line through (x, y) points: (slope, intercept)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0
    return slope, my - slope * mx


def nice_step(span, ticks):
    """A round tick step (1, 2 or 5 times a power of ten) for about `ticks` ticks."""
    raw = span / ticks
    power = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


class Chart:
    def __init__(self, x_max, y_max):
        self.x_max, self.y_max = x_max, y_max
        self.parts = []

    def x(self, v):
        return LEFT + (WIDTH - LEFT - RIGHT) * v / self.x_max

    def y(self, v):
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * v / self.y_max

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="start", fill="#222"):
        self.add('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" fill="%s">%s</text>'
                 % (x, y, size, anchor, fill, escape(s)))

    def line(self, x1, y1, x2, y2, stroke="#ccc", width=1, dash=None):
        extra = ' stroke-dasharray="%s"' % dash if dash else ""
        self.add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>'
                 % (x1, y1, x2, y2, stroke, width, extra))

    def axes(self):
        step = nice_step(self.y_max, 6)
        v = 0.0
        while v <= self.y_max + 1e-9:
            self.line(LEFT, self.y(v), WIDTH - RIGHT, self.y(v))
            self.text(LEFT - 8, self.y(v) + 4, "%g" % v, anchor="end")
            v += step
        step = nice_step(self.x_max, 10)
        v = 0.0
        while v <= self.x_max + 1e-9:
            self.line(self.x(v), HEIGHT - BOTTOM, self.x(v), HEIGHT - BOTTOM + 5, stroke="#444")
            self.text(self.x(v), HEIGHT - BOTTOM + 20, "%gk" % (v / 1000), anchor="middle")
            v += step
        self.line(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, stroke="#444")
        self.line(LEFT, TOP, LEFT, HEIGHT - BOTTOM, stroke="#444")
        self.text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - BOTTOM + 40, "applies completed (all threads)",
                  anchor="middle")
        self.add('<text x="18" y="%.1f" font-size="12" text-anchor="middle" '
                 'transform="rotate(-90 18 %.1f)">resident memory (MB)</text>'
                 % ((TOP + HEIGHT - BOTTOM) / 2, (TOP + HEIGHT - BOTTOM) / 2))

    def render(self):
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
                'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
                '<rect width="100%%" height="100%%" fill="#fff"/>\n%s\n</svg>\n'
                % (WIDTH, HEIGHT, WIDTH, HEIGHT, "\n".join(self.parts)))


def draw(rows, figures):
    mb = [(a, rss / 2 ** 20) for a, _, rss in rows]
    total = int(figures.get("applies", rows[-1][0]))
    chart = Chart(max(total, rows[-1][0]), max(y for _, y in mb) * 1.15)
    warm = WARM_UP * total
    chart.add('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="#f3f3f3"/>'
              % (chart.x(0), TOP, chart.x(warm) - chart.x(0), HEIGHT - TOP - BOTTOM))
    chart.text(chart.x(warm / 2), TOP + 16, "warm-up", anchor="middle", fill="#888")
    chart.axes()
    path = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", chart.x(a), chart.y(y))
                    for i, (a, y) in enumerate(mb))
    chart.add('<path d="%s" fill="none" stroke="#1f77b4" stroke-width="2"/>' % path)
    after = [(a, y) for a, y in mb if a >= warm]
    if len(after) >= 2:
        slope, icept = fit(after)
        x0, x1 = after[0][0], after[-1][0]
        chart.line(chart.x(x0), chart.y(slope * x0 + icept), chart.x(x1), chart.y(slope * x1 + icept),
                   stroke="#d62728", width=1.5, dash="6 4")
        if "bound_bytes" in figures:
            top = slope * x0 + icept + float(figures["bound_bytes"]) / 2 ** 20
            chart.line(chart.x(x0), chart.y(top), chart.x(x1), chart.y(top), stroke="#999", dash="2 3")
            chart.text(chart.x(x1) - 4, chart.y(top) - 5, "fit + bound (%.0f MB)"
                       % (float(figures["bound_bytes"]) / 2 ** 20), anchor="end", size=11, fill="#666")
    title = "Soak: resident memory of one process, %s threads, %s applies" % (
        figures.get("threads", "?"), "{:,}".format(total))
    chart.text(LEFT, 28, title, size=15)
    caption = "%s s, %s rebuilds; dashed red: least-squares fit after warm-up, %s bytes per 1000 applies" % (
        figures.get("seconds", "?"), figures.get("rebuilds", "?"), figures.get("slope_bytes_per_1000", "?"))
    chart.text(LEFT, HEIGHT - 12, caption, size=11, fill="#555")
    return chart.render()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    rows, figures = read(sys.argv[1])
    svg = draw(rows, figures)
    with open(sys.argv[2], "w") as f:
        f.write(svg)


if __name__ == "__main__":
    main()
