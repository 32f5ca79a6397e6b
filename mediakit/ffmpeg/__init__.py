"""Locating, describing and running the ffmpeg binary."""
