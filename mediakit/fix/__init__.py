"""Repair a failing file with the smallest change."""
