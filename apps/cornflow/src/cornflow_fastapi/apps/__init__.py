"""Cornflow apps the local runner solves: `cornflow-client` ApplicationCore subclasses.

An app is found through the `cornflow.apps` entry-point group (name: the app's name, value:
`module:attribute` naming the ApplicationCore subclass or an instance of it), or through the
CORNFLOW_APPS setting. This package ships `solve_model_dag`, the PuLP model solver every
Cornflow deployment has.
"""
