"""Helpers the course notebooks share: answer checks and the exercise writer."""
