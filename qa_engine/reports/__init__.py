"""Rendered outputs for people: inline-SVG charts, the supervisor emotion report, HTML -> PDF."""
