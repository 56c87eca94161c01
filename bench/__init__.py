"""Side-by-side benchmarks: our Cornflow server against the Flask one on the same machine."""
