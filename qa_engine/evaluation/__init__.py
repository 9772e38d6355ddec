"""Evaluation helpers: public data sets adapted to our types, rank statistics."""
