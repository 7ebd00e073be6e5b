"""Rollups: precomputed aggregates (per team, service, cycle or period) that aggregate pages read
instead of raw events, refreshed after the changes that affect them and on a schedule."""
