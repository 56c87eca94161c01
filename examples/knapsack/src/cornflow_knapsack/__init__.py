"""A 0/1 knapsack Cornflow app (entry point `cornflow.apps`: `knapsack`)."""

# Relative imports inside the package: the workspace type-checks it by path, from the root,
# where an absolute `cornflow_knapsack` would resolve to a second module name for each file.
from .app import Knapsack
from .core import KnapsackExperiment, KnapsackInstance, KnapsackSolution

__all__ = ["Knapsack", "KnapsackExperiment", "KnapsackInstance", "KnapsackSolution"]
