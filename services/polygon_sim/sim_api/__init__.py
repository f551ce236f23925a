"""Simulator-only endpoints under /_sim: the clock, request counters and the ground truth."""
