"""Set environment variables for a block and put them back afterwards: the one implementation in course_lib."""
import contextlib
import os


@contextlib.contextmanager
def environment(values: dict[str, str | None]):
    """Inside the `with` block the variables have `values` (None removes one); afterwards they are as before.

    Kernels and processes started inside the block inherit the values.
    """
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            set_or_remove(key, value)
        yield
    finally:
        for key, value in saved.items():
            set_or_remove(key, value)


def set_or_remove(key: str, value: str | None) -> None:
    """os.environ[key] = value, or remove the key when value is None."""
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = str(value)
