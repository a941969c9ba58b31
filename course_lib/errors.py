"""Errors that tell the learner what went wrong and how to fix it."""


class CourseError(ValueError):
    """A learner-facing error: what went wrong, then `Fix:` and the fix."""

    def __init__(self, problem: str, fix: str):
        self.problem, self.fix = problem, fix
        super().__init__(f"{problem}\nFix: {fix}")


class ProfileError(CourseError):
    """An unknown or unusable profile."""


class CheckpointUnavailableError(CourseError):
    """A checkpoint that cannot be loaded here (offline, not cached, wrong role)."""


class PocketDataError(CourseError):
    """The offline pocket data could not be fetched or failed its checksum."""


class DeviceUnavailableError(CourseError):
    """A device was requested that this machine does not have."""
