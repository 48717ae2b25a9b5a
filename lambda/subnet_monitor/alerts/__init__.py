"""The collector's notification naming the subnets at risk: which to name (core/risk.py), the message
(:mod:`.message`) and the step after each scheduled scan (:mod:`.pipeline`)."""
