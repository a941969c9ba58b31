"""Pytest pins its own world: the offline pocket profile on the CPU, one thread, whatever the machine.

The stored notebook outputs are a pocket run on a CPU, so every kernel nbval starts inherits these
variables: a CUDA or MPS machine still runs the lessons on the CPU (COURSE_DEVICE=cpu), and one
thread proves the outputs do not depend on the thread count. Learners are unaffected: only pytest sets them.
"""
import os
import tempfile

os.environ["COURSE_PROFILE"] = "pocket"
os.environ["COURSE_DEVICE"] = "cpu"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["PYTHONHASHSEED"] = "0"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("COURSE_METRICS_DIR", tempfile.mkdtemp(prefix="course_metrics_"))
