"""Demo content built from open data: `mandarin seed-demo`."""
