"""``make demo``, part 3: a dry run of ``reclaim-enis``.

Three VPC CNI ENIs are left behind in eks-nodes-a by a node that is gone (26 h, 3 h and 10 min old,
tagged as the CNI tags them: fixtures/leaked_enis.py). The dry run lists them next to the estate's
leaked ECS task ENIs in ecs-tasks-b, says which ``--apply`` would delete and why the others not, and
deletes nothing: the demo checks that all three are still there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fixtures.estate import ClientFactory, Estate
from fixtures.leaked_enis import cni_eni
from subnet_monitor.cli import main as cli_main

LEAK_SUBNET = "eks-nodes-a"
ECS_SUBNET = "ecs-tasks-b"  # where fixtures/estate.py leaves 8 ECS task ENIs detached
AGES = (timedelta(hours=26), timedelta(hours=3), timedelta(minutes=10))


class ReclaimDemoError(RuntimeError):
    """The dry run deleted something, or failed: ``make demo`` must not pass."""


def run_reclaim_demo(make_client: ClientFactory, estate: Estate) -> None:
    """Seed three leaked CNI ENIs, run ``reclaim-enis --cluster <eks> --older-than 1h`` and check
    that nothing was deleted."""
    ec2 = make_client("ec2")
    now = datetime.now(UTC)
    subnet = estate.subnet_id(LEAK_SUBNET)
    seeded = [cni_eni(ec2, subnet, created=now - age, cluster=estate.eks_cluster) for age in AGES]
    print(f"\nleft behind in {LEAK_SUBNET} ({subnet}) by a gone node: 3 VPC CNI ENIs, 26 h, 3 h and 10 min old")
    subnets = [subnet, estate.subnet_id(ECS_SUBNET)]
    flags = [part for subnet_id in subnets for part in ("--subnet-id", subnet_id)]
    print(f"\n$ python -m subnet_monitor reclaim-enis {' '.join(flags)} --older-than 1h   # a dry run")
    code = cli_main(["reclaim-enis", *flags, "--older-than", "1h"])
    left = ec2.describe_network_interfaces(NetworkInterfaceIds=seeded)["NetworkInterfaces"]
    if code != 0 or len(left) != len(seeded):
        raise ReclaimDemoError(f"reclaim-enis dry run: exit {code}, {len(seeded) - len(left)} ENIs gone")
    print("(nothing deleted: --apply would delete the two older ones; their IAM is examples/reclaim-enis-policy.json)")
