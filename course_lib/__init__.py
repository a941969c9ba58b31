"""course_lib: the plumbing behind BERT Workbench. Start with `session = course_lib.setup()`."""
from .checkpoints import count_parameters, describe_load, untrained_parameters
from .device import pick_device
from .errors import CourseError
from .profiles import CHECKPOINTS, ROLES, choose_profile
from .session import Session, seed_everything, setup

__version__ = "0.1.0"
__all__ = ["setup", "Session", "seed_everything", "pick_device", "choose_profile", "CHECKPOINTS", "ROLES",
           "CourseError", "describe_load", "untrained_parameters", "count_parameters"]
