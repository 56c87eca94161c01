"""Instances: the input data sets of optimisation problems (/instance/, /instancefile/)."""
