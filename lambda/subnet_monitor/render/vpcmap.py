"""The HTML report's map of each VPC's address space: one band per CIDR block, drawn to scale, with
the subnets coloured by status, the free space between them, and the subnets ``fix`` proposes
(dashed), including those in a secondary CIDR it proposes to associate. Pure: no AWS, no I/O.

Every rectangle carries a ``<title>`` (what a browser shows on hover): names reach the page only
through :func:`escape`, like everywhere else in the report.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from subnet_monitor.core.models import Status
from subnet_monitor.design.fix import Proposed, VpcMap
from subnet_monitor.render.charts import FREE_COLOR, HELD_COLOR, NEED_COLOR, STATUS_COLORS, escape

MAP_WIDTH = 900  # px: a /16 band shows a /24 as 3.5 px, a /28 as one pixel at least
BAND_HEIGHT = 22
LABEL_HEIGHT = 14
# A subnet narrower than this is still drawn this wide, so that no subnet of the VPC disappears.
MIN_RECT_WIDTH = 1.0
FREE_BLOCKS_SHOWN = 12
UNMONITORED = "not monitored"


def _band(cidr: str, rects: Sequence[str], *, proposed: bool = False) -> str:
    network = ipaddress.IPv4Network(cidr)
    outline = f' stroke="{NEED_COLOR}" stroke-dasharray="5 3"' if proposed else ""
    label = f"{cidr} (proposed secondary CIDR)" if proposed else cidr
    height = BAND_HEIGHT + LABEL_HEIGHT
    return (
        f'<svg class="chart vpcmap" width="{MAP_WIDTH}" height="{height}" viewBox="0 0 {MAP_WIDTH} {height}" '
        f'role="img" aria-label="{escape(label)}">'
        f'<rect x="0" y="0" width="{MAP_WIDTH}" height="{BAND_HEIGHT}" fill="{FREE_COLOR}"{outline}>'
        f"<title>{escape(label)}: {network.num_addresses} addresses</title></rect>"
        f"{''.join(rects)}"
        f'<text x="0" y="{height - 2}" font-size="11" fill="#5b6577">{escape(network.network_address)}</text>'
        f'<text x="{MAP_WIDTH}" y="{height - 2}" font-size="11" fill="#5b6577" text-anchor="end">'
        f"{escape(network.broadcast_address)}</text></svg>"
    )


def _place(band: ipaddress.IPv4Network, cidr: str) -> tuple[float, float] | None:
    """x and width of ``cidr`` in ``band``'s picture; None when it lies outside the band."""
    network = ipaddress.IPv4Network(cidr)
    if not network.subnet_of(band):
        return None
    scale = MAP_WIDTH / band.num_addresses
    offset = int(network.network_address) - int(band.network_address)
    return round(offset * scale, 2), round(max(network.num_addresses * scale, MIN_RECT_WIDTH), 2)


def _subnet_rect(band: ipaddress.IPv4Network, subnet: dict[str, object]) -> str:
    placed = _place(band, str(subnet["cidr"]))
    if placed is None:
        return ""
    x, width = placed
    status = subnet.get("status")
    color = STATUS_COLORS[Status(status)] if status else HELD_COLOR
    name = f"{subnet['name']} · " if subnet.get("name") else ""
    title = f"{name}{subnet['subnet_id']} · {subnet['cidr']} · {subnet.get('availability_zone') or ''} · "
    title += str(status) if status else UNMONITORED
    return (
        f'<rect x="{x}" y="0" width="{width}" height="{BAND_HEIGHT}" fill="{color}" stroke="#fff" '
        f'stroke-width="0.5"><title>{escape(title)}</title></rect>'
    )


def _for(proposal: Proposed, names: Mapping[str, str]) -> str:
    name = names.get(proposal.for_subnet)
    return f"{proposal.cidr} in {proposal.availability_zone} for {proposal.for_subnet}" + (f" ({name})" if name else "")


def _proposed_rect(band: ipaddress.IPv4Network, proposal: Proposed, names: Mapping[str, str]) -> str:
    placed = _place(band, proposal.cidr)
    if placed is None:
        return ""
    x, width = placed
    title = f"proposed {_for(proposal, names)}"
    return (
        f'<rect x="{x}" y="1" width="{width}" height="{BAND_HEIGHT - 2}" fill="#fff" fill-opacity="0.6" '
        f'stroke="{NEED_COLOR}" stroke-width="1.5" stroke-dasharray="4 2"><title>{escape(title)}</title></rect>'
    )


def _bands(vpc_map: VpcMap, names: Mapping[str, str]) -> list[str]:
    bands = []
    for cidr, proposed in [(c, False) for c in vpc_map.cidrs] + [(c, True) for c in vpc_map.proposed_cidrs]:
        band = ipaddress.IPv4Network(cidr)
        rects = [_subnet_rect(band, s) for s in vpc_map.subnets]
        rects += [_proposed_rect(band, p, names) for p in vpc_map.proposed]
        bands.append(_band(cidr, rects, proposed=proposed))
    return bands


def _listing(vpc_map: VpcMap, names: Mapping[str, str]) -> str:
    shown = vpc_map.free_blocks[:FREE_BLOCKS_SHOWN]
    more = len(vpc_map.free_blocks) - len(shown)
    free = ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "none"
    lines = [f"Free blocks: {escape(free)}"]
    if vpc_map.proposed_cidrs:
        lines.append(f"Secondary CIDR to associate: {escape(', '.join(vpc_map.proposed_cidrs))}")
    if vpc_map.proposed:
        items = "; ".join(_for(p, names) for p in vpc_map.proposed)
        lines.append(f"Proposed subnets: {escape(items)}")
    return "".join(f'<div class="sources">{line}</div>' for line in lines)


def _legend() -> str:
    items = [(STATUS_COLORS[s], str(s)) for s in (Status.OK, Status.WARNING, Status.CRITICAL)]
    items += [(HELD_COLOR, UNMONITORED), (FREE_COLOR, "free")]
    spans = "".join(f'<span><i style="background:{color}"></i>{escape(label)}</span>' for color, label in items)
    proposed = f'<span><i style="background:#fff;border:2px dashed {NEED_COLOR}"></i>proposed by fix</span>'
    return f'<div class="legend">{spans}{proposed}</div>'


def vpc_maps_section(
    maps: Sequence[VpcMap], labels: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None
) -> str:
    """The section: a heading, the legend, then per VPC its bands and what is free and proposed.
    ``labels``: VPC labels by ID; ``names``: subnet Name tags by ID."""
    names = names or {}
    if not maps:
        return ""
    out = ['<h2 id="address-space">Address space by VPC</h2>', _legend()]
    for vpc_map in sorted(maps, key=lambda m: m.vpc_id):
        label = (labels or {}).get(vpc_map.vpc_id, vpc_map.vpc_id)
        out.append(f"<h3>VPC {escape(label)} · {escape(', '.join(vpc_map.cidrs))}</h3>")
        out.extend(_bands(vpc_map, names))
        out.append(_listing(vpc_map, names))
    return "".join(out)
