"""The synthetic demo company: a model of how a B2B revenue organisation behaves."""
