"""The core every lesson stands on: profiles and sessions, data and checkpoints, devices and precision, the one
training engine, freezing and cached layers, input checks, the uncertainty rule and plots.

Nothing here imports from `course_lib.lessons`, `course_lib.exercises` or `course_lib.tools`
(tests/test_layout.py checks it), so a lesson's helpers can use all of it and it never depends on a lesson.
"""
