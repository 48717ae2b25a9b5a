"""Plan files of any size for ``make bench``'s ``check --plan`` part.

:func:`generate_plan` repeats one "cell" — the layout of ``examples/plan.json``: 16 subnets over three
Availability Zones (public, ECS instances and tasks, EKS control plane, nodes and Fargate, shared
services) with one ECS and one EKS cluster using them — six cells to a /16 VPC, as many VPCs as it
takes. Seeded, so the same size gives the same plan. Like a real estate of that size, it keeps every
rule busy:

- workload maxima drawn around what the subnets hold, so about a third of the workload subnets do
  not fit and the check looks for a free block to propose for each (the fitting search);
- every 50th cell's shared-services subnet overlaps one of its task subnets (the overlap search);
- a handful of trailing public subnets when the size is not a multiple of 16.
"""

from __future__ import annotations

import ipaddress
import json
import random
from pathlib import Path
from typing import Any

CELL_SUBNETS = 16
CELLS_PER_VPC = 6
CELL_STRIDE = 40  # /24s a cell spans in its VPC (it uses 33)
OVERLAP_EVERY = 50  # cells
ZONES = ("a", "b", "c")
# (name, third octet in the cell, fourth octet, prefix length, zone)
CELL = (
    ("public-a", 0, 0, 24, "a"),
    ("public-b", 1, 0, 24, "b"),
    ("public-c", 2, 0, 24, "c"),
    ("ecs-instances-a", 4, 0, 26, "a"),
    ("ecs-instances-b", 4, 64, 26, "b"),
    ("ecs-tasks-a", 8, 0, 25, "a"),
    ("ecs-tasks-b", 8, 128, 25, "b"),
    ("ecs-tasks-c", 9, 0, 25, "c"),
    ("eks-control-plane-a", 16, 0, 27, "a"),
    ("eks-control-plane-b", 16, 32, 27, "b"),
    ("eks-nodes-a", 20, 0, 24, "a"),
    ("eks-nodes-b", 21, 0, 24, "b"),
    ("eks-nodes-c", 22, 0, 24, "c"),
    ("eks-fargate-a", 26, 0, 26, "a"),
    ("eks-fargate-b", 26, 64, 26, "b"),
    ("shared-services-a", 32, 0, 24, "a"),
)
# Room for 254 VPCs in 10.0.0.0/8 (10.255.0.0/16 is the peered one) and 64 in 100.64.0.0/10.
VPC_BLOCKS = [f"10.{i}.0.0/16" for i in range(255)] + [f"100.{64 + i}.0.0/16" for i in range(64)]
MAX_SUBNETS = len(VPC_BLOCKS) * CELLS_PER_VPC * CELL_SUBNETS


def generate_plan(subnets: int, seed: int = 0) -> dict[str, Any]:
    """A plan document (as :func:`subnet_monitor.design.plan.parse_plan` takes it) of exactly
    ``subnets`` subnets (1 to :data:`MAX_SUBNETS`)."""
    if not 1 <= subnets <= MAX_SUBNETS:
        raise ValueError(f"a generated plan holds 1 to {MAX_SUBNETS:,} subnets, not {subnets:,}")
    rng = random.Random(seed)
    cells, spare = divmod(subnets, CELL_SUBNETS)
    vpcs: list[dict[str, Any]] = []
    plan_subnets: list[dict[str, Any]] = []
    ecs: list[dict[str, Any]] = []
    eks: list[dict[str, Any]] = []
    for cell in range(cells + (1 if spare else 0)):
        vpc_index, slot = divmod(cell, CELLS_PER_VPC)
        if slot == 0:
            vpcs.append({"name": f"vpc-{vpc_index}", "cidrs": [VPC_BLOCKS[vpc_index]]})
        base = ipaddress.IPv4Network(VPC_BLOCKS[vpc_index]).network_address + slot * CELL_STRIDE * 256
        region = f"r{vpc_index % 4}"
        names = {}
        layout = CELL if cell < cells else CELL[:spare]
        for name, third, fourth, prefix, zone in layout:
            cidr = f"{base + third * 256 + fourth}/{prefix}"
            if name == "shared-services-a" and cell % OVERLAP_EVERY == OVERLAP_EVERY - 1:
                cidr = f"{base + 9 * 256}/24"  # overlaps ecs-tasks-c
            names[name] = f"c{cell}-{name}"
            subnet: dict[str, Any] = {
                "name": names[name],
                "vpc": f"vpc-{vpc_index}",
                "availabilityZone": f"{region}-{zone}",
                "cidr": cidr,
            }
            if name.startswith("public"):
                subnet |= {"public": True, "otherConsumers": {"nat_gateway": 1, "load_balancer": 8}}
            elif name.startswith("shared"):
                subnet["otherConsumers"] = {"vpc_endpoint": 15, "lambda": 20}
            plan_subnets.append(subnet)
        if cell < cells:
            ecs.append(_ecs_cluster(cell, names, rng))
            eks.append(_eks_cluster(cell, names, rng))
    return {
        "safetyMarginPercent": 20,
        "vpcs": vpcs,
        "peeredCidrs": {"on-prem": "172.16.0.0/12", "shared-services-vpc": "10.255.0.0/16"},
        "ecsTrunking": True,
        "subnets": plan_subnets,
        "ecsClusters": ecs,
        "eksClusters": eks,
    }


def _ecs_cluster(cell: int, names: dict[str, str], rng: random.Random) -> dict[str, Any]:
    tasks = [names[f"ecs-tasks-{z}"] for z in ZONES]
    return {
        "name": f"ecs-{cell}",
        "capacityProviders": [
            {
                "name": "ec2",
                "subnets": [names["ecs-instances-a"], names["ecs-instances-b"]],
                "maxSize": rng.randint(10, 120),
            }
        ],
        "services": [
            {"name": "api", "subnets": tasks, "maxTasks": rng.randint(20, 140)},
            {"name": "web", "subnets": tasks, "maxTasks": rng.randint(10, 60), "maximumPercent": 150},
        ],
    }


def _eks_cluster(cell: int, names: dict[str, str], rng: random.Random) -> dict[str, Any]:
    return {
        "name": f"eks-{cell}",
        "controlPlaneSubnets": [names["eks-control-plane-a"], names["eks-control-plane-b"]],
        "cni": {"prefixDelegation": True, "warmPrefixTarget": 1} if cell % 2 else {},
        "daemonSetPodsPerNode": 2,
        "nodegroups": [
            {
                "name": "general",
                "subnets": [names[f"eks-nodes-{z}"] for z in ZONES],
                "instanceTypes": ["m5.xlarge", "m6i.xlarge"],
                "maxSize": rng.randint(4, 40),
                "podsPerNode": rng.randint(10, 50),
            }
        ],
        "fargateProfiles": [
            {
                "name": "serverless",
                "subnets": [names["eks-fargate-a"], names["eks-fargate-b"]],
                "maxPods": rng.randint(20, 200),
            }
        ],
    }


def write_plan(path: Path, subnets: int, seed: int = 0) -> Path:
    """Write :func:`generate_plan`'s plan as JSON to ``path``."""
    path.write_text(json.dumps(generate_plan(subnets, seed)))
    return path
