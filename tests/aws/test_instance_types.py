"""``Ec2Reader.instance_types``: one unknown name never costs the others their entries."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.aws.ec2 import Ec2Reader
from tests.moto_estate import CallCounter


def test_unknown_names_are_left_out_and_the_others_kept(clients: AwsClients, counter: CallCounter) -> None:
    # GIVEN good instance types beside two the region does not know (moto answers as EC2 does:
    # InvalidInstanceType, "The following supplied instance types do not exist: [nope.large, x9.mega]")
    names = ["m5.large", "nope.large", "c5.xlarge", "x9.mega"]

    # WHEN they are read
    found = Ec2Reader(clients.ec2).instance_types(names)

    # THEN the good ones keep their entries, only the unknown ones are absent, in two calls
    assert set(found) == {"m5.large", "c5.xlarge"}
    assert found["m5.large"]["NetworkInfo"]["Ipv4AddressesPerInterface"] == 10
    assert counter.calls["ec2.DescribeInstanceTypes"] == 2


def test_an_error_that_names_no_type_is_narrowed_by_halves(aws: boto3.Session) -> None:
    # GIVEN an InvalidInstanceType error worded so that it names none of the types asked for, for any
    # batch holding the bad name (the error code is EC2's, errors-overview.html; the entry is the
    # documented DescribeInstanceTypes shape, API_DescribeInstanceTypes.html)
    client = aws.client("ec2")
    stubber = Stubber(client)

    def refuse(names: list[str]) -> None:
        stubber.add_client_error(
            "describe_instance_types",
            service_error_code="InvalidInstanceType",
            service_message="Some instance types are not valid",
            expected_params={"InstanceTypes": names},
        )

    def answer(names: list[str]) -> None:
        stubber.add_response(
            "describe_instance_types",
            {"InstanceTypes": [{"InstanceType": name} for name in names]},
            expected_params={"InstanceTypes": names},
        )

    refuse(["a.large", "b.large", "bad.large", "c.large"])
    answer(["a.large", "b.large"])
    refuse(["bad.large", "c.large"])
    refuse(["bad.large"])
    answer(["c.large"])

    # WHEN the four names are read
    with stubber:
        found = Ec2Reader(client).instance_types(["c.large", "bad.large", "a.large", "b.large"])

        # THEN the bad one alone is absent, in the five calls queued above and no more
        stubber.assert_no_pending_responses()
    assert set(found) == {"a.large", "b.large", "c.large"}


def test_other_errors_are_raised(aws: boto3.Session) -> None:
    client = aws.client("ec2")
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_instance_types", service_error_code="UnauthorizedOperation")
        with pytest.raises(ClientError, match="UnauthorizedOperation"):
            Ec2Reader(client).instance_types(["m5.large"])
