"""Pytest runs every lesson in the offline pocket profile: the stored outputs are a pocket run on CPU."""
import os

os.environ["COURSE_PROFILE"] = "pocket"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["PYTHONHASHSEED"] = "0"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
