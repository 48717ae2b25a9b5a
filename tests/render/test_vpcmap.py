"""The HTML report's VPC address-space map: to scale, coloured by status, proposals dashed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from subnet_monitor.core.models import Status
from subnet_monitor.design.fix import Proposed, VpcMap
from subnet_monitor.render.charts import HELD_COLOR, NEED_COLOR, STATUS_COLORS
from subnet_monitor.render.vpcmap import MAP_WIDTH, MIN_RECT_WIDTH, vpc_maps_section


class Rects(HTMLParser):
    """Each band (svg) with its rectangles: attributes and hover title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bands: list[dict[str, object]] = []
        self._rect: dict[str, str] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "svg":
            self.bands.append({"label": values.get("aria-label"), "rects": []})
        elif tag == "rect":
            self._rect = {**values, "title": ""}
            self.bands[-1]["rects"].append(self._rect)  # type: ignore[union-attr]
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and self._rect is not None:
            self._rect["title"] += data


def parse(html: str) -> list[dict[str, object]]:
    parser = Rects()
    parser.feed(html)
    return parser.bands


def subnet(subnet_id: str, cidr: str, status: str | None, name: str | None = None) -> dict[str, object]:
    return {"subnet_id": subnet_id, "cidr": cidr, "availability_zone": "eu-west-1a", "name": name, "status": status}


VPC = VpcMap(
    vpc_id="vpc-1",
    cidrs=["10.0.0.0/16"],
    free_blocks=["10.0.128.0/17"],
    subnets=[
        subnet("subnet-a", "10.0.0.0/18", "CRITICAL", name="eks-nodes-a"),
        subnet("subnet-b", "10.0.64.0/18", None),
        subnet("subnet-c", "10.0.255.240/28", "OK"),
    ],
    proposed=[
        Proposed("10.0.128.0/18", "eu-west-1a", "subnet-a"),
        Proposed("100.64.0.0/24", "eu-west-1b", "subnet-a"),
    ],
    proposed_cidrs=["100.64.0.0/24"],
)


def test_subnets_are_drawn_to_scale_in_their_cidr_band_coloured_by_status() -> None:
    # WHEN the map of a /16 with a CRITICAL /18, an unmonitored /18 and an OK /28 is drawn
    bands = parse(vpc_maps_section([VPC]))
    primary = bands[0]["rects"]
    by_title = {r["title"].split(" · ")[0]: r for r in primary[1:]}  # type: ignore[index, union-attr]
    # THEN the /18 at the start takes the first quarter of the band, in the CRITICAL colour, with its name
    critical = by_title["eks-nodes-a"]
    assert (float(critical["x"]), float(critical["width"])) == (0.0, MAP_WIDTH / 4)
    assert critical["fill"] == STATUS_COLORS[Status.CRITICAL]
    assert "subnet-a · 10.0.0.0/18" in critical["title"]
    # AND the unmonitored one the second quarter, in grey, saying it is not monitored
    unmonitored = by_title["subnet-b"]
    assert (float(unmonitored["x"]), unmonitored["fill"]) == (MAP_WIDTH / 4, HELD_COLOR)
    assert unmonitored["title"].endswith("not monitored")
    # AND the /28 at the very end is still visible: at least the minimum width, ending at the band's end
    tiny = by_title["subnet-c"]
    assert float(tiny["width"]) == MIN_RECT_WIDTH
    assert float(tiny["x"]) == round((65536 - 16) * MAP_WIDTH / 65536, 2)


def test_proposals_are_dashed_in_the_band_they_fall_in_and_a_proposed_cidr_gets_its_own_band() -> None:
    bands = parse(vpc_maps_section([VPC], names={"subnet-a": "eks-nodes-a"}))
    # THEN there are two bands: the VPC's CIDR and the secondary CIDR fix proposes (outlined, dashed)
    assert [b["label"] for b in bands] == ["10.0.0.0/16", "100.64.0.0/24 (proposed secondary CIDR)"]
    secondary_background = bands[1]["rects"][0]  # type: ignore[index]
    assert secondary_background["stroke-dasharray"]
    # AND each proposed subnet is drawn dashed in its own band only, where the free space was
    dashed = [
        [r for r in band["rects"][1:] if r.get("stroke") == NEED_COLOR]  # type: ignore[union-attr, index]
        for band in bands
    ]
    assert [[r["title"] for r in rects] for rects in dashed] == [
        ["proposed 10.0.128.0/18 in eu-west-1a for subnet-a (eks-nodes-a)"],
        ["proposed 100.64.0.0/24 in eu-west-1b for subnet-a (eks-nodes-a)"],
    ]
    assert float(dashed[0][0]["x"]) == MAP_WIDTH / 2
    assert float(dashed[1][0]["width"]) == MAP_WIDTH


def test_the_listing_says_what_is_free_and_what_is_proposed() -> None:
    html = vpc_maps_section([VPC])
    text = re.sub(r"<[^>]+>", "|", html)
    assert "Free blocks: 10.0.128.0/17" in text
    assert "Secondary CIDR to associate: 100.64.0.0/24" in text
    assert "Proposed subnets: 10.0.128.0/18 in eu-west-1a for subnet-a" in text


def test_a_name_reaches_the_map_as_text_only() -> None:
    hostile = VpcMap(
        "vpc-1", ["10.0.0.0/24"], [], [subnet("subnet-x", "10.0.0.0/25", "OK", name='"><script>x</script>')]
    )
    html = vpc_maps_section([hostile])
    # THEN the name is in the hover title as text, and no element came from it
    assert "<script>" not in html
    assert parse(html)[0]["rects"][1]["title"].startswith('"><script>x</script> · subnet-x')  # type: ignore[index]


def test_no_vpc_no_section() -> None:
    assert vpc_maps_section([]) == ""
