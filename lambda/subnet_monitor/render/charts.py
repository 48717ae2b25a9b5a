"""The HTML report's charts: inline SVG bars drawn from the numbers, their colours, patterns and
legend. Pure: no AWS, no I/O."""

from __future__ import annotations

import html
from collections.abc import Mapping

from subnet_monitor.core.consumers import REPORT_CATEGORIES
from subnet_monitor.core.models import Status
from subnet_monitor.core.text import escape_unsafe

BAR_WIDTH = 250
BAR_HEIGHT = 20
CONSUMER_WIDTH = 140
CONSUMER_HEIGHT = 14
STATUS_COLORS = {Status.OK: "#2e7d32", Status.WARNING: "#e08a00", Status.CRITICAL: "#c62828"}
NEED_COLOR = "#3f51b5"
HELD_COLOR = "#7f7f7f"
OVERFLOW_COLOR = "#c62828"
FREE_COLOR = "#e8ebef"
CONSUMER_COLORS = dict(
    zip(
        REPORT_CATEGORIES,
        (
            "#1f77b4",  # ecs_task
            "#9ecae9",  # ecs_trunk
            "#7f7f7f",  # ec2_instance_primary
            "#2ca02c",  # eks_node_pod
            "#98df8a",  # eks_control_plane
            "#17becf",  # eks_fargate
            "#9467bd",  # load_balancer
            "#ff7f0e",  # lambda
            "#8c564b",  # vpc_endpoint
            "#e377c2",  # nat_gateway
            "#bcbd22",  # other_aws_service
            "#d62728",  # detached
            "#c7c7c7",  # other
            "#525252",  # unattributed
        ),
        strict=True,
    )
)


def escape(value: object) -> str:
    """``value`` as HTML text or attribute: markup escaped, and the control and bidirectional characters a
    name may hold written as their escapes (an override would reorder what follows it in the cell)."""
    return html.escape(escape_unsafe(str(value)), quote=True)


def usage_bar(
    usable: int,
    used: int,
    needed: int | None,
    color: str,
    *,
    warning_percent: float | None = None,
    critical_percent: float | None = None,
    margin_required: int | None = None,
) -> str:
    """An SVG bar: ``used`` of ``usable`` addresses, then what the workloads ``needed`` more at their
    maximum (hatched; the part past the end of the subnet in red), threshold and margin marks."""
    extra = max(needed or 0, 0)
    scale = max(usable, used + extra, margin_required or 0, 1)

    def x(value: float) -> float:
        return round(value / scale * BAR_WIDTH, 1)

    parts = [
        f'<rect x="0" y="3" width="{x(usable)}" height="{BAR_HEIGHT - 6}" rx="3" fill="{FREE_COLOR}"/>',
        f'<rect x="0" y="3" width="{x(used)}" height="{BAR_HEIGHT - 6}" rx="3" fill="{color}"/>',
    ]
    if extra:
        inside = max(min(used + extra, usable) - used, 0)
        if inside:
            parts.append(f'<rect x="{x(used)}" y="3" width="{x(inside)}" height="{BAR_HEIGHT - 6}" fill="url(#need)"/>')
        if used + extra > usable:
            start = max(used, usable)
            parts.append(
                f'<rect x="{x(start)}" y="3" width="{x(used + extra - start)}" height="{BAR_HEIGHT - 6}" '
                'fill="url(#over)"/>'
            )
            parts.append(
                f'<line x1="{x(usable)}" x2="{x(usable)}" y1="0" y2="{BAR_HEIGHT}" '
                'stroke="#1d2330" stroke-width="1.5"/>'
            )
    for percent, stroke in ((warning_percent, STATUS_COLORS[Status.WARNING]), (critical_percent, OVERFLOW_COLOR)):
        if percent is not None:
            at = x(usable * percent / 100)
            parts.append(
                f'<line x1="{at}" x2="{at}" y1="1" y2="{BAR_HEIGHT - 1}" stroke="{stroke}" stroke-dasharray="2 2"/>'
            )
    if margin_required is not None:
        at = x(margin_required)
        parts.append(f'<line x1="{at}" x2="{at}" y1="0" y2="{BAR_HEIGHT}" stroke="{NEED_COLOR}" stroke-width="2"/>')
    title = f"{used} of {usable} usable in use" + (f", {extra} more at maximum scale" if needed is not None else "")
    return (
        f'<svg class="chart" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def consumer_bar(consumers: Mapping[str, int], usable: int) -> str:
    """An SVG stacked bar of who holds the addresses, as a share of the usable ones."""
    total = max(usable, sum(consumers.values()), 1)
    x = 0.0
    parts = [f'<rect x="0" y="0" width="{CONSUMER_WIDTH}" height="{CONSUMER_HEIGHT}" rx="2" fill="{FREE_COLOR}"/>']
    for category in REPORT_CATEGORIES:
        count = consumers.get(category, 0)
        if not count:
            continue
        width = round(count / total * CONSUMER_WIDTH, 1)
        parts.append(
            f'<rect x="{round(x, 1)}" y="0" width="{width}" height="{CONSUMER_HEIGHT}" '
            f'fill="{CONSUMER_COLORS[category]}"><title>{escape(category)}: {count}</title></rect>'
        )
        x += width
    label = ", ".join(f"{c} {n}" for c, n in consumers.items() if n) or "no addresses in use"
    return (
        f'<svg class="chart" width="{CONSUMER_WIDTH}" height="{CONSUMER_HEIGHT}" '
        f'viewBox="0 0 {CONSUMER_WIDTH} {CONSUMER_HEIGHT}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(parts)}</svg>"
    )


PATTERNS = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    f'<pattern id="need" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    f'<rect width="6" height="6" fill="#c5cae9"/><rect width="3" height="6" fill="{NEED_COLOR}"/></pattern>'
    f'<pattern id="over" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    f'<rect width="6" height="6" fill="#ffcdd2"/><rect width="3" height="6" fill="{OVERFLOW_COLOR}"/></pattern>'
    "</defs></svg>"
)


def legend(with_consumers: bool) -> str:
    items = [
        f'<span><i style="background:{STATUS_COLORS[Status.OK]}"></i>in use now (colour = status)</span>',
        f'<span><i style="background:{NEED_COLOR}"></i>needed more at maximum scale</span>',
        f'<span><i style="background:{OVERFLOW_COLOR}"></i>beyond the subnet</span>',
        '<span><i style="background:#fff;border:1px dashed #e08a00"></i>warning / critical mark</span>',
    ]
    if with_consumers:
        items += [f'<span><i style="background:{CONSUMER_COLORS[c]}"></i>{escape(c)}</span>' for c in REPORT_CATEGORIES]
    return f'<div class="legend">{"".join(items)}</div>'
