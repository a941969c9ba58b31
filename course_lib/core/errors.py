"""Errors that tell the learner what went wrong and how to fix it."""


class CourseError(ValueError):
    """A learner-facing error: what went wrong, then `Fix:` and the fix (a fix is required)."""

    def __init__(self, problem: str, fix: str):
        if not str(fix).strip():
            raise ValueError(f"A CourseError must name the fix; none was given for: {problem}")
        self.problem, self.fix = problem, fix
        super().__init__(f"{problem}\nFix: {fix}")


class ProfileError(CourseError):
    """An unknown or unusable profile."""


class CheckpointUnavailableError(CourseError):
    """A checkpoint that cannot be loaded here (offline, not cached, wrong role)."""


class PocketDataError(CourseError):
    """The offline pocket data could not be fetched or failed its checksum."""


class DeviceUnavailableError(CourseError):
    """A device was requested that this machine does not have (or a name PyTorch does not know)."""


class InputError(CourseError):
    """An argument of the wrong type or value: a number where text belongs, an empty text, a size of 0."""


class DataError(CourseError):
    """A dataset that cannot be trained or evaluated on: wrong type, missing column, string labels, empty texts."""


class CacheDirError(CourseError):
    """The cache directory ($COURSE_CACHE) cannot be created or written, and no fallback works."""
