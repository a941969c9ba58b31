"""Maintainer tooling, not needed to follow the course: run and store the lessons, rehearse the full profile,
hand measured numbers to the test suite, point the course at a fork, and the first cells every lesson starts with."""
