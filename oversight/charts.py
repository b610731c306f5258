"""The dashboard's figures drawn as SVG with pygal, on the server.

Why served as an image, not inline: pygal puts its styles in a <style> element inside the SVG,
and the portal's content security policy (portal/middleware.py) has `style-src 'self'`, which
forbids inline styles in the page; loosening it for the whole page would give up the protection
for everything else on it. An SVG loaded through <img src> is a document of its own: the browser
draws it in "secure animated" mode (no scripts run, nothing is fetched), and it answers with its
own narrow policy (CHART_POLICY), which admits only its own inline styles. The page's policy
stays as it is: `img-src 'self'` already admits the chart.

pygal's JavaScript is off (`js=[]`) and the one inline configuration <script> it writes anyway is
removed from the tree; no font or style is fetched from anywhere. Each SVG carries a <title> and a
<desc> (the figure's summary), `role="img"` and `aria-labelledby`; the page gives each chart a
short text alternative naming the table beside it, which holds every figure the chart draws
(WAI's complex-images pattern).
"""

import pygal
from pygal.style import Style

from oversight.dashboard import Figure

SVG = "{http://www.w3.org/2000/svg}"
#: The chart's own response policy: nothing from anywhere, its own inline <style> only.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

#: The portal's colours, dark enough against white for text and bars alike.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1b1b",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    font_family="DejaVu Sans, Liberation Sans, Arial, sans-serif",
    colors=("#1d4f91", "#b35900", "#2e7d32", "#6a1b9a", "#5c5c5c"),
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
)

_KINDS = {
    "bar": pygal.Bar,
    "hbar": pygal.HorizontalBar,
    "stacked": pygal.StackedBar,
    "funnel": pygal.HorizontalBar,
}


def chart_svg(figure: Figure) -> bytes:
    """The SVG of `figure`, as bytes with its XML declaration."""
    chart = _KINDS[figure.kind](
        js=[],
        css=[],
        title=figure.title,
        style=STYLE,
        width=760,
        height=max(360, 28 * len(figure.labels) + 140) if figure.kind in _TALL else 380,
        show_legend=len(figure.series) > 1,
        legend_at_bottom=True,
        x_label_rotation=_rotation(figure),
        truncate_label=-1,
        value_formatter=_formatter(figure.unit),
        no_data_text="No claims in this view",
    )
    chart.add_xml_filter(_accessible(figure))
    labels = figure.labels
    if figure.kind == "funnel":
        # A funnel reads top-down in the lifecycle's order: pygal draws horizontal bars
        # bottom-up, so the order is reversed for the drawing only.
        labels = labels[::-1]
    chart.x_labels = labels
    for series in figure.series:
        values = series.values[::-1] if figure.kind == "funnel" else series.values
        chart.add(series.name, [float(v) for v in values])
    return chart.render()


_TALL = ("hbar", "funnel")


def _rotation(figure: Figure) -> int:
    return 40 if figure.kind in ("bar", "stacked") and len(figure.labels) > 6 else 0


def _formatter(unit: str):
    if unit == "money":
        return lambda value: f"£{value:,.0f}"
    return lambda value: f"{value:,.0f}"


def _accessible(figure: Figure):
    """An xml_filter: no script, a <desc> after the <title>, and the root labelled by both."""

    def apply(root):
        for script in list(root.iter(f"{SVG}script", "script")):
            script.getparent().remove(script)
        # The chart's own title is the root's first <title>; the others are pygal's tooltips.
        title = next(child for child in root if child.tag in (f"{SVG}title", "title"))
        title.set("id", f"{figure.key}-chart-title")
        desc = title.makeelement(f"{SVG}desc", {"id": f"{figure.key}-chart-desc"})
        desc.text = figure.summary
        title.addnext(desc)
        root.set("role", "img")
        root.set("aria-labelledby", f"{figure.key}-chart-title {figure.key}-chart-desc")
        return root

    return apply
