"""Load generator, baseline app and report for `make bench` (issue #9). Not part of the product."""
