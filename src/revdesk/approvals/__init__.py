"""Deal desk approvals: policy as code, preview of a quote's approvals, simulation of a policy."""
