"""Trained model artifacts and their recipes."""
