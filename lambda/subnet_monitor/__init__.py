"""Subnet IP exhaustion monitor for ECS and EKS."""

__version__ = "0.1.0"
