"""course_lib: the plumbing behind BERT Workbench. Start with `session = course_lib.setup()`.

    course_lib.core       what every lesson stands on: profiles, data, checkpoints, devices, the training engine
    course_lib.lessons    one helper module per lesson topic
    course_lib.exercises  the exercise checks, one module per lesson
    course_lib.tools      maintainer tooling (runner, rehearsal, metrics for the tests)
"""
from .core.checkpoints import count_parameters, describe_load, untrained_parameters
from .core.device import pick_device
from .core.errors import CourseError
from .core.profiles import CHECKPOINTS, ROLES, choose_profile
from .core.session import Session, seed_everything, setup
from .core.training import evaluate, train

__version__ = "0.1.0"
__all__ = ["setup", "Session", "seed_everything", "train", "evaluate", "pick_device", "choose_profile", "CHECKPOINTS",
           "ROLES", "CourseError", "describe_load", "untrained_parameters", "count_parameters"]
